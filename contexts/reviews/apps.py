from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "contexts.reviews"
    label = "reviews"
    verbose_name = "Reviews and ratings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bazaar_platform.events import register_handlers
        from bazaar_platform.seeding import register_seeder
        from contexts.reviews.handlers import HANDLERS
        from contexts.reviews.seed import seed_demo_reviews

        # After catalog and vendors: the demo reviews are about their products and stores.
        register_seeder("reviews", seed_demo_reviews, order=80)
        register_handlers("reviews", HANDLERS)
