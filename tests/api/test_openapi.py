"""The OpenAPI schema documents the envelope and the error format."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_schema_documents_the_error_envelope(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    error = schema["components"]["schemas"]["ErrorEnvelope"]
    assert set(error["properties"]["error"]["required"]) == {
        "code",
        "message",
        "fields",
        "request_id",
    }
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations, "no API operations are documented"
    for operation in operations:
        assert operation["responses"]["400"]["content"]["application/json"]["schema"][
            "$ref"
        ].endswith("/ErrorEnvelope")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_render(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"/api/schema/" in response.content
