"""Signing keys: the store, rotation, the JWKS, and the verifier's key cache."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from bazaar_platform.tokens import UnknownSigningKeyError, authenticate_token, validate_token
from bazaar_platform.tokens import jwks as jwks_module
from contexts.auth.models import SigningKey
from contexts.auth.services import keys
from contexts.auth.services.tokens import access_token_issue
from contexts.auth.tasks import rotate_signing_key_if_due
from contexts.auth.tests import support
from contexts.auth.tests.support import clear_cache

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def kid_of_token(token: str) -> str:
    import jwt

    return str(jwt.get_unverified_header(token)["kid"])


def published_kids() -> list[str]:
    return [k["kid"] for k in keys.jwks_document()["keys"]]


def test_first_key_is_the_configured_one_and_stored_encrypted(user_factory: Any) -> None:
    token, _ = access_token_issue(user=user_factory())
    row = SigningKey.objects.get(state=SigningKey.State.ACTIVE)
    assert row.source == "configured"
    assert row.kid == support.kid_of(support.rsa_key("configured")) == kid_of_token(token)
    assert "PRIVATE KEY" not in row.private_key_encrypted
    assert "d" not in row.public_jwk  # only the public half is in clear
    # the ciphertext opens with the key-encryption key and is the configured key
    opened = keys._decrypt(row.private_key_encrypted)
    assert opened.private_numbers() == support.rsa_key("configured").private_numbers()


def test_without_configuration_a_key_is_generated(settings: Any) -> None:
    settings.AUTH_SIGNING_KEY_PEM = ""
    row = keys.signing_key_ensure_active()
    assert row.source == "generated"
    assert published_kids() == [row.kid]


def test_development_key_file_is_generated_once_into_the_local_folder(
    settings: Any, tmp_path: Any
) -> None:
    settings.AUTH_SIGNING_KEY_PEM = ""
    settings.AUTH_SIGNING_KEY_FILE = str(tmp_path / ".local" / "jwt_signing_key.pem")
    settings.AUTH_SIGNING_KEY_GENERATE_FILE = True
    first = keys.configured_private_key()
    path = tmp_path / ".local" / "jwt_signing_key.pem"
    assert path.exists()
    assert (path.stat().st_mode & 0o777) == 0o600
    second = keys.configured_private_key()
    assert first is not None
    assert second is not None
    assert first.private_numbers() == second.private_numbers()
    assert keys.signing_key_ensure_active().source == "configured"


def test_production_without_key_file_generation_reads_nothing(settings: Any, tmp_path: Any) -> None:
    settings.AUTH_SIGNING_KEY_PEM = ""
    settings.AUTH_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    settings.AUTH_SIGNING_KEY_GENERATE_FILE = False
    assert keys.configured_private_key() is None
    assert not (tmp_path / "missing.pem").exists()


def test_rotation_new_tokens_use_new_key_old_tokens_stay_valid_until_expiry(
    user_factory: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = user_factory()
    old_token, _ = access_token_issue(user=user)
    old_kid = kid_of_token(old_token)
    assert authenticate_token(old_token).user_id == user.pk  # warms this process's key cache

    with django_capture_on_commit_callbacks(execute=True):
        new_row = keys.signing_key_rotate()
    new_token, _ = access_token_issue(user=user)
    assert kid_of_token(new_token) == new_row.kid != old_kid  # new tokens: new key at once
    assert authenticate_token(new_token).user_id == user.pk
    assert authenticate_token(old_token).user_id == user.pk  # old ones still verify
    assert set(published_kids()) == {old_kid, new_row.kid}

    # After the publication window (access TTL + leeway) the retired key leaves the JWKS.
    later = timezone.now() + timedelta(seconds=settings.AUTH_ACCESS_TOKEN_TTL_SECONDS + 31)
    assert [k["kid"] for k in keys.jwks_document(now=later)["keys"]] == [new_row.kid]
    with django_capture_on_commit_callbacks(execute=True):
        assert keys.signing_keys_expire(now=later) == 1
    old_row = SigningKey.objects.get(kid=old_kid)
    assert old_row.state == SigningKey.State.EXPIRED
    assert old_row.private_key_encrypted == ""
    assert published_kids() == [new_row.kid]
    # and verifiers, once they reload, no longer know it
    jwks_module.reset_process_state()
    with pytest.raises(UnknownSigningKeyError):
        validate_token(old_token, audience=settings.AUTH_TOKEN_AUDIENCE)


def test_another_process_with_a_cached_key_set_accepts_a_new_kid_at_once(user_factory: Any) -> None:
    user = user_factory()
    authenticate_token(access_token_issue(user=user)[0])  # key set cached in memory + Redis
    # Rotation done elsewhere: this process's cache is not told (no on_commit run here).
    keys.signing_key_rotate()
    token, _ = access_token_issue(user=user)
    assert authenticate_token(token).user_id == user.pk  # unknown kid -> one reload from the source


def test_management_command_rotates_and_lists_keys(django_capture_on_commit_callbacks: Any) -> None:
    first = keys.signing_key_ensure_active()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_signing_key", stdout=out)
    active = SigningKey.objects.get(state=SigningKey.State.ACTIVE)
    assert active.kid != first.kid
    assert f"new kid {active.kid}" in out.getvalue()
    assert f"{first.kid}  retired" in out.getvalue()
    out = io.StringIO()
    call_command("rotate_signing_key", "--if-due", stdout=out)
    assert "not due" in out.getvalue()


def test_beat_task_rotates_only_when_due(settings: Any) -> None:
    row = keys.signing_key_ensure_active()
    assert rotate_signing_key_if_due() is None
    SigningKey.objects.filter(pk=row.pk).update(
        activated_at=timezone.now() - timedelta(days=settings.AUTH_SIGNING_KEY_ROTATION_DAYS + 1)
    )
    new_kid = rotate_signing_key_if_due()
    assert new_kid is not None
    assert new_kid != row.kid
    assert SigningKey.objects.get(pk=row.pk).state == SigningKey.State.RETIRED
    assert "auth-rotate-signing-key-if-due" in settings.CELERY_BEAT_SCHEDULE
    assert (
        settings.CELERY_BEAT_SCHEDULE["auth-rotate-signing-key-if-due"]["task"]
        == "auth.rotate_signing_key_if_due"
    )


def test_key_encryption_key_change_retires_the_unreadable_key(
    settings: Any, user_factory: Any
) -> None:
    row = keys.signing_key_ensure_active()
    settings.AUTH_KEY_ENCRYPTION_KEYS = ["aGVsbG8taGVsbG8taGVsbG8taGVsbG8taGVsbG8tMTI="]
    keys.forget_decrypted_keys()
    token, _ = access_token_issue(user=user_factory())
    assert kid_of_token(token) != row.kid
    assert SigningKey.objects.get(pk=row.pk).state == SigningKey.State.RETIRED


def test_private_pem_for_django_oauth_toolkit() -> None:
    active = keys.current_signing_key()
    pem = active.private_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    loaded = serialization.load_pem_private_key(pem.encode(), password=None)
    assert keys.public_jwk(loaded)["kid"] == active.kid  # type: ignore[arg-type]


def test_jwks_endpoint_serves_public_keys_only(client: Any) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert set(body) == {"keys"}
    (key,) = body["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert "max-age" in response["Cache-Control"]
    assert client.post("/.well-known/jwks.json").status_code == 405


def test_verification_needs_no_database_once_keys_are_cached(
    user_factory: Any, django_assert_num_queries: Any
) -> None:
    token, _ = access_token_issue(user=user_factory())
    authenticate_token(token)
    with django_assert_num_queries(0):
        for _ in range(5):
            authenticate_token(token)


def test_key_set_is_shared_through_the_cache(
    user_factory: Any, django_assert_num_queries: Any
) -> None:
    token, _ = access_token_issue(user=user_factory())
    authenticate_token(token)
    assert cache.get(jwks_module.SHARED_CACHE_KEY) is not None
    jwks_module.reset_process_state()  # a fresh process: memory empty, Redis warm
    with django_assert_num_queries(0):
        authenticate_token(token)


def test_verifier_fetches_the_jwks_over_http_when_configured(
    settings: Any, user_factory: Any
) -> None:
    token, _ = access_token_issue(user=user_factory())
    document = keys.jwks_document()
    handler = support.json_handler({"/.well-known/jwks.json": lambda: document})
    with support.http_server(handler) as base:
        settings.BAZAAR_TOKENS = {
            **settings.BAZAAR_TOKENS,
            "JWKS_SOURCE": "",
            "JWKS_URL": f"{base}/.well-known/jwks.json",
        }
        clear_cache()
        assert authenticate_token(token).claims["jti"]
        assert authenticate_token(token).claims["jti"]
    hits: list[str] = handler.hits  # type: ignore[attr-defined]
    assert hits == ["/.well-known/jwks.json"]  # fetched once, then cached


def test_stale_keys_are_kept_when_the_source_fails(settings: Any, user_factory: Any) -> None:
    token, _ = access_token_issue(user=user_factory())
    document = keys.jwks_document()
    with support.http_server(support.json_handler({"/jwks": lambda: document})) as base:
        settings.BAZAAR_TOKENS = {
            **settings.BAZAAR_TOKENS,
            "JWKS_SOURCE": "",
            "JWKS_URL": f"{base}/jwks",
        }
        assert authenticate_token(token).claims["sub"]
    # The JWKS server is gone, the shared copy too, and the memory copy is past its TTL.
    clear_cache()
    jwks_module._cache._fresh_until = 0.0
    assert authenticate_token(token).claims["sub"]  # stale-if-error keeps verifying
