"""Placeholder while the payments context is built (contract commit); replaced next."""

from __future__ import annotations

from typing import Any


def payment_link_create(**kwargs: Any) -> Any:
    raise NotImplementedError


def refund_create(**kwargs: Any) -> Any:
    raise NotImplementedError
