"""The OpenAPI 3.1 document of every route, served at /openapi.json. A test checks it against the app's routes both
ways, and schemathesis fuzzes the running stack from it."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.metadata import MAX_LINK_UPLOAD_BYTES

ERROR = {"$ref": "#/components/schemas/Error"}
RECORDING = {"$ref": "#/components/schemas/Recording"}
ID_PATTERN = "^[A-Za-z0-9-]{1,64}$"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in statuses}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


RECORDING_ID = _path_param("recording_id", {"type": "string", "pattern": ID_PATTERN})
SECURED = [{"bearer": []}]
OPTIONAL_AUTH = [{"bearer": []}, {}]
AUDIO_BODY = {"content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "audio/wav": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                   "format": "binary"}}}},
}}
DOWNLOAD = {
    "200": {"description": "the file's bytes (small files, binary Accept)",
            "content": {"audio/*": {"schema": {"type": "string", "format": "binary"}},
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    "302": {"description": "a presigned S3 link to the file",
            "headers": {"Location": {"schema": {"type": "string"}}}},
}
LIST_FILTERS = [
    _query("owner", {"type": "integer", "minimum": 0}),
    _query("kind", {"type": "string", "enum": ["song", "podcast", "audiobook", "other"]}),
    _query("name", {"type": "string", "maxLength": 255}),
    _query("status", {"type": "string", "enum": ["awaiting_upload", "processing", "ready", "failed"]}),
    _query("min_duration", {"type": "number", "minimum": 0}, "seconds, inclusive"),
    _query("max_duration", {"type": "number", "minimum": 0}, "seconds, inclusive"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    _query("cursor", {"type": "string"}, "next_cursor of the previous page"),
]
TEXT = {"type": "string", "maxLength": 100}
METADATA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 255},
        "kind": {"type": "string", "enum": ["song", "podcast", "audiobook", "other"]},
        "visibility": {"type": "string", "enum": ["public", "private"]},
        "host": TEXT, "title": TEXT, "author": TEXT, "narrator": TEXT,
        "participants": {"type": "array", "maxItems": 10, "items": TEXT},
    },
}
SLOT = {**METADATA, "required": ["size"], "properties": {
    **METADATA["properties"],
    "size": {"type": "integer", "minimum": 1, "maximum": MAX_LINK_UPLOAD_BYTES,
             "description": "the file's size in bytes: reserved against the quota and signed into the upload link, "
                            "which takes exactly that many bytes"}}}
UPLOAD_SLOT = {"type": "object", "required": ["url", "method", "headers", "expires_at", "size", "max_bytes"],
               "properties": {
                   "url": {"type": "string"}, "method": {"const": "PUT"},
                   "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                   "expires_at": {"type": "string"},
                   "size": {"type": "integer", "description": "the bytes the link takes, as declared"},
                   "max_bytes": {"type": "integer", "description": "the same: no more and no fewer"}}}
LOOSE_OBJECT = {"type": "object"}


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from chalicelib.api.openapi_compat import compat_paths  # it builds on the pieces here

    return {
        "openapi": "3.1.0",
        "info": {"title": "Cloud Sound", "version": "1.0.0",
                 "description": "Upload audio, get MP3s and metadata. Errors: {error: {code, message}}."},
        "paths": {**_site_paths(), **_recording_paths(), **compat_paths()},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": _error_responses(),
            "schemas": _schemas(),
        },
    }


def _error_responses() -> dict[str, Any]:
    responses = {
        f"E{status}": _json(ERROR, description)
        for status, description in [
            (400, "bad parameters or body"), (401, "missing or unknown token"), (403, "not the owner"),
            (404, "unknown"), (409, "conflict, or not ready yet (see status and Retry-After)"),
            (411, "chunked body"), (413, "over the size limit, or over the quota (code quota_exceeded)"), (415, "not audio"),
            (422, "invalid metadata"),
            (429, "too many registrations or anonymous uploads from this address (see retry_after and Retry-After)"),
        ]
    }
    responses["E429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    return responses


def _site_paths() -> dict[str, Any]:
    return {
        "/": {"get": {"summary": "the web page", "security": [],
                      "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {
                          "type": "string"}}}}}}},
        "/health": {"get": {"summary": "liveness", "security": [],
                            "responses": {"200": _json({"type": "object", "required": ["status"], "properties": {
                                "status": {"const": "ok"}}}, "alive")}}},
        "/openapi.json": {"get": {"summary": "this document", "security": [],
                                  "responses": {"200": _json(LOOSE_OBJECT, "OpenAPI 3.1")}}},
        "/users": {"post": {
            "summary": "register: a token, shown once", "security": [],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"name": {"type": "string", "maxLength": 100},
                                                 "id": {"type": "integer", "minimum": 1}}}}}},
            "responses": {"201": _json({"$ref": "#/components/schemas/NewUser"}, "created"),
                          **_errors(400, 409, 422, 429)}}},
        "/users/{user_id}": {"get": {
            "summary": "a user", "security": [],
            "parameters": [_path_param("user_id", {"type": "string", "pattern": "^[0-9]{1,16}$"})],
            "responses": {"200": _json({"$ref": "#/components/schemas/User"}, "the user"), **_errors(400, 404)}}},
        "/me": {"get": {"summary": "the token's user, with what their recordings use of their quota and what their "
                                   "upload slots reserve of it",
                        "security": SECURED,
                        "responses": {"200": _json({"$ref": "#/components/schemas/Me"}, "you"),
                                      **_errors(401)}}},
    }


def _recording_paths() -> dict[str, Any]:
    return {
        "/recordings": {
            "post": {
                "summary": "upload audio (raw or multipart, ≤ 4 MiB) or create an upload slot (JSON with the file's "
                           "size, up to 5 GiB)",
                "security": SECURED,
                "parameters": [_query("name", {"type": "string", "maxLength": 255}),
                               *[_query(f, TEXT) for f in ("kind", "visibility", "host", "title", "author",
                                                          "narrator", "participants")]],
                "requestBody": {"required": True, "content": {**AUDIO_BODY["content"],
                                                              "application/json": {"schema": SLOT}}},
                "responses": {"201": _json({"allOf": [RECORDING, {"type": "object", "required": ["upload"],
                                                                  "properties": {"upload": UPLOAD_SLOT}}]},
                                           "an upload slot"),
                              "202": _json(RECORDING, "stored; converting"),
                              **_errors(400, 401, 411, 413, 415, 422)}},
            "get": {
                "summary": "list, newest first", "security": OPTIONAL_AUTH, "parameters": LIST_FILTERS,
                "responses": {"200": _json({"type": "object", "required": ["items", "next_cursor"], "properties": {
                    "items": {"type": "array", "items": RECORDING},
                    "next_cursor": {"type": ["string", "null"]}}}, "a page"), **_errors(400, 401)}},
        },
        "/recordings/{recording_id}": {
            "parameters": [RECORDING_ID],
            "get": {"summary": "a recording", "security": OPTIONAL_AUTH,
                    "responses": {"200": _json(RECORDING, "the recording"), **_errors(401, 404)}},
            "patch": {"summary": "edit (owner)", "security": SECURED,
                      "requestBody": {"required": True, "content": {"application/json": {"schema": METADATA}}},
                      "responses": {"200": _json(RECORDING, "edited"), **_errors(400, 401, 403, 404, 409, 422)}},
            "delete": {"summary": "delete (owner)", "security": SECURED,
                       "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404, 409)}},
        },
        "/recordings/{recording_id}/audio": {"get": {
            "summary": "download: a presigned link", "security": OPTIONAL_AUTH,
            "parameters": [RECORDING_ID, _query("format", {"type": "string", "enum": ["mp3", "original"]})],
            "responses": {"302": DOWNLOAD["302"],
                          "200": _json({"type": "object", "required": ["url"], "properties": {
                              "url": {"type": "string"}, "expires_in": {"type": "integer"}}},
                              "the link, for Accept: application/json"),
                          **_errors(400, 401, 404, 409)}}},
        "/recordings/{recording_id}/peaks": {"get": {
            "summary": "waveform peaks", "security": OPTIONAL_AUTH, "parameters": [RECORDING_ID],
            "responses": {"200": _json({"type": "object", "required": ["peaks", "duration"], "properties": {
                "peaks": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
                "duration": {"type": "number"}}}, "peaks"), **_errors(401, 404, 409)}}},
    }


def _schemas() -> dict[str, Any]:
    nullable_int = {"type": ["integer", "null"]}
    nullable_number = {"type": ["number", "null"]}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "field": {"type": "string"},
                           "retry_after": {"type": "integer", "description": "seconds before asking again"}}}}},
        "User": {"type": "object", "required": ["id", "name", "created_at"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "created_at": {"type": "string"}}},
        "Me": {"allOf": [{"$ref": "#/components/schemas/User"}, {
            "type": "object", "required": ["usage", "reserved", "quota"], "properties": {
                "usage": {"$ref": "#/components/schemas/Amount"}, "quota": {"$ref": "#/components/schemas/Amount"},
                "reserved": {"type": "object", "required": ["bytes"], "description": "held for upload slots "
                             "and uploads not yet converted", "properties": {"bytes": {"type": "integer"}}}}}]},
        "Amount": {"type": "object", "required": ["bytes", "seconds"], "properties": {
            "bytes": {"type": "integer"}, "seconds": {"type": "number"}}},
        "NewUser": {"allOf": [{"$ref": "#/components/schemas/User"}, {
            "type": "object", "required": ["token"], "properties": {"token": {"type": "string",
                                                                              "format": "uuid"}}}]},
        "Recording": {"type": "object", "required": ["id", "name", "owner", "kind", "visibility", "status",
                                                     "created_at", "links"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "owner": {"type": "integer"},
            "owner_name": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": ["song", "podcast", "audiobook", "other"]},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "status": {"type": "string", "enum": ["awaiting_upload", "processing", "ready", "failed"]},
            "error": {"type": ["string", "null"]},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"},
            "duration": nullable_number,
            "original": {"type": "object", "properties": {
                "content_type": {"type": ["string", "null"]}, "size": nullable_int,
                "format": {"type": ["string", "null"]}, "codec": {"type": ["string", "null"]},
                "sample_rate": nullable_int, "channels": nullable_int, "bits_per_sample": nullable_int,
                "duration": nullable_number, "filename": {"type": ["string", "null"]},
                "tags": {"type": "object", "description": "The original file's own tags (title, artist, album, "
                         "date, genre, …, by ffmpeg's names), as read when it was converted",
                         "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
            "mp3": {"type": ["object", "null"], "properties": {
                "size": {"type": "integer"}, "bitrate": {"type": "integer"}, "duration": {"type": "number"},
                "sample_rate": {"type": "integer"}}},
            "loudness": {"type": ["object", "null"], "description": "EBU R128, measured while converting; null until "
                         "the recording is ready", "required": ["integrated", "range", "true_peak"], "properties": {
                             "integrated": {"type": "number", "description": "integrated loudness, LUFS"},
                             "range": {"type": "number", "description": "loudness range, LU"},
                             "true_peak": {"type": ["number", "null"],
                                           "description": "true peak, dBTP (null for digital silence)"}}},
            "host": {"type": "string"}, "title": {"type": "string"}, "author": {"type": "string"},
            "narrator": {"type": "string"}, "participants": {"type": "array", "items": {"type": "string"}},
            "links": {"type": "object", "required": ["self", "audio", "original", "peaks"], "properties": {
                "self": {"type": "string"}, "audio": {"type": "string"}, "original": {"type": "string"},
                "peaks": {"type": "string"}}},
        }},
    }
