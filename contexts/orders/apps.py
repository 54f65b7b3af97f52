from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "contexts.orders"
    label = "orders"
    verbose_name = "Orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from contexts.orders.handlers import HANDLERS

        register_handlers("orders", HANDLERS)
