"""The OpenAPI document and the app's routes match, both ways."""

from __future__ import annotations

from app import app


def documented(client) -> set[tuple[str, str]]:
    document = client.http.get("/openapi.json").json_body
    assert document["openapi"].startswith("3.1")
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_every_route_is_documented_and_every_documented_route_exists(client):
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}

    assert documented(client) == routes


def test_every_operation_documents_its_errors_with_the_error_schema(client):
    document = client.http.get("/openapi.json").json_body
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path in ("/", "/health", "/openapi.json"):
                continue
            errors = [status for status in operation["responses"] if status.startswith("4")]
            assert errors, (method, path)
            for status in errors:
                assert operation["responses"][status] == {"$ref": f"#/components/responses/E{status}"}
