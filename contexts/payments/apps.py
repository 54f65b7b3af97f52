from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "contexts.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.seeding import register_seeder
        from contexts.payments.seed import seed_payments

        # The payments context consumes no events today (it publishes three).
        register_seeder("payments", seed_payments, order=40)
