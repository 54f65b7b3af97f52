"""The two profiles and production hardening, each checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "db": s.DATABASES["default"]["ENGINE"], "cache": s.CACHES["default"]["BACKEND"],
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"], "dispatch": s.EVENT_DISPATCH,
    "email": s.EMAIL_BACKEND, "sms": s.SMS_BACKEND, "debug": s.DEBUG,
    "eager": s.CELERY_TASK_ALWAYS_EAGER, "broker": s.CELERY_BROKER_URL,
}))
"""

PROFILE_VARS = (
    "BAZAAR_PROFILE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EVENT_DISPATCH",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "EMAIL_URL",
    "DJANGO_SECURE_SSL_REDIRECT",
)


def _probe(tmp_path, **env_vars: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROFILE_VARS}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", BAZAAR_LOCAL_DIR=str(tmp_path), **env_vars)
    code = "import config\n" + PROBE
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_is_the_default_and_needs_no_services(tmp_path):
    probe = _probe(tmp_path)
    assert probe == {
        "db": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "layer": "channels.layers.InMemoryChannelLayer",
        "dispatch": "inprocess",
        "email": "django.core.mail.backends.console.EmailBackend",
        "sms": "console",
        "debug": True,
        "eager": True,
        "broker": "memory://",
    }
    assert (tmp_path / "secret_key").exists(), "the development secret is generated on first run"


def test_services_profile_uses_postgres_redis_and_rabbitmq(tmp_path):
    probe = _probe(tmp_path, BAZAAR_PROFILE="services", DJANGO_SECRET_KEY="x" * 60)
    assert probe["db"] == "django.db.backends.postgresql"
    assert probe["cache"] == "django_redis.cache.RedisCache"
    assert probe["layer"] == "channels_redis.core.RedisChannelLayer"
    assert probe["broker"].startswith("amqp://")
    assert probe["debug"] is False and probe["eager"] is False


def test_services_profile_refuses_to_start_without_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in PROFILE_VARS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        BAZAAR_PROFILE="services",
        BAZAAR_LOCAL_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", "import config\n" + PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in PROFILE_VARS}
    env.update(
        BAZAAR_PROFILE="services",
        BAZAAR_LOCAL_DIR=str(tmp_path),
        DJANGO_SECRET_KEY="prod-" + "k3y-" * 15,
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bazaar"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
