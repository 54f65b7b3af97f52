from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "contexts.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.notifications import tasks  # noqa: F401  (registers the tasks by name)
        from contexts.notifications.handlers import HANDLERS
        from contexts.notifications.seed import seed_demo_notifications

        register_seeder("notifications", seed_demo_notifications, order=90)
        register_handlers("notifications", HANDLERS)
