"""Fixtures of the reviews tests: real PostgreSQL and Redis, real catalog, vendors and
orders contexts behind their facades (subjects are made through ``tests.support``)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache as django_cache
from PIL import Image
from rest_framework.test import APIClient

from bazaar_platform.tokens import jwks as jwks_module
from bazaar_platform.tokens.status import status_cache
from contexts.reviews import services
from contexts.reviews.models import Review
from tests.support.sellers import PASSWORD, Seller, make_product, make_seller, make_user


@cache
def _signing_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(autouse=True)
def _reviews_env(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = _signing_pem()
    settings.AUTH_SIGNING_KEY_FILE = ""
    settings.EVENT_DISPATCH = "inprocess"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REVIEWS_ALLOW_UNVERIFIED = True  # tests of the verified-only rule turn it off
    settings.REVIEWS_MAX_PER_DAY = 100
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default.get('KEY_PREFIX', '')}-reviews-{worker}"},
    }
    delete_pattern = getattr(django_cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")  # this worker's keys only; clear() would flush the shared Redis db
    jwks_module.reset_process_state()
    status_cache().forget_locally(None)
    yield
    jwks_module.reset_process_state()
    status_cache().forget_locally(None)


@pytest.fixture
def seller(db: Any) -> Seller:
    return make_seller()


@pytest.fixture
def product_id(seller: Seller) -> UUID:
    return make_product(vendor_id=seller.vendor_id)


@pytest.fixture
def customer(db: Any) -> UUID:
    return make_user()[0]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a call and then its on-commit work (the inline relay, so the handlers) as a
    real commit would."""

    def run(func: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return func(**kwargs)

    return run


@pytest.fixture
def write_review(committed: Callable[..., Any]) -> Callable[..., Review]:
    def write(
        *,
        author: UUID,
        subject_id: UUID,
        subject_type: str = "product",
        rating: int = 4,
        title: str = "Solid",
        body: str = "Does what it says, well made.",
    ) -> Review:
        review: Review = committed(
            services.review_create,
            author_user_id=author,
            subject_type=subject_type,
            subject_id=subject_id,
            rating=rating,
            title=title,
            body=body,
        )
        return review

    return write


def login(client: APIClient, email: str) -> APIClient:
    response = APIClient().post(
        "/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['access_token']}")
    return client


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    Image.new(mode, size, (20, 120, 200, 255)[: len(mode)]).save(out, fmt)
    return out.getvalue()
