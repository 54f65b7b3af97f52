from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "contexts.orders"
    label = "orders"
    verbose_name = "Orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.orders.handlers import HANDLERS
        from contexts.orders.seed import seed_demo_orders

        register_seeder("orders", seed_demo_orders, order=70)
        register_handlers("orders", HANDLERS)
