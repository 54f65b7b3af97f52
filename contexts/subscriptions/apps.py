from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "contexts.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions and traffic"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.subscriptions.handlers import HANDLERS
        from contexts.subscriptions.seed import seed_plans

        register_seeder("subscriptions", seed_plans, order=40)
        register_handlers("subscriptions", HANDLERS)
