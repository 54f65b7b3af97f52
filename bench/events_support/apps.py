from django.apps import AppConfig


class EventsBenchSupportConfig(AppConfig):
    name = "bench.events_support"
    label = "events_bench_support"

    def ready(self) -> None:
        from bench.events_support import handlers  # noqa: F401  (registers the handler)
