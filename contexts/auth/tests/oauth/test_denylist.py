"""The platform's deny list of revoked tokens: memory + Redis + pub/sub, fed by the auth
context's ``auth.token_revoked`` handler, checked by the verifier in every process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from django.db import connection
from django.test import Client

from bazaar_platform.tokens import RevokedTokenError, authenticate_principal
from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.revocation import DenyList, deny_list, deny_token, is_denied
from contexts.auth.handlers import on_token_revoked_deny
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.oauth_support import REVOKE, make_app, post_form, tokens_for

pytestmark = [pytest.mark.integration]
REPO = Path(__file__).resolve().parents[4]


def jti() -> str:
    return uuid.uuid4().hex


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(token_settings().redis_url)


def wait_until(condition: Any, *, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_denied_jti_is_refused_until_its_token_expires() -> None:
    token_id = jti()
    assert deny_token(token_id, expires_at=time.time() + 60) is True
    assert is_denied(token_id)
    assert not is_denied(jti())
    score = redis_client().zscore(token_settings().denylist_key, token_id)
    assert score is not None and score > time.time() + 60  # exp + the verifier's leeway


def test_an_expired_token_is_not_worth_denying() -> None:
    token_id = jti()
    assert deny_token(token_id, expires_at=time.time() - 3600) is False
    assert not is_denied(token_id)
    assert redis_client().zscore(token_settings().denylist_key, token_id) is None


@pytest.mark.parametrize("bad", ["", "with space", "x" * 200])
def test_malformed_jti_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="jti"):
        deny_token(bad, expires_at=time.time() + 60)


def test_another_process_hears_of_it_through_pubsub() -> None:
    other = DenyList()  # stands in for another process: its own memory and listener
    try:
        assert not other.is_denied(jti())  # starts its listener
        assert other.listening
        token_id = jti()
        deny_token(token_id, expires_at=time.time() + 60)
        wait_until(lambda: other.in_memory(token_id))
        assert other.is_denied(token_id)
        assert other.redis_checks == 0
    finally:
        other.stop()


def test_a_late_starter_loads_what_was_denied_before_it_subscribed() -> None:
    token_id = jti()
    deny_token(token_id, expires_at=time.time() + 60)
    late = DenyList()
    try:
        assert late.is_denied(token_id)
        assert late.in_memory(token_id)  # from the resync, not from a Redis lookup
        assert late.redis_checks == 0
    finally:
        late.stop()


def test_without_a_listener_checks_ask_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    token_id = jti()
    deny_token(token_id, expires_at=time.time() + 60)
    deaf = DenyList()
    monkeypatch.setattr(deaf, "_ensure_listener", lambda: None)  # the listener cannot connect
    assert deaf.is_denied(token_id)
    assert not deaf.is_denied(jti())
    assert deaf.redis_checks == 2


def test_with_redis_down_checks_answer_from_memory(settings: Any) -> None:
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "REDIS_URL": "redis://127.0.0.1:1/0"}
    cut_off = DenyList()
    try:
        assert cut_off.is_denied(jti()) is False  # no exception: a logged warning instead
        with pytest.raises(redis.exceptions.ConnectionError):
            cut_off.deny(jti(), time.time() + 60)  # the handler fails, so the event is retried
    finally:
        cut_off.stop()


@pytest.mark.django_db
def test_the_handler_is_idempotent() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from contexts.auth.events import TokenRevoked

    event = TokenRevoked(
        jti=jti(),
        expires_at=timezone.now() + timedelta(minutes=5),
        user_id=None,
        client_id="x",
        reason="client_revoked",
    )
    on_token_revoked_deny(event)
    on_token_revoked_deny(event)
    assert is_denied(event.jti)


# --- one event delivery reaches every process ------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_revocation_reaches_another_process_within_one_event_delivery(settings: Any) -> None:
    owner, user = make_user(), make_user()
    app = make_app(owner)
    browser = Client()
    browser.force_login(user)
    body = tokens_for(browser, app)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'platform'}",
    }
    probe = subprocess.Popen(
        [sys.executable, "-m", "contexts.auth.tests.denylist_probe", body["access_token"]],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert probe.stdin is not None and probe.stdout is not None

        def ask(command: str) -> str:
            probe.stdin.write(command + "\n")  # type: ignore[union-attr]
            probe.stdin.flush()  # type: ignore[union-attr]
            return probe.stdout.readline().strip()  # type: ignore[union-attr]

        first = probe.stdout.readline().strip()
        if not first:
            pytest.fail(f"the probe died: {probe.stderr.read()[-3000:] if probe.stderr else ''}")
        assert first == "ready ok 1"  # it verifies the token offline; its listener is up

        # The client revokes it here; the outbox dispatches auth.token_revoked after
        # commit (in-process), and the handler announces the jti on Redis.
        response = post_form(Client(), REVOKE, {"token": body["access_token"], **app.credentials()})
        assert response.status_code == 200
        with pytest.raises(RevokedTokenError):
            authenticate_principal(body["access_token"])  # this process

        deadline = time.monotonic() + 5
        while ask("check") != "revoked":  # the other process
            assert time.monotonic() < deadline, "the other process still accepts the token"
            time.sleep(0.01)
        assert ask("memory") == "1"
        assert ask("redis_checks") == "0"  # heard through pub/sub, not by asking Redis
        ask("quit")
    finally:
        probe.kill()
        probe.wait(timeout=10)
    token_id = jwt.decode(body["access_token"], options={"verify_signature": False})["jti"]
    assert deny_list().in_memory(token_id)


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        pytest.fail("the cross-process test needs the services profile (PostgreSQL + Redis)")
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.django_db
def test_the_daily_clean_up_removes_expired_rows_without_announcing_them(
    events: Any, owner: Any, user: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from bazaar_platform.events.models import OutboxMessage
    from contexts.auth.models import OAuthAccessToken, OAuthGrant
    from contexts.auth.tasks import oauth_clear_expired

    app = make_app(owner)
    browser = Client()
    browser.force_login(user)
    expired = tokens_for(browser, app)
    live = tokens_for(browser, app)
    OAuthAccessToken.objects.filter(
        jti=jwt.decode(expired["access_token"], options={"verify_signature": False})["jti"]
    ).update(expires=timezone.now() - timedelta(days=60))
    OAuthGrant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    with events():
        oauth_clear_expired()
    assert OAuthAccessToken.objects.count() == 1
    assert not OAuthGrant.objects.exists()
    assert not OutboxMessage.objects.filter(event_type="auth.token_revoked").exists()
    assert authenticate_principal(live["access_token"])
