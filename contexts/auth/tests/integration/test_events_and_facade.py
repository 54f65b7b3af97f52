"""Events go through the outbox inside the services' transactions; the facade's contract."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.events.registry import decode
from contexts.auth import facade
from contexts.auth.events import (
    ALL_EVENTS,
    RoleGranted,
    RoleRevoked,
    UserDeactivated,
    UserRegistered,
    UserUpdated,
)
from contexts.auth.services import accounts
from contexts.auth.tests.factories import make_user

pytestmark = [pytest.mark.integration]

SAMPLES = [
    UserRegistered(
        user_id=uuid.uuid4(),
        email="a@example.test",
        full_name="A",
        roles=["customer"],
        via="password",
    ),
    UserUpdated(
        user_id=uuid.uuid4(),
        changed=["full_name"],
        is_active=True,
        email_verified=True,
        customer_status="active",
        vendor_status="none",
    ),
    UserDeactivated(user_id=uuid.uuid4(), reason="fraud"),
    RoleGranted(user_id=uuid.uuid4(), role="vendor", granted_by=uuid.uuid4()),
    RoleRevoked(user_id=uuid.uuid4(), role="vendor", revoked_by=None),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.event_type)
def test_every_event_round_trips_through_json(event: Any) -> None:
    assert event.event_type.startswith("auth.")
    message = json.loads(json.dumps(event.to_message()))
    assert decode(message) == event


def test_the_catalogue_is_complete() -> None:
    assert {e.event_type for e in ALL_EVENTS} == {
        "auth.user_registered",
        "auth.user_updated",
        "auth.user_deactivated",
        "auth.role_granted",
        "auth.role_revoked",
    }


@pytest.mark.django_db
def test_events_roll_back_with_the_state_change() -> None:
    user = make_user()
    seen: list[int] = []

    def grant_then_fail() -> None:
        with transaction.atomic():
            accounts.role_grant(user_id=user.pk, role="vendor")
            seen.append(OutboxMessage.objects.filter(event_type="auth.role_granted").count())
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        grant_then_fail()
    assert seen == [1]  # the event was written inside the transaction...
    assert not OutboxMessage.objects.exists()
    assert user.role_assignments.filter(role="vendor").count() == 0


@pytest.mark.django_db
def test_registration_event_payload() -> None:
    accounts.user_register(
        email="ev@example.test", password="plum-otter-galaxy-42", full_name="Eve"
    )
    row = OutboxMessage.objects.get(event_type="auth.user_registered")
    assert row.message["payload"]["email"] == "ev@example.test"
    assert row.message["payload"]["roles"] == ["customer"]
    assert row.message["payload"]["via"] == "password"


@pytest.mark.django_db
def test_facade_profile_status_and_roles() -> None:
    user = make_user(
        email="f@example.test",
        full_name="Fay",
        roles=["customer", "vendor"],
        vendor_status="pending",
    )
    profile = facade.user_profile(user_id=user.pk)
    assert profile == facade.UserProfile(
        user_id=user.pk,
        email="f@example.test",
        full_name="Fay",
        email_verified=True,
        roles=frozenset({"customer", "vendor"}),
    )
    assert dataclasses.is_dataclass(profile)
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.email = "changed@example.test"  # type: ignore[misc]
    status = facade.user_status(user_id=user.pk)
    assert status is not None
    assert status.customer_active
    assert not status.vendor_active
    assert facade.user_has_role(user_id=user.pk, role="vendor")
    assert not facade.user_has_role(user_id=user.pk, role="admin")
    missing = uuid.uuid4()
    assert facade.user_profile(user_id=missing) is None
    assert facade.user_status(user_id=missing) is None


@pytest.mark.django_db
def test_facade_user_create_or_get_and_role_grant(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_id = facade.user_create_or_get(
            email="Vendor@Example.test", full_name="Vic", password=None
        )
    assert isinstance(user_id, uuid.UUID)
    assert facade.user_create_or_get(email="vendor@example.test", full_name="Other") == user_id
    assert "password" in mail.outbox[0].subject.lower()  # invited to choose a password
    facade.role_grant(user_id=user_id, role="vendor")
    facade.role_grant(user_id=user_id, role="vendor")  # idempotent
    status = facade.user_status(user_id=user_id)
    assert status is not None
    assert status.vendor_active
    assert OutboxMessage.objects.filter(event_type="auth.role_granted").count() == 1
    with pytest.raises(ApplicationError):
        facade.user_create_or_get(email="not-an-email", full_name="x")
    with pytest.raises(ApplicationError):
        facade.user_create_or_get(email="weak@example.test", full_name="x", password="123")
    with pytest.raises(ApplicationError):
        facade.role_grant(user_id=user_id, role="superuser")


@pytest.mark.django_db
def test_seed_gives_demo_users_their_roles() -> None:
    import io

    from bazaar_platform.seeding import SeedContext
    from contexts.auth.models import User
    from contexts.auth.seed import DEMO_USERS, seed_demo_accounts

    for _ in range(2):  # idempotent
        seed_demo_accounts(SeedContext(out=io.StringIO(), quiet=True))
    for email, _, _, roles in DEMO_USERS:
        user = User.objects.get(email=email)
        assert user.roles == frozenset(roles)
        status = facade.user_status(user_id=user.pk)
        assert status is not None
        if "customer" in roles:
            assert status.customer_active
        if "vendor" in roles:
            assert status.vendor_active
