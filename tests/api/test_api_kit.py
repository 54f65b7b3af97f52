"""The shared API kit: one envelope, one error format, strict pagination and parameters."""

from __future__ import annotations

import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from bazaar_platform.events.models import OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.kit_urls")]


def _outbox(n: int) -> None:
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            event_id=uuid.uuid4(),
            event_type="kit.thing_happened" if i % 2 else "kit.other_thing",
            producer="kit",
            aggregate_id=str(i),
            message={},
            occurred_at=timezone.now(),
        )
        for i in range(n)
    )


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"data", "error", "meta"}
    assert body["data"] is None
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_success_is_enveloped_with_request_id(api_client):
    response = api_client.post("/api/v1/kit/echo/", {"name": "pen", "quantity": 2}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["data"] == {"name": "pen", "quantity": 2}
    assert body["error"] is None
    assert body["meta"]["request_id"] == response["X-Request-ID"]


def test_request_id_is_accepted_and_echoed(api_client):
    response = api_client.get("/api/v1/kit/items/", HTTP_X_REQUEST_ID="trace-abc.123")
    assert response["X-Request-ID"] == "trace-abc.123"
    assert response.json()["meta"]["request_id"] == "trace-abc.123"


def test_hostile_request_id_is_replaced(api_client):
    response = api_client.get("/api/v1/kit/items/", HTTP_X_REQUEST_ID="<script>" + "x" * 300)
    assert response["X-Request-ID"] != "<script>" + "x" * 300
    assert len(response["X-Request-ID"]) == 32


def test_validation_errors_name_the_fields(api_client):
    response = api_client.post(
        "/api/v1/kit/echo/", {"name": "x" * 50, "quantity": 0}, format="json"
    )
    error = _assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"name", "quantity"}


def test_application_error_keeps_its_code_and_status(api_client):
    response = api_client.post(
        "/api/v1/kit/echo/", {"name": "refuse", "quantity": 1}, format="json"
    )
    _assert_error(response, 409, "refused")


def test_malformed_json_is_a_400(api_client):
    response = api_client.generic(
        "POST", "/api/v1/kit/echo/", b'{"name": "pen",', content_type="application/json"
    )
    _assert_error(response, 400, "malformed_request")


def test_wrong_content_type_is_a_415(api_client):
    response = api_client.generic(
        "POST", "/api/v1/kit/echo/", b"name=pen", content_type="text/plain"
    )
    _assert_error(response, 415, "unsupported_media_type")


@override_settings(API_MAX_BODY_BYTES=1024)
def test_body_over_the_limit_is_a_413(api_client):
    from bazaar_platform.api import middleware

    body = b'{"name": "' + b"x" * 2048 + b'"}'
    limit_before = middleware.BodySizeLimitMiddleware(lambda r: None).limit
    assert limit_before == 1024
    response = api_client.generic(
        "POST", "/api/v1/kit/echo/", body, content_type="application/json"
    )
    _assert_error(response, 413, "payload_too_large")


def test_unknown_query_parameter_is_a_400(api_client):
    error = _assert_error(api_client.get("/api/v1/kit/items/?evnt_type=x"), 400, "validation_error")
    assert "evnt_type" in error["fields"]


def test_malformed_filter_value_is_a_400(api_client):
    error = _assert_error(
        api_client.get("/api/v1/kit/items/?created_after=yesterday"), 400, "validation_error"
    )
    assert "created_after" in error["fields"]


def test_filters_apply(api_client):
    _outbox(6)
    body = api_client.get("/api/v1/kit/items/?event_type=kit.thing_happened").json()
    assert body["meta"]["pagination"]["count"] == 3
    assert {item["event_type"] for item in body["data"]} == {"kit.thing_happened"}


@pytest.mark.parametrize("query", ["limit=101", "limit=0", "limit=-1", "limit=ten", "offset=-5"])
def test_page_sizes_outside_the_limits_are_refused(api_client, query):
    _assert_error(api_client.get(f"/api/v1/kit/items/?{query}"), 400, "validation_error")


def test_limit_offset_pagination_in_meta(api_client):
    _outbox(7)
    body = api_client.get("/api/v1/kit/items/?limit=3&offset=3").json()
    assert len(body["data"]) == 3
    page = body["meta"]["pagination"]
    assert (page["count"], page["limit"], page["offset"]) == (7, 3, 3)
    assert "offset=6" in page["next"]


def test_cursor_pagination_walks_every_item_once(api_client):
    _outbox(5)
    seen, url = [], "/api/v1/kit/items/cursor/?limit=2"
    while url:
        body = api_client.get(url).json()
        seen += [item["event_id"] for item in body["data"]]
        url = body["meta"]["pagination"]["next"]
    assert len(seen) == len(set(seen)) == 5


def test_bad_cursor_is_a_400(api_client):
    _assert_error(
        api_client.get("/api/v1/kit/items/cursor/?cursor=garbage"), 400, "validation_error"
    )


def test_cursor_page_size_is_capped(api_client):
    _assert_error(api_client.get("/api/v1/kit/items/cursor/?limit=1000"), 400, "validation_error")


def test_unknown_route_is_a_404_in_the_error_format(api_client):
    _assert_error(api_client.get("/api/v1/nowhere/"), 404, "not_found")


def test_wrong_method_is_a_405(api_client):
    _assert_error(api_client.delete("/api/v1/kit/echo/"), 405, "method_not_allowed")


def test_unacceptable_accept_header_is_a_406(api_client):
    response = api_client.get("/api/v1/kit/items/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
