"""The purchase end to end over real HTTP (live server), events in-process: the
sandbox's webhook comes back over HTTP from its delivery thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bazaar_platform.events.models import OutboxMessage
from contexts.payments.services import sandbox
from tests.onboarding.support import Http
from tests.orders.scenario import purchase_end_to_end

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any) -> Iterator[Http]:
    settings.SITE_URL = live_server.url  # the sandbox page and its webhooks point here
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "ISSUER": live_server.url}
    settings.CSRF_COOKIE_SECURE = False
    settings.ORDERS_PAYMENT_SUCCESS_URL = f"{live_server.url}/paid"
    http = Http(live_server.url)
    yield http
    http.close()
    sandbox.sandbox_deliveries_wait(timeout=20)


def test_browse_cart_checkout_pay_ship_deliver_return_refund(site: Http) -> None:
    final = purchase_end_to_end(site)
    assert final["status"] == "completed"
    published = set(OutboxMessage.objects.values_list("event_type", flat=True))
    assert {
        "orders.order_placed",
        "payments.payment_succeeded",
        "orders.order_paid",
        "orders.vendor_order_accepted",
        "orders.vendor_order_shipped",
        "orders.vendor_order_delivered",
        "orders.return_requested",
        "orders.return_approved",
        "orders.refund_issued",
        "payments.refund_succeeded",
    } <= published
