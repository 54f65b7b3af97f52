"""/healthz answers while the process lives; /readyz names every dependency that is down."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import override_settings

pytestmark = pytest.mark.django_db

CLOSED_PORT_AMQP = "amqp://guest:guest@127.0.0.1:1//"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["data"] == {"status": "ok"}


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_readyz_checks_database_cache_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"status": "ready", "checks": ["broker", "cache", "database"]}


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=CLOSED_PORT_AMQP)
def test_readyz_names_the_broker_when_it_is_down(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert set(error["fields"]) == {"broker"}
    assert "broker" in error["message"]


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
)
def test_readyz_names_the_cache_when_it_is_down(client):
    caches._settings = None  # rebuild handlers from the override
    try:
        response = client.get("/readyz")
    finally:
        caches._settings = None
    assert response.status_code == 503
    assert "cache" in response.json()["error"]["fields"]


def test_readyz_names_the_database_when_it_is_down(client, monkeypatch):
    from django.db import connections

    conn = connections["default"]
    monkeypatch.setitem(conn.settings_dict, "PORT", "1")
    conn.close()
    try:
        response = client.get("/readyz")
    finally:
        monkeypatch.undo()
        conn.close()
    assert response.status_code == 503
    assert "database" in response.json()["error"]["fields"]
