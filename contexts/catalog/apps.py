from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "contexts.catalog"
    label = "catalog"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.catalog.cache import connect_invalidation
        from contexts.catalog.handlers import HANDLERS
        from contexts.catalog.seed import seed_demo_catalog

        register_seeder("catalog", seed_demo_catalog, order=30)
        connect_invalidation()
        register_handlers("catalog", HANDLERS)
