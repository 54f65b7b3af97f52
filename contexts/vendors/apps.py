from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "contexts.vendors"
    label = "vendors"
    verbose_name = "Vendors and stores"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.vendors.handlers import HANDLERS
        from contexts.vendors.seed import seed_demo_listings, seed_demo_vendors

        register_seeder("vendors", seed_demo_vendors, order=50)
        register_seeder("listings", seed_demo_listings, order=55)
        register_handlers("vendors", HANDLERS)
