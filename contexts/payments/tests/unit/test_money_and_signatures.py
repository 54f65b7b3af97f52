"""Money rules, signature headers and event shapes: no database."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bazaar_platform.api.errors import ApplicationError
from contexts.payments.events import ALL_EVENTS, PaymentFailed, PaymentSucceeded, RefundSucceeded
from contexts.payments.services import sandbox
from contexts.payments.services.gateways.base import parse_signature_header
from contexts.payments.services.idempotency import fingerprint, payment_id_for, refund_id_for
from contexts.payments.services.money import (
    CURRENCY_EXPONENTS,
    amount_validate,
    currency_validate,
    money_format,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("code", ["EUR", "usd", "JPY", "KWD", "CLF"])
def test_known_currencies_are_accepted_and_upper_cased(code):
    assert currency_validate(code) == code.upper()


@pytest.mark.parametrize("code", ["EURO", "XXX", "XTS", "ABC", "", "€", None, 978])
def test_unknown_currencies_are_refused(code):
    with pytest.raises(ApplicationError) as caught:
        currency_validate(code)
    assert caught.value.code == "unknown_currency"
    assert caught.value.status_code == 400


def test_the_currency_table_is_iso_shaped():
    assert len(CURRENCY_EXPONENTS) > 150
    assert all(len(c) == 3 and c.isupper() for c in CURRENCY_EXPONENTS)
    assert CURRENCY_EXPONENTS["JPY"] == 0
    assert CURRENCY_EXPONENTS["EUR"] == 2
    assert CURRENCY_EXPONENTS["BHD"] == 3


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "invalid_amount"),
        (-1, "invalid_amount"),
        (-100_00, "invalid_amount"),
        (12.5, "invalid_amount"),
        ("100", "invalid_amount"),
        (True, "invalid_amount"),
        (10_000_000_001, "amount_too_large"),
        (10**30, "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused(amount, code, settings):
    settings.PAYMENTS_MAX_AMOUNT_MINOR = 10_000_000_000
    with pytest.raises(ApplicationError) as caught:
        amount_validate(amount)
    assert caught.value.code == code
    assert caught.value.status_code == 400


@given(st.integers(min_value=1, max_value=10_000_000_000))
def test_every_positive_amount_up_to_the_cap_is_accepted(amount):
    assert amount_validate(amount) == amount


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1999, "EUR", "19.99 EUR"),
        (5, "USD", "0.05 USD"),
        (1200, "JPY", "1200 JPY"),
        (1500, "KWD", "1.500 KWD"),
    ],
)
def test_money_format(amount, currency, shown):
    assert money_format(amount, currency) == shown


def test_signature_header_parsing():
    assert parse_signature_header("t=1700000000,v1=abc,v1=def") == (1700000000, ["abc", "def"])
    for bad in ["", "t=1", "v1=abc", "t=x,v1=abc", "garbage"]:
        with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the contract
            parse_signature_header(bad)


def test_sandbox_signature_is_hmac_sha256_over_timestamp_and_body():
    import hashlib
    import hmac

    header = sandbox.sandbox_sign(body=b'{"a":1}', secret="s3cret", timestamp=1700000000)
    expected = hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_ids_derived_from_idempotency_keys_are_stable_and_distinct():
    assert payment_id_for("k") == payment_id_for("k")
    assert payment_id_for("k") != payment_id_for("k2")
    assert payment_id_for("k") != refund_id_for("k")
    assert fingerprint({"a": 1, "b": "x"}) == fingerprint({"b": "x", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


@pytest.mark.parametrize("cls", ALL_EVENTS)
def test_events_round_trip_through_json(cls):
    common = {"payment_id": uuid.uuid4(), "purpose": "order", "reference_id": uuid.uuid4()}
    samples = {
        PaymentSucceeded: {
            **common,
            "amount_minor": 100,
            "currency": "EUR",
            "gateway": "sandbox",
            "gateway_payment_id": "sbx_pay_1",
            "payer_email": "a@b.example",
        },
        PaymentFailed: {
            **common,
            "reason": "declined",
            "amount_minor": 100,
            "currency": "EUR",
            "gateway": "stripe",
            "payer_email": "a@b.example",
        },
        RefundSucceeded: {
            **common,
            "refund_id": uuid.uuid4(),
            "amount_minor": 50,
            "currency": "EUR",
            "refunded_total_minor": 50,
            "payment_status": "partially_refunded",
        },
    }
    event = cls(**samples[cls])
    again = cls.model_validate_json(json.dumps(event.model_dump(mode="json")))
    assert again == event
    assert event.event_type.startswith("payments.")
    assert event.aggregate_id == str(event.payment_id)
