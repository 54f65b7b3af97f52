from __future__ import annotations

import pytest

from contexts.vendors.tests import support

pytestmark = pytest.mark.django_db


def test_register_pay_and_use(api):
    body = support.register_body()
    result = support.data(support.register(api, body))
    assert result["subscription"]["status"] == "pending_payment"
    assert result["payment"]["url"]
    support.pay(result["payment"]["payment_id"])
    headers = support.login(api, body["email"])
    me = support.data(api.get("/api/v1/vendors/me", **headers))
    assert me["vendor"]["status"] == "active"
