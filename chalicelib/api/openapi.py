"""The OpenAPI 3.1 document of every route, served at /openapi.json. The operations come from the route table
(api/declared.py), the primary API's and the earlier specs' (api/compat/, tagged "compat") alike, and their schemas
from the declared types (api/contract.py, api/schemas/), so the document says what the code validates and answers.
A test checks the document against the app's routes both ways, another sends every declared limit and one past it,
and schemathesis fuzzes the running stack from it."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.api.declared import OPERATIONS, Operation

ERROR = {"$ref": "#/components/schemas/Error"}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "open": [],
    "optional": [{"bearer": []}, {}],
    "token": [{"bearer": []}],
}
SCOPES = (
    "A token: the one from registration, or an API key (POST /me/keys). A key of scope `read` may make every "
    "GET; any other method needs `write` (403 insufficient_scope otherwise). Each operation names its scope."
)
BINARY = {"type": "string", "format": "binary"}
AUDIO_BODY = {
    "content": {
        "application/octet-stream": {"schema": BINARY},
        "audio/wav": {"schema": BINARY},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": BINARY}}},
    }
}
ERRORS = {
    400: "bad parameters or body",
    401: "missing or unknown token",
    403: "not the owner",
    404: "unknown",
    409: "conflict, or not ready yet (see status and Retry-After)",
    411: "chunked body",
    413: "over the size limit, or over the quota (code quota_exceeded)",
    415: "not audio",
    422: "a field that does not fit (field names it)",
    429: "too many registrations or anonymous uploads from this address (see retry_after and Retry-After)",
    501: "a format the route does not serve (oEmbed: json only)",
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in statuses}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _ref(name: str) -> dict[str, Any]:
    if name.endswith("[]"):
        return {"type": "array", "items": _ref(name[:-2])}
    return {"$ref": f"#/components/schemas/{name}"}


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    import app  # noqa: F401 (its routes declare the operations)

    schemas = _schemas()
    paths: dict[str, Any] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, schemas)
    _state_scopes(paths)
    responses = {f"E{status}": _json(ERROR, description) for status, description in ERRORS.items()}
    responses["E429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cloud Sound",
            "version": "1.0.0",
            "description": "Upload audio, get MP3s and metadata. Errors: {error: {code, message}}.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": SCOPES}},
            "responses": responses,
            "schemas": schemas,
        },
    }


def _state_scopes(paths: dict[str, Any]) -> None:
    """Each operation that takes a token (a bearer header, or a form field of the earlier specs: those answer 401)
    names the key scope it needs (`read` for GET, `write` otherwise: api/scopes.py), in its security requirement
    and as `x-required-scope`."""
    from chalicelib.api.scopes import needed_scope

    for methods in paths.values():
        for method, described in methods.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            requirements = described.get("security") or []
            if not any("bearer" in requirement for requirement in requirements) and "401" not in described.get(
                "responses", {}
            ):
                continue
            scope = needed_scope(method)
            described["security"] = [{"bearer": [scope]} if "bearer" in r else r for r in requirements]
            described["x-required-scope"] = scope


def _operation(operation: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {"summary": operation.summary, "security": SECURITY[operation.auth]}
    if operation.tags:
        described["tags"] = list(operation.tags)
    parameters = [_path_param(name, dict(schema)) for name, schema in operation.path_params.items()]
    if operation.query:
        parameters += _query_parameters(schemas, operation.query)
    if parameters:
        described["parameters"] = parameters
    if operation.body or operation.other_bodies:
        content = {media: AUDIO_BODY["content"].get(media, {"schema": BINARY}) for media in operation.other_bodies}
        if operation.body:
            content["application/json"] = {"schema": _ref(operation.body)}
        described["requestBody"] = {"required": operation.required_body, "content": content}
    answers: dict[str, Any] = {}
    for status, type_name in operation.returns.items():
        answers[str(status)] = (
            dict(operation.media[status])
            if status in operation.media
            else _json(_ref(type_name), type_name)
            if type_name
            else {"description": "done"}
        )
    refused_to_a_read_key = (403,) if operation.scope == "write" else ()  # insufficient_scope
    described["responses"] = {**answers, **_errors(*sorted({*operation.errors, *refused_to_a_read_key}))}
    return described


def _query_parameters(schemas: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    query = schemas[type_name]
    return [
        _query(name, _plain(schema), schema.get("description", ""), name in query.get("required", []))
        for name, schema in query["properties"].items()
    ]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: its value, not its absence (an absent or empty parameter is no filter)."""
    options = [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]
    plain = dict(options[0]) if len(options) == 1 else {"anyOf": options}
    plain.pop("description", None)
    return plain


def _schemas() -> dict[str, Any]:
    """Every declared type's JSON Schema, by its name (msgspec makes them from the same Structs that validate)."""
    import msgspec

    types = [
        value
        for module in _contract_modules()
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct) and value is not msgspec.Struct
    ]
    unique = tuple(dict.fromkeys(types))
    _, components = msgspec.json.schema_components(unique, ref_template="#/components/schemas/{name}")
    return components


def _contract_modules() -> list[Any]:
    """api/contract.py and every module of api/schemas/."""
    import importlib
    import pkgutil

    from chalicelib.api import contract, schemas

    names = sorted(info.name for info in pkgutil.iter_modules(schemas.__path__))
    return [contract, *(importlib.import_module(f"{schemas.__name__}.{name}") for name in names)]
