"""The embedded profile (SQLite, no services) answers the same API with the simpler
engine: a fresh interpreter, a fresh database file, the real migrations, products fed
through the handlers, requests through the URL map."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
call_command("migrate", verbosity=0)
assert connection.vendor == "sqlite"
from contexts.search import handlers
from contexts.search.tests.conftest import snapshot
from contexts.vendors.events import ListingUpdated
import uuid
from datetime import datetime, UTC
ids = {}
for name, category, attrs in [
    ("Acme Phone X1", "phones", {"colour": ["Black"], "storage_gb": [128]}),
    ("Acme Phone X2", "phones", {"colour": ["White"], "storage_gb": [256]}),
    ("Sony Studio Headphones", "audio", {"wireless": [False], "colour": ["Black"]}),
    ("Lumen Desk Lamp", "lighting", {}),
]:
    event = snapshot(name, category=category, attributes=attrs)
    handlers.on_product_published_index(event)
    ids[name] = event.product_id
handlers.on_listing_updated_fold_offer(ListingUpdated(
    listing_id=uuid.uuid4(), store_id=uuid.uuid4(), vendor_id=uuid.uuid4(),
    product_id=ids["Acme Phone X1"], variant_id=uuid.uuid4(), price_minor=19900,
    currency="EUR", condition="new", available=3, is_purchasable=True,
    updated_at=datetime(2026, 11, 2, tzinfo=UTC)))
client = Client()
out = {}
for key, params in {
    "phone": {"q": "phone"},
    "black_phone": {"q": "acme phone", "attr_colour": "black"},
    "browse": {"category": "electronics", "sort": "price_asc"},
    "hostile": {"q": "&|!():*"},
    "bad": {"price_min": "-3"},
    "unknown": {"attr_nope": "1"},
}.items():
    r = client.get("/api/v1/search/products/", params)
    out[key] = {"status": r.status_code, "body": r.json()}
r = client.get("/api/v1/search/suggestions/", {"q": "pho"})
out["suggest"] = {"status": r.status_code, "body": r.json()}
r = client.get(f"/api/v1/search/recommendations/products/{ids['Acme Phone X1']}/similar/")
out["similar"] = {"status": r.status_code, "body": r.json()}
print("RESULT " + json.dumps(out))
"""

SERVICE_VARS = (
    "BAZAAR_PROFILE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EVENT_DISPATCH",
    "DJANGO_SECRET_KEY",
    "DJANGO_SECURE_SSL_REDIRECT",
)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        BAZAAR_LOCAL_DIR=str(tmp_path_factory.mktemp("embedded-search")),
    )
    result = subprocess.run(
        [sys.executable, "-c", "import config\n" + SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_search_and_facets(embedded):
    phone = embedded["phone"]
    assert phone["status"] == 200
    data = phone["body"]["data"]
    assert [r["name"] for r in data["results"]] == ["Acme Phone X1", "Acme Phone X2"]
    assert {f["value"]: f["count"] for f in data["facets"]["attributes"]["colour"]} == {
        "black": 1,
        "white": 1,
    }
    assert data["facets"]["in_stock"] == [
        {"value": "true", "name": "in stock", "count": 1},
        {"value": "false", "name": "out of stock", "count": 1},
    ]
    black = embedded["black_phone"]["body"]["data"]
    assert [r["name"] for r in black["results"]] == ["Acme Phone X1"]
    assert black["results"][0]["best_price_minor"] == 19_900


def test_browse_sort_and_hostile_input(embedded):
    browse = embedded["browse"]["body"]["data"]
    assert browse["total"] == 3
    assert browse["results"][0]["name"] == "Acme Phone X1"  # the only one with a price
    assert embedded["hostile"]["status"] == 200
    assert embedded["hostile"]["body"]["data"]["total"] == 4
    assert embedded["bad"]["status"] == 400
    assert embedded["unknown"]["status"] == 400


def test_suggestions_and_recommendations(embedded):
    suggest = embedded["suggest"]["body"]["data"]
    assert suggest["completions"][0] == "phone"
    assert {p["name"] for p in suggest["products"]} == {"Acme Phone X1", "Acme Phone X2"}
    similar = embedded["similar"]
    assert similar["status"] == 200
    assert similar["body"]["data"]["results"][0]["name"] == "Acme Phone X2"
