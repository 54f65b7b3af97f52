"""The three plans every deployment starts with (staff edit them in the admin)."""

from django.db import migrations

PLANS = [
    # code, name, description, products, stores, seats, api/min, sort, prices
    ("free", "Free", "Try Bazaar with one store and a small catalogue.", 25, 1, 1, 60, 10,
     {"EUR": 0, "USD": 0, "GBP": 0}),
    ("growth", "Growth", "For growing shops: several stores, a team and a larger catalogue.",
     1000, 3, 5, 300, 20, {"EUR": 2900, "USD": 3200, "GBP": 2500}),
    ("pro", "Pro", "For established vendors with many stores and integrations.",
     20000, 10, 25, 1200, 30, {"EUR": 9900, "USD": 10900, "GBP": 8500}),
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("subscriptions", "Plan")
    PlanPrice = apps.get_model("subscriptions", "PlanPrice")
    for code, name, description, products, stores, seats, rate, sort, prices in PLANS:
        plan, created = Plan.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                description=description,
                billing_period="month",
                trial_days=0,
                max_products=products,
                max_stores=stores,
                max_staff_seats=seats,
                api_requests_per_minute=rate,
                sort_order=sort,
            ),
        )
        if created:
            for currency, amount in prices.items():
                PlanPrice.objects.create(plan=plan, currency=currency, amount_minor=amount)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]

    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
