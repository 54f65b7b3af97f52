from django.apps import AppConfig


class EventsTestSupportConfig(AppConfig):
    name = "tests.events.support"
    label = "events_test_support"
    verbose_name = "Event platform test support"

    def ready(self) -> None:
        from tests.events.support import handlers  # noqa: F401  (registers the handlers)
