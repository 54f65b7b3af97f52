from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "contexts.search"
    label = "search"
    verbose_name = "Search and recommendations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.search.handlers import HANDLERS
        from contexts.search.seed import seed_demo_search

        # After every context whose events feed the read model has seeded.
        register_seeder("search", seed_demo_search, order=95)
        register_handlers("search", HANDLERS)
