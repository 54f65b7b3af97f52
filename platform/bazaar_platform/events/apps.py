from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "bazaar_platform.events"
    label = "platform_events"
    verbose_name = "Event platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import celery_hooks, checks  # noqa: F401 (registers the checks)

        celery_hooks.connect()
