"""The OpenAPI 3.1 document of every route, served at /openapi.json. The primary API's operations come from the route
table (api/declared.py) and their schemas from the declared types (api/contract.py), so the document says what the
code validates and answers; the earlier specs' calls (api/compat/) are described here by hand, in their own shapes.
A test checks the document against the app's routes both ways, another sends every declared limit and one past it,
and schemathesis fuzzes the running stack from it."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.api.declared import OPERATIONS, Operation

ERROR = {"$ref": "#/components/schemas/Error"}
RECORDING = {"$ref": "#/components/schemas/Recording"}
ID_PATTERN = "^[A-Za-z0-9-]{1,64}$"
SECURITY = {"open": [], "optional": [{"bearer": []}, {}], "token": [{"bearer": []}]}
OPTIONAL_AUTH = SECURITY["optional"]
TEXT = {"type": "string", "maxLength": 100}
LOOSE_OBJECT = {"type": "object"}
BINARY = {"type": "string", "format": "binary"}
AUDIO_BODY = {"content": {
    "application/octet-stream": {"schema": BINARY},
    "audio/wav": {"schema": BINARY},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": BINARY}}},
}}
DOWNLOAD = {
    "200": {"description": "the file's bytes (small files, binary Accept)",
            "content": {"audio/*": {"schema": BINARY}, "application/octet-stream": {"schema": BINARY}}},
    "302": {"description": "a presigned S3 link to the file",
            "headers": {"Location": {"schema": {"type": "string"}}}},
}
ERRORS = {
    400: "bad parameters or body", 401: "missing or unknown token", 403: "not the owner", 404: "unknown",
    409: "conflict, or not ready yet (see status and Retry-After)", 411: "chunked body",
    413: "over the size limit, or over the quota (code quota_exceeded)", 415: "not audio",
    422: "a field that does not fit (field names it)",
    429: "too many registrations or anonymous uploads from this address (see retry_after and Retry-After)",
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in statuses}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    import app  # noqa: F401 (its routes declare the operations)

    schemas = _schemas()
    paths: dict[str, Any] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, schemas)
    paths.update(_compat_paths(_query_parameters(schemas, "ListParams")))
    responses = {f"E{status}": _json(ERROR, description) for status, description in ERRORS.items()}
    responses["E429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Cloud Sound", "version": "1.0.0",
                 "description": "Upload audio, get MP3s and metadata. Errors: {error: {code, message}}."},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "responses": responses, "schemas": schemas},
    }


def _operation(operation: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {"summary": operation.summary, "security": SECURITY[operation.auth]}
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
        answers[str(status)] = (dict(operation.media[status]) if status in operation.media
                                else _json(_ref(type_name), type_name) if type_name else {"description": "done"})
    described["responses"] = {**answers, **_errors(*operation.errors)}
    return described


def _query_parameters(schemas: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    query = schemas[type_name]
    return [_query(name, _plain(schema), schema.get("description", ""), name in query.get("required", []))
            for name, schema in query["properties"].items()]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: its value, not its absence (an absent or empty parameter is no filter)."""
    options = [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]
    plain = dict(options[0]) if len(options) == 1 else {"anyOf": options}
    plain.pop("description", None)
    return plain


def _compat_paths(list_filters: list[dict[str, Any]]) -> dict[str, Any]:
    legacy_upload_form = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    kind_param = _path_param("kind", {"type": "string", "maxLength": 32})
    audio_id = _path_param("audio_id", {"type": "string", "pattern": ID_PATTERN})
    file_server_errors = _errors(400, 401, 403, 404, 409, 413)
    return {
        "/post": {"post": {"summary": "seeds/000: store raw audio", "tags": ["compat"], "security": OPTIONAL_AUTH,
                           "parameters": [_query("name", {"type": "string", "maxLength": 255})],
                           "requestBody": AUDIO_BODY,
                           "responses": {"200": _json(RECORDING, "stored"),
                                         **_errors(400, 401, 411, 413, 415, 422, 429)}}},
        "/list": {"get": {"summary": "seeds/000: list", "tags": ["compat"], "security": OPTIONAL_AUTH,
                          "parameters": [_query("maxduration", {"type": "number", "minimum": 0}),
                                         _query("minduration", {"type": "number", "minimum": 0}), *list_filters],
                          "responses": {"200": _json({"type": "array", "items": RECORDING}, "recordings"),
                                        **_errors(400, 401)}}},
        "/download": {"get": {"summary": "seeds/000: a file's content by name", "tags": ["compat"],
                              "security": OPTIONAL_AUTH,
                              "parameters": [_query("name", {"type": "string"}), _query("id", {"type": "string"}),
                                             _query("format", {"type": "string", "enum": ["original", "mp3"]})],
                              "responses": {**DOWNLOAD, **_errors(400, 401, 404, 409)}}},
        "/info": {"get": {"summary": "seeds/000: metadata by name", "tags": ["compat"], "security": OPTIONAL_AUTH,
                          "parameters": [_query("name", {"type": "string"}), _query("id", {"type": "string"})],
                          "responses": {"200": _json(RECORDING, "the newest with that name"),
                                        **_errors(400, 401, 404)}}},
        "/api/audio/create": {"post": {
            "summary": "seeds/001: create audio file metadata", "tags": ["compat"], "security": OPTIONAL_AUTH,
            "requestBody": {"required": True, "content": {"application/json": {"schema": LOOSE_OBJECT}}},
            "responses": {"200": _json(RECORDING, "created"), **file_server_errors, **_errors(429)}}},
        "/api/audio/{kind}": {"get": {
            "summary": "seeds/001: list a kind", "tags": ["compat"], "security": OPTIONAL_AUTH,
            "parameters": [kind_param],
            "responses": {"200": _json({"type": "array", "items": RECORDING}, "the kind's files"),
                          **file_server_errors}}},
        "/api/audio/{kind}/{audio_id}": {
            "parameters": [kind_param, audio_id],
            "get": {"summary": "seeds/001: one", "tags": ["compat"], "security": OPTIONAL_AUTH,
                    "responses": {"200": _json(RECORDING, "the file's metadata"), **file_server_errors}},
            "put": {"summary": "seeds/001: attach the audio (multipart) or change metadata (JSON)",
                    "tags": ["compat"], "security": OPTIONAL_AUTH,
                    "requestBody": {"required": True, "content": {
                        **legacy_upload_form["content"], "application/json": {"schema": LOOSE_OBJECT}}},
                    "responses": {"200": _json(RECORDING, "updated"), **file_server_errors,
                                  **_errors(411, 415, 429)}},
            "delete": {"summary": "seeds/001: delete", "tags": ["compat"], "security": OPTIONAL_AUTH,
                       "responses": {"200": _json(LOOSE_OBJECT, "deleted"), **file_server_errors}},
        },
        "/user": {"post": {"summary": "seeds/003 (PigWav): a user by name; seeds/002: by id", "tags": ["compat"],
                           "security": [],
                           "requestBody": {"required": True, "content": {"application/json": {"schema": {
                               "type": "object", "properties": {"name": TEXT, "id": {"type": "integer",
                                                                                     "minimum": 1}}}}}},
                           "responses": {"200": _json({"type": "object", "required": ["id", "token"]}, "created"),
                                         **_errors(400, 409, 422, 429)}}},
        "/user/{user_id}": {"get": {
            "summary": "seeds/002: does the user exist", "tags": ["compat"], "security": [],
            "parameters": [_path_param("user_id", {"type": "string", "pattern": "^[0-9]{1,16}$"})],
            "responses": {"200": _json({"$ref": "#/components/schemas/User"}, "yes"), **_errors(400, 404)}}},
        "/record": {
            "post": {"summary": "seeds/003 (PigWav): upload a WAV with user_id and token", "tags": ["compat"],
                     "security": [], "requestBody": legacy_upload_form,
                     "responses": {"200": _json({"type": "object", "required": ["url"]}, "the download URL"),
                                   **_errors(400, 401, 403, 404, 411, 413, 415, 422)}},
            "get": {"summary": "seeds/003 (PigWav): download the MP3", "tags": ["compat"], "security": [],
                    "parameters": [_query("id", {"type": "string"}, required=True),
                                   _query("user", {"type": "string"}, required=True)],
                    "responses": {**DOWNLOAD, **_errors(400, 401, 404, 409)}},
        },
        "/api/registration": {"post": {
            "summary": "seeds/004: register", "tags": ["compat"], "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"username": TEXT}}}}},
            "responses": {"200": _json({"type": "object", "required": ["id_user", "user_token"]}, "created"),
                          **_errors(400, 409, 422, 429)}}},
        "/api/upload_audiorecord": {"post": {
            "summary": "seeds/004: upload a WAV (form: user_token, id_user, file_wav)", "tags": ["compat"],
            "security": [], "requestBody": legacy_upload_form,
            "responses": {"200": _json({"type": "object", "required": ["URL for download"]}, "the download URL"),
                          **_errors(400, 401, 403, 404, 411, 413, 415, 422)}}},
        "/api/download": {"get": {
            "summary": "seeds/004: download the MP3", "tags": ["compat"], "security": [],
            "parameters": [_query("id_record", {"type": "string"}, required=True),
                           _query("id_user", {"type": "string"}, required=True)],
            "responses": {**DOWNLOAD, **_errors(400, 401, 404, 409)}}},
    }


def _schemas() -> dict[str, Any]:
    """Every declared type's JSON Schema, by its name (msgspec makes them from the same Structs that validate)."""
    import msgspec

    from chalicelib.api import contract

    types = [getattr(contract, name) for name in dir(contract)
             if isinstance(getattr(contract, name), type) and issubclass(getattr(contract, name), msgspec.Struct)
             and getattr(contract, name) is not msgspec.Struct]
    _, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    return components
