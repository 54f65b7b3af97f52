from django.apps import AppConfig


class AuthContextConfig(AppConfig):
    name = "contexts.auth"
    # "auth" is django.contrib.auth's label; the context's tables live under "accounts".
    label = "accounts"
    verbose_name = "Accounts and identity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.auth.handlers import HANDLERS
        from contexts.auth.seed import seed_demo_accounts

        register_seeder("auth", seed_demo_accounts, order=10)
        register_handlers("auth", HANDLERS)
