from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "bazaar_platform"
    label = "bazaar_platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from bazaar_platform.observability import celery_signals, tracing

        tracing.configure_tracing()
        celery_signals.connect()
