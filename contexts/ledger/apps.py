from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "contexts.ledger"
    label = "ledger"
    verbose_name = "Marketplace ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.ledger.handlers import HANDLERS
        from contexts.ledger.seed import seed_ledger

        register_seeder("ledger", seed_ledger, order=90)
        register_handlers("ledger", HANDLERS)
