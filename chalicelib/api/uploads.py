"""Reading an upload out of a request: raw audio or multipart/form-data within the size limit, and the recording
metadata that rides beside it in the query string or the form.

Chalice has no multipart parser; the standard library's `email` parser reads the MIME structure (it is the parser
the `cgi` module used) and hands back each part's bytes untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.api.http import BadRequest, LengthRequired
from chalicelib.config import settings
from chalicelib.errors import TooLarge


MAX_FORM_PARTS = 32  # a file and its metadata fields need a dozen


@dataclass(frozen=True)
class Upload:
    body: bytes
    filename: str | None
    fields: dict[str, str] = field(default_factory=dict)


def upload_of(request: Any, file_field: str = "file") -> Upload:
    """The audio a request carries: its raw body, or the multipart part `file_field` (else the first file part)."""
    headers = request.headers
    return read_upload(
        headers.get("content-type"),
        request.raw_body,
        max_bytes=settings().max_body_bytes,
        declared_length=headers.get("content-length"),
        chunked="chunked" in headers.get("transfer-encoding", "").lower(),
        file_field=file_field,
    )


def metadata_from_params(query: Any, form: dict[str, str]) -> dict[str, Any]:
    """Recording metadata sent beside a direct upload, in the query string or the multipart form:
    name, kind, visibility, host, title, author, narrator, and participants (repeated, or comma-separated)."""

    def every(name: str) -> list[str]:
        return list(query.getlist(name)) if query and name in query else []  # Chalice's getlist raises otherwise

    metadata: dict[str, Any] = {}
    for name in ("name", "kind", "visibility", "host", "title", "author", "narrator"):
        values = every(name)
        value = values[-1] if values else form.get(name)
        if value is not None:
            metadata[name] = value
    participants = every("participants") or ([form["participants"]] if "participants" in form else [])
    if participants:
        metadata["participants"] = [name.strip() for value in participants for name in value.split(",")]
    return metadata


def read_upload(
    content_type: str | None,
    body: bytes,
    *,
    max_bytes: int,
    declared_length: str | None = None,
    chunked: bool = False,
    file_field: str = "file",
) -> Upload:
    if _too_large(declared_length, max_bytes) or len(body) > max_bytes:
        raise TooLarge(
            f"the body is larger than {max_bytes} bytes, the limit for direct uploads; for larger files create the "
            "recording with POST /recordings and a JSON body, then PUT the file to the presigned upload URL",
            limit=max_bytes,
        )
    if not body:
        if chunked:
            raise LengthRequired(
                "the body was sent with Transfer-Encoding: chunked, which this endpoint cannot read; send it with "
                "a Content-Length (curl --data-binary @file)"
            )
        raise BadRequest("the body is empty: send the audio file as the request body")
    if (content_type or "").lower().startswith("multipart/form-data"):
        return _read_multipart(content_type or "", body, file_field)
    return Upload(body=body, filename=None)


def _too_large(declared_length: str | None, max_bytes: int) -> bool:
    try:
        return declared_length is not None and int(declared_length) > max_bytes
    except ValueError:
        return False


def _read_multipart(content_type: str, body: bytes, file_field: str) -> Upload:
    import email.parser  # here, not at import: 15 ms of the API's cold start, for the few requests that are forms
    import email.policy

    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    boundary = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head).get_boundary()
    # Parsing costs per part: a body of 80,000 tiny parts took 12 s of CPU. Counting the delimiters is C speed.
    if boundary and body.count(b"--" + boundary.encode("latin-1", "replace")) > MAX_FORM_PARTS + 1:
        raise BadRequest(f"the multipart body has more than {MAX_FORM_PARTS} parts", limit=MAX_FORM_PARTS)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest("the multipart body could not be parsed (is the boundary right?)")
    audio: bytes | None = None
    filename: str | None = None
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)  # bytes, or None for a part that is itself multipart
        payload = payload if isinstance(payload, bytes) else b""
        if name == file_field or (audio is None and part.get_filename() is not None and name not in fields):
            if audio is None:
                audio, filename = payload, part.get_filename()
        elif isinstance(name, str):
            fields[name] = payload.decode("utf-8", "replace")
    if audio is None:
        raise BadRequest(f"the multipart body has no '{file_field}' part with the audio file", field=file_field)
    if not audio:
        raise BadRequest(f"the '{file_field}' part is empty", field=file_field)
    return Upload(body=audio, filename=filename, fields=fields)
