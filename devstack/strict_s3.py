"""The local AWS endpoint: moto's own WSGI application behind a thin layer that is as strict as S3 where moto is lax,
and that tells the data mirror what each request changed.

In front of moto, for S3:
- a presigned (SigV4 query) request is verified: signature over method, path, query and signed headers, and expiry
  (devstack/sigv4.py); a request with no signature at all is refused, as a private bucket refuses it. Failures
  answer S3's XML error body with S3's status (403 SignatureDoesNotMatch, 403 AccessDenied "Request has expired").
- requests signed in the Authorization header (boto3's calls from the app and the workers) are passed through as
  moto does: only this machine's processes hold the local credentials, and verifying them would mean hashing every
  body a second time on every DynamoDB and S3 call.
- a PUT whose Content-Length is over 5 GiB is refused (400 EntityTooLarge) before its body is read; a presigned PUT
  without a Content-Length gets 411 MissingContentLength.
- a verified presigned GET or HEAD of a key the bucket does not hold answers S3's 404 NoSuchKey. moto, finding no
  key, compares the link's `response-content-*` parameters with the request's own headers and answers 403
  SignatureDoesNotMatch (moto/s3/responses.py: `_invalid_headers`), so every download link of a deleted recording
  read as a signing bug. The signature is checked here already; on moto's 403 the layer asks moto (a HEAD through
  its own API) whether the key exists, and answers 404 if it does not.
- a PUT sent as `application/x-www-form-urlencoded` (curl --data-binary's default) reaches moto as
  `application/octet-stream`: moto would otherwise parse the body as a form (a 120 MB PUT took over 100 s). The body
  is passed on as the stream it is; nothing here reads it.

Running moto's application in the same server (rather than a proxy in front of a second port) costs no extra hop on
the app's DynamoDB calls, and keeps one stable port for the links.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree
from typing import Any, Protocol
from collections.abc import Callable, Iterable, Mapping
from xml.sax.saxutils import escape

from devstack.sigv4 import Refusal, is_presigned_v4, verify_presigned

MAX_SINGLE_PUT_BYTES = 5 * 1024**3  # S3's limit for one PUT (and one part)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
log = logging.getLogger("cloudsound.strict_s3")

# moto does not check a signature in the Authorization header: only its scope (the service) matters to it.
_PROBE_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
)
_DYNAMODB_READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "Describe", "List")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ChangeListener(Protocol):
    """Told, before the client gets its answer, what a successful request changed."""

    def objects_changed(self, bucket: str, keys: list[str]) -> None: ...

    def tables_changed(self) -> None: ...


def service_of(environ: Mapping[str, Any], query: Mapping[str, str]) -> str | None:
    """Which AWS service a request is for, from its credential scope (header or query) or its target header."""
    scope = re.search(r"Credential=[^/,]+/\d{8}/[^/]+/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    if scope:
        return scope.group(1)
    credential = query.get("X-Amz-Credential", "").split("/")
    if len(credential) == 5:
        return credential[3]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith("DynamoDB"):
        return "dynamodb"
    if target.startswith("AmazonSQS"):
        return "sqs"
    return None


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers by lower-case name, as the client sent them."""
    headers = {
        name[5:].replace("_", "-").lower(): str(value) for name, value in environ.items() if name.startswith("HTTP_")
    }
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = str(environ[name])
    return headers


def raw_path_and_query(environ: Mapping[str, Any]) -> tuple[str, str]:
    """The path exactly as sent (percent-encoding included), and the raw query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = urllib.parse.urlsplit(raw).path if raw.startswith(("http://", "https://")) else raw.split("?", 1)[0]
    else:
        path = urllib.parse.quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/")
    return path, environ.get("QUERY_STRING", "")


def error_xml(refusal: Refusal, resource: str) -> bytes:
    """S3's error document."""
    request_id = uuid.uuid4().hex[:16].upper()
    details = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in refusal.details.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{refusal.code}</Code>'
        f"<Message>{escape(refusal.message)}</Message>{details}<Resource>{escape(resource)}</Resource>"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ).encode()


def _status_line(status: int) -> str:
    return {400: "400 Bad Request", 403: "403 Forbidden", 404: "404 Not Found", 411: "411 Length Required"}.get(
        status, f"{status} Error"
    )


def _refuse(start_response: Callable[..., Any], refusal: Refusal, raw_path: str, head: bool = False) -> list[bytes]:
    """S3's error answer (a HEAD's carries no body, as S3's does not)."""
    body = error_xml(refusal, urllib.parse.unquote(raw_path))
    start_response(
        _status_line(refusal.status),
        [
            ("Content-Type", "application/xml"),
            ("Content-Length", "0" if head else str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [] if head else [body]


def _close(response: Iterable[bytes]) -> None:
    close = getattr(response, "close", None)
    if close is not None:
        close()


def _whole(response: Iterable[bytes]) -> list[bytes]:
    """A WSGI answer's body read to its end (and the iterable closed)."""
    try:
        return [b"".join(response)]
    finally:
        _close(response)


class StrictS3:
    """The WSGI layer around moto's application (see the module's docstring)."""

    def __init__(
        self,
        moto_app: WsgiApp,
        secrets: Mapping[str, str],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.moto_app = moto_app
        self.secrets = dict(secrets)
        self.clock = clock
        self.listener: ChangeListener | None = None  # set once the data is restored: restoring mirrors nothing
        # moto's DynamoDB backend is not thread-safe: a TransactWriteItems checks its conditions and writes without
        # a lock (two racing for an owner's last free bytes both passed `#bytes <= :room`), and its deepcopy of a
        # table failed with "dictionary changed size during iteration" beside another write. DynamoDB applies each
        # request atomically; here they take turns (each is a few milliseconds).
        self._dynamodb_turn = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        raw_path, raw_query = raw_path_and_query(environ)
        query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        service = service_of(environ, query)
        if raw_path.startswith("/moto-api") or method == "OPTIONS":
            return self.moto_app(environ, start_response)  # moto's own controls; CORS preflights carry no signature
        if service in (None, "s3"):
            refusal = self._check_s3(environ, method, raw_path, raw_query, query)
            if refusal is not None:
                return _refuse(start_response, refusal, raw_path)
            if method in ("GET", "HEAD") and is_presigned_v4(query):
                return self._presigned_read(environ, start_response, raw_path)
            if method == "PUT" and environ.get("CONTENT_TYPE", "").lower().startswith(FORM_CONTENT_TYPE):
                environ["CONTENT_TYPE"] = "application/octet-stream"
        listener = self.listener
        if service == "dynamodb":
            with self._dynamodb_turn:  # the whole answer is made in turn (moto's DynamoDB bodies are small)
                if listener is None:
                    return _whole(self.moto_app(environ, start_response))
                return _whole(
                    self._call_and_report(environ, start_response, listener, service, method, raw_path, query)
                )
        if listener is None:
            return self.moto_app(environ, start_response)
        return self._call_and_report(environ, start_response, listener, service, method, raw_path, query)

    def _check_s3(
        self, environ: Mapping[str, Any], method: str, raw_path: str, raw_query: str, query: Mapping[str, str]
    ) -> Refusal | None:
        presigned = is_presigned_v4(query)
        if not presigned and "HTTP_AUTHORIZATION" not in environ and "Signature" not in query:
            return Refusal(403, "AccessDenied", "Access Denied")  # the bucket is private, as deployed
        if method == "PUT":
            length = environ.get("CONTENT_LENGTH") or ""
            if length.isdigit() and int(length) > MAX_SINGLE_PUT_BYTES:
                return Refusal(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    {"ProposedSize": length, "MaxSizeAllowed": str(MAX_SINGLE_PUT_BYTES)},
                )
            if presigned and not length:
                return Refusal(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        if presigned:
            return verify_presigned(method, raw_path, raw_query, request_headers(environ), self.secrets, self.clock())
        return None

    def _presigned_read(
        self, environ: dict[str, Any], start_response: Callable[..., Any], raw_path: str
    ) -> Iterable[bytes]:
        """moto's answer to a verified presigned GET/HEAD, but S3's 404 NoSuchKey where moto says 403 for a key it
        does not have (see the module's docstring)."""
        answers: list[tuple[str, list[Any]]] = []
        response = self.moto_app(environ, lambda status, headers, exc_info=None: answers.append((status, headers)))
        if not answers:  # moto answers at once; should it not, its body is small enough to hold
            response = [b"".join(response)]
        status, headers = answers[-1]
        if status.startswith("403") and not self._key_exists(environ):
            _close(response)
            key = urllib.parse.unquote(raw_path).lstrip("/").partition("/")[2]
            return _refuse(
                start_response,
                Refusal(404, "NoSuchKey", "The specified key does not exist.", {"Key": key}),
                raw_path,
                environ["REQUEST_METHOD"] == "HEAD",
            )
        start_response(status, headers)
        return response

    def _key_exists(self, environ: dict[str, Any]) -> bool:
        """Ask moto, as the app's own boto3 would (a HEAD signed in the header, which moto does not check)."""
        probe = {name: value for name, value in environ.items() if not name.startswith("HTTP_")}
        probe.update(
            REQUEST_METHOD="HEAD",
            QUERY_STRING="",
            CONTENT_LENGTH="0",
            HTTP_HOST=environ.get("HTTP_HOST", ""),
            HTTP_AUTHORIZATION=_PROBE_AUTHORIZATION,
        )
        probe["wsgi.input"] = io.BytesIO()
        for name in ("RAW_URI", "REQUEST_URI"):
            if name in probe:
                probe[name] = str(probe[name]).split("?", 1)[0]
        answers: list[str] = []
        _close(self.moto_app(probe, lambda status, headers, exc_info=None: answers.append(status)))
        return not answers or not answers[-1].startswith("404")

    def _call_and_report(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        listener: ChangeListener,
        service: str | None,
        method: str,
        raw_path: str,
        query: Mapping[str, str],
    ) -> Iterable[bytes]:
        """Call moto; if the request changed state, tell the listener before the answer goes out (werkzeug sends
        the status line with the first body bytes, so the client is not answered until the listener returns)."""
        report: Callable[[], None] | None = None
        if service == "dynamodb":
            operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
            if not operation.startswith(_DYNAMODB_READS):
                report = listener.tables_changed
        elif service in (None, "s3") and method in ("PUT", "POST", "DELETE"):
            report = self._object_report(environ, listener, method, raw_path, query)
        statuses: list[int] = []

        def recording_start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            statuses.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        response = self.moto_app(environ, recording_start_response)
        if report is not None and statuses and 200 <= statuses[-1] < 300:
            try:
                report()
            except Exception:  # noqa: BLE001 - the write happened; the mirror retries in the background
                log.exception("could not mirror %s %s", method, raw_path)
        return response

    def _object_report(
        self, environ: dict[str, Any], listener: ChangeListener, method: str, raw_path: str, query: Mapping[str, str]
    ) -> Callable[[], None] | None:
        """What an S3 write changes: one key (PutObject, CopyObject, CompleteMultipartUpload, DeleteObject), the
        keys listed in a DeleteObjects body, or nothing (a part, the start or abort of a multipart upload)."""
        bucket, _, key = urllib.parse.unquote(raw_path).lstrip("/").partition("/")
        if not bucket:
            return None
        if not key:
            if method == "POST" and "delete" in query:
                keys = _deleted_keys(environ)
                return lambda: listener.objects_changed(bucket, keys)
            return None
        if "partNumber" in query or "uploads" in query or (method == "DELETE" and "uploadId" in query):
            return None
        if method == "POST" and "uploadId" not in query:
            return None
        return lambda: listener.objects_changed(bucket, [key])


def _deleted_keys(environ: dict[str, Any]) -> list[str]:
    """The keys of a DeleteObjects request. Its body is small XML (≤ 1,000 keys); it is read here and handed on."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return [element.text or "" for element in root.iter() if element.tag.rpartition("}")[2] == "Key"]


class LocalAws:
    """moto's server (S3, DynamoDB, SQS) on one stable local port, behind StrictS3. Started and stopped like moto's
    ThreadedMotoServer, which it replaces."""

    def __init__(self, port: int, secrets: Mapping[str, str], ip_address: str = "127.0.0.1") -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.port = port
        self.ip_address = ip_address
        self.layer = StrictS3(DomainDispatcherApplication(create_backend_app), secrets)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.ip_address}:{self.port}"

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        self._server = make_server(
            self.ip_address, self.port, self.layer, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-aws", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
