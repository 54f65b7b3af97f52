"""The two-level account-status cache behind the "active customer" guard."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from bazaar_platform.tokens.drf import BearerTokenAuthentication
from bazaar_platform.tokens.permissions import IsActiveCustomer, IsActiveVendor
from bazaar_platform.tokens.status import (
    SHARED_PREFIX,
    TOMBSTONE,
    StatusUnavailableError,
    status_cache,
)
from contexts.auth.models import Role
from contexts.auth.services.accounts import (
    StatusChange,
    role_grant,
    user_deactivate,
    user_status_set,
)
from contexts.auth.services.tokens import session_start
from contexts.auth.tests import support
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.support import clear_cache

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(autouse=True)
def _switchable_loader(settings: Any) -> Any:
    settings.BAZAAR_TOKENS = {
        **settings.BAZAAR_TOKENS,
        "STATUS_LOADER": "contexts.auth.tests.support.switchable_loader",
    }
    support.LOADER_STATE.update({"fail": False, "calls": 0, "during_load": None})
    yield
    support.LOADER_STATE.update({"fail": False, "calls": 0, "during_load": None})


class ShopApi(APIView):
    """Stands in for another context's endpoint that needs an active customer."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsActiveCustomer]

    def post(self, request: Request) -> Response:
        return Response({"ok": True, "user": str(request.user.pk)})


class VendorApi(ShopApi):
    permission_classes = [IsActiveVendor]


def call(view: type[APIView], token: str) -> Any:
    request = APIRequestFactory().post(
        "/shop", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    response = view.as_view()(request)
    response.render()
    return response


def token_for(user: Any) -> str:
    return session_start(user=user).access_token


@pytest.mark.django_db
def test_levels_memory_then_redis_then_loader() -> None:
    user = make_user()
    cache_ = status_cache()
    assert cache_.get(user.pk).customer_active
    assert support.LOADER_STATE["calls"] == 1
    assert cache.get(SHARED_PREFIX + str(user.pk))["customer_status"] == "active"
    assert cache_.in_memory(user.pk)

    assert cache_.get(user.pk).customer_active  # memory
    assert support.LOADER_STATE["calls"] == 1

    cache_.forget_locally(user.pk)  # as in a fresh process: Redis answers
    assert cache_.get(user.pk).customer_active
    assert support.LOADER_STATE["calls"] == 1
    assert cache_.in_memory(user.pk)


@pytest.mark.django_db
def test_a_cached_active_customer_is_served_while_the_auth_facade_fails() -> None:
    user = make_user()
    token = token_for(user)
    assert call(ShopApi, token).status_code == 200  # warms memory and Redis

    support.LOADER_STATE["fail"] = True
    assert call(ShopApi, token).status_code == 200  # memory level
    status_cache().forget_locally(None)
    assert call(ShopApi, token).status_code == 200  # Redis level
    assert support.LOADER_STATE["calls"] == 1  # the failing facade was never needed


@pytest.mark.django_db
def test_stale_memory_is_served_when_redis_and_the_facade_both_fail() -> None:
    user = make_user()
    token = token_for(user)
    assert call(ShopApi, token).status_code == 200
    support.LOADER_STATE["fail"] = True
    clear_cache()  # Redis lost the entry
    status_cache()._memory[user.pk] = (
        0.0,
        *status_cache()._memory[user.pk][1:],
    )  # memory TTL ran out
    assert call(ShopApi, token).status_code == 200  # stale-if-error


@pytest.mark.django_db
def test_uncached_user_with_a_failing_facade_gets_503_in_the_error_format() -> None:
    user = make_user()
    support.LOADER_STATE["fail"] = True
    response = call(ShopApi, token_for(user))
    assert response.status_code == 503
    assert response.data["error"]["code"] == "account_status_unavailable"
    with pytest.raises(StatusUnavailableError):
        status_cache().get(user.pk)


@pytest.mark.django_db
def test_guards_refuse_inactive_statuses_and_missing_roles() -> None:
    pending = make_user(customer_status="pending", email_verified_at=None)
    assert call(ShopApi, token_for(pending)).status_code == 403
    vendor_only = make_user(roles=[Role.VENDOR], vendor_status="active", customer_status="none")
    assert call(ShopApi, token_for(vendor_only)).status_code == 403
    assert call(VendorApi, token_for(vendor_only)).status_code == 200
    assert call(ShopApi, "not-a-token").status_code == 401


@pytest.mark.django_db
def test_deactivation_event_invalidates_memory_and_redis_in_this_process(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = make_user()
    token = token_for(user)
    assert call(ShopApi, token).status_code == 200
    assert status_cache().in_memory(user.pk)

    with django_capture_on_commit_callbacks(execute=True):  # the event is delivered after commit
        user_deactivate(user_id=user.pk, reason="test")
    assert not status_cache().in_memory(user.pk)
    assert cache.get(SHARED_PREFIX + str(user.pk)) == TOMBSTONE
    # the access token is still unexpired, but the guard says no at once
    response = call(ShopApi, token)
    assert response.status_code == 403


@pytest.mark.django_db
def test_status_and_role_events_invalidate_too(django_capture_on_commit_callbacks: Any) -> None:
    user = make_user()
    token = token_for(user)
    assert call(ShopApi, token).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        user_status_set(user_id=user.pk, change=StatusChange(customer_status="suspended"))
    assert call(ShopApi, token).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        user_status_set(user_id=user.pk, change=StatusChange(customer_status="active"))
    assert call(ShopApi, token).status_code == 200
    assert call(VendorApi, token).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        role_grant(user_id=user.pk, role="vendor")
    assert (
        call(VendorApi, token).status_code == 403
    )  # roles come from the token: this one predates the grant
    assert (
        call(VendorApi, token_for(user)).status_code == 200
    )  # a new token carries it; status is active


@pytest.mark.django_db
def test_an_invalidation_during_a_load_is_not_overwritten_by_the_stale_answer() -> None:
    user = make_user()
    cache_ = status_cache()
    support.LOADER_STATE["during_load"] = lambda uid: cache_.invalidate(uid)
    cache_.get(user.pk)
    assert not cache_.in_memory(user.pk)  # the generation changed mid-load: not remembered
    assert cache.get(SHARED_PREFIX + str(user.pk)) == TOMBSTONE  # and Redis was not overwritten


@pytest.mark.django_db(transaction=True)
def test_a_deactivation_reaches_another_process_memory_within_one_event_delivery(
    settings: Any,
) -> None:
    user = make_user()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CACHE_KEY_PREFIX": str(settings.CACHES["default"].get("KEY_PREFIX", "")),
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'platform'}",
    }
    probe = subprocess.Popen(
        [sys.executable, "-m", "contexts.auth.tests.status_probe", str(user.pk)],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert probe.stdin is not None
        assert probe.stdout is not None

        def ask(command: str) -> str:
            probe.stdin.write(command + "\n")  # type: ignore[union-attr]
            probe.stdin.flush()  # type: ignore[union-attr]
            return probe.stdout.readline().strip()  # type: ignore[union-attr]

        first = probe.stdout.readline().strip()
        if not first:
            pytest.fail(
                f"the probe process died: {probe.stderr.read()[-3000:] if probe.stderr else ''}"
            )
        assert first == "ready 1 1"  # active, held in the other process's memory
        loads_before = ask("loads")

        user_deactivate(
            user_id=user.pk, reason="fraud"
        )  # commits; in-process dispatch runs the handler

        deadline = time.monotonic() + 5
        while ask("memory") == "1":
            assert time.monotonic() < deadline, "the other process never dropped its memory entry"
            time.sleep(0.01)
        assert ask("active") == "0"
        assert int(ask("loads")) == int(loads_before) + 1  # it had to ask the facade again
        ask("quit")
    finally:
        probe.kill()
        probe.wait(timeout=10)


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        pytest.fail("the cross-process test needs the services profile (PostgreSQL + Redis)")
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
