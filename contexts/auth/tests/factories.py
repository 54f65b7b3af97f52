"""Factories private to the auth context's tests."""

from __future__ import annotations

from typing import Any, cast

import factory
from django.utils import timezone

from contexts.auth.models import CustomerStatus, Role, RoleAssignment, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    email_verified_at = factory.LazyFunction(timezone.now)
    customer_status = CustomerStatus.ACTIVE

    @factory.post_generation
    def password(self: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def roles(self: Any, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        for role in extracted if extracted is not None else [Role.CUSTOMER]:
            RoleAssignment.objects.create(user=self, role=role)


def make_user(**kwargs: Any) -> User:
    """``UserFactory(...)``, typed."""
    return cast(User, UserFactory(**kwargs))
