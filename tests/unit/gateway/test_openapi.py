"""The committed OpenAPI document matches the app (regenerate with `rapport gateway openapi`)."""

import json

from services.gateway.openapi import COMMITTED, openapi_document


def test_committed_openapi_matches_the_app():
    committed = json.loads(COMMITTED.read_text())
    assert committed == json.loads(json.dumps(openapi_document())), "run: rapport gateway openapi"


def test_document_covers_the_public_routes():
    paths = openapi_document()["paths"]
    assert {"/v1/checkins", "/v1/checkins:batch", "/v1/me/plan", "/healthz", "/readyz", "/metrics"} <= set(paths)
    assert {"202", "401", "403", "409", "413", "422", "429", "503"} <= set(paths["/v1/checkins"]["post"]["responses"])
