"""Project-wide fixtures. Tests run on the services profile (PostgreSQL, Redis, RabbitMQ)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
