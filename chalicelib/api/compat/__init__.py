"""The earlier specs' calls, unchanged for their clients: one module per spec, each a blueprint that only translates.

Each route reads its spec's parameters and names, calls the same services and edge helpers as `app.py` (the caller,
the visibility and listing rules, the upload reader), and answers in its spec's shape:
- `audio_server`  seeds/000: POST /post, GET /list, /download, /info;
- `file_server`   seeds/001: /api/audio/create, /api/audio/<kind>[/<id>];
- `user_calls`    seeds/002 (Cloud Sound): POST /user, GET /user/<id> (the rest is the primary API);
- `pigwav`        seeds/003: POST /user by name (in `user_calls`), POST and GET /record;
- `task2`         seeds/004: /api/registration, /api/upload_audiorecord, /api/download.
Calls those specs make without a token act as the anonymous user (`GUEST`, id 0) where they create or change
something; with `Authorization: Bearer`, as the token's user.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.compat import audio_server, file_server, pigwav, task2, user_calls

BLUEPRINTS: tuple[Blueprint, ...] = (
    audio_server.blueprint,
    file_server.blueprint,
    user_calls.blueprint,
    pigwav.blueprint,
    task2.blueprint,
)
