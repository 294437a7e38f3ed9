"""The OpenAPI paths of the compatibility routes (the earlier specs in seeds/), a part of openapi.py's document."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi import (
    AUDIO_BODY,
    DOWNLOAD,
    ID_PATTERN,
    LOOSE_OBJECT,
    OPTIONAL_AUTH,
    RECORDING,
    TEXT,
    _errors,
    _json,
    _path_param,
    _query,
)

LEGACY_UPLOAD_FORM: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        }
    },
}


def compat_paths(list_filters: list[dict[str, Any]]) -> dict[str, Any]:
    """`list_filters`: the primary list's query parameters (from its declared type), which seeds/000's /list takes
    too."""
    return {**_seed_000_paths(list_filters), **_file_server_paths(), **_legacy_account_paths()}


def _seed_000_paths(list_filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "/post": {
            "post": {
                "summary": "seeds/000: store raw audio",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "parameters": [_query("name", {"type": "string", "maxLength": 255})],
                "requestBody": AUDIO_BODY,
                "responses": {"200": _json(RECORDING, "stored"), **_errors(400, 401, 411, 413, 415, 422, 429)},
            }
        },
        "/list": {
            "get": {
                "summary": "seeds/000: list",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "parameters": [
                    _query("maxduration", {"type": "number", "minimum": 0}),
                    _query("minduration", {"type": "number", "minimum": 0}),
                    *list_filters,
                ],
                "responses": {"200": _json({"type": "array", "items": RECORDING}, "recordings"), **_errors(400, 401)},
            }
        },
        "/download": {
            "get": {
                "summary": "seeds/000: a file's content by name",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "parameters": [
                    _query("name", {"type": "string"}),
                    _query("id", {"type": "string"}),
                    _query("format", {"type": "string", "enum": ["original", "mp3"]}),
                ],
                "responses": {**DOWNLOAD, **_errors(400, 401, 404, 409)},
            }
        },
        "/info": {
            "get": {
                "summary": "seeds/000: metadata by name",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "parameters": [_query("name", {"type": "string"}), _query("id", {"type": "string"})],
                "responses": {"200": _json(RECORDING, "the newest with that name"), **_errors(400, 401, 404)},
            }
        },
    }


def _file_server_paths() -> dict[str, Any]:
    """seeds/001, the audio file server."""
    kind_param = _path_param("kind", {"type": "string", "maxLength": 32})
    audio_id = _path_param("audio_id", {"type": "string", "pattern": ID_PATTERN})
    file_server_errors = _errors(400, 401, 403, 404, 409, 413)
    return {
        "/api/audio/create": {
            "post": {
                "summary": "seeds/001: create audio file metadata",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "requestBody": {"required": True, "content": {"application/json": {"schema": LOOSE_OBJECT}}},
                "responses": {"200": _json(RECORDING, "created"), **file_server_errors, **_errors(429)},
            }
        },
        "/api/audio/{kind}": {
            "get": {
                "summary": "seeds/001: list a kind",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "parameters": [kind_param],
                "responses": {
                    "200": _json({"type": "array", "items": RECORDING}, "the kind's files"),
                    **file_server_errors,
                },
            }
        },
        "/api/audio/{kind}/{audio_id}": {
            "parameters": [kind_param, audio_id],
            "get": {
                "summary": "seeds/001: one",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "responses": {"200": _json(RECORDING, "the file's metadata"), **file_server_errors},
            },
            "put": {
                "summary": "seeds/001: attach the audio (multipart) or change metadata (JSON)",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "requestBody": {
                    "required": True,
                    "content": {**LEGACY_UPLOAD_FORM["content"], "application/json": {"schema": LOOSE_OBJECT}},
                },
                "responses": {"200": _json(RECORDING, "updated"), **file_server_errors, **_errors(411, 415, 429)},
            },
            "delete": {
                "summary": "seeds/001: delete",
                "tags": ["compat"],
                "security": OPTIONAL_AUTH,
                "responses": {"200": _json(LOOSE_OBJECT, "deleted"), **file_server_errors},
            },
        },
    }


def _legacy_account_paths() -> dict[str, Any]:
    """seeds/002 to 004: users by name or id, and the WAV uploads that name their user in the form."""
    return {
        "/user": {
            "post": {
                "summary": "seeds/003 (PigWav): a user by name; seeds/002: by id",
                "tags": ["compat"],
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"name": TEXT, "id": {"type": "integer", "minimum": 1}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object", "required": ["id", "token"]}, "created"),
                    **_errors(400, 409, 422, 429),
                },
            }
        },
        "/user/{user_id}": {
            "get": {
                "summary": "seeds/002: does the user exist",
                "tags": ["compat"],
                "security": [],
                "parameters": [_path_param("user_id", {"type": "string", "pattern": "^[0-9]{1,16}$"})],
                "responses": {"200": _json({"$ref": "#/components/schemas/User"}, "yes"), **_errors(400, 404)},
            }
        },
        "/record": {
            "post": {
                "summary": "seeds/003 (PigWav): upload a WAV with user_id and token",
                "tags": ["compat"],
                "security": [],
                "requestBody": LEGACY_UPLOAD_FORM,
                "responses": {
                    "200": _json({"type": "object", "required": ["url"]}, "the download URL"),
                    **_errors(400, 401, 403, 404, 411, 413, 415, 422),
                },
            },
            "get": {
                "summary": "seeds/003 (PigWav): download the MP3",
                "tags": ["compat"],
                "security": [],
                "parameters": [
                    _query("id", {"type": "string"}, required=True),
                    _query("user", {"type": "string"}, required=True),
                ],
                "responses": {**DOWNLOAD, **_errors(400, 401, 404, 409)},
            },
        },
        "/api/registration": {
            "post": {
                "summary": "seeds/004: register",
                "tags": ["compat"],
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object", "properties": {"username": TEXT}}}},
                },
                "responses": {
                    "200": _json({"type": "object", "required": ["id_user", "user_token"]}, "created"),
                    **_errors(400, 409, 422, 429),
                },
            }
        },
        "/api/upload_audiorecord": {
            "post": {
                "summary": "seeds/004: upload a WAV (form: user_token, id_user, file_wav)",
                "tags": ["compat"],
                "security": [],
                "requestBody": LEGACY_UPLOAD_FORM,
                "responses": {
                    "200": _json({"type": "object", "required": ["URL for download"]}, "the download URL"),
                    **_errors(400, 401, 403, 404, 411, 413, 415, 422),
                },
            }
        },
        "/api/download": {
            "get": {
                "summary": "seeds/004: download the MP3",
                "tags": ["compat"],
                "security": [],
                "parameters": [
                    _query("id_record", {"type": "string"}, required=True),
                    _query("id_user", {"type": "string"}, required=True),
                ],
                "responses": {**DOWNLOAD, **_errors(400, 401, 404, 409)},
            }
        },
    }
