"""`chalice local` as the local stack runs it: Chalice's own local server and gateway, with a request handler that
decides before it reads a body, and gives up on a body that does not arrive.

Chalice's handler reads the whole body (`Content-Length` bytes) before anything looks at the request: it read a
300 MB body before answering 401, and a `Content-Length` of 5 GB with a tiny body got no answer at all, holding a
thread forever. API Gateway refuses such requests up front (10 MB payload limit, its own timeouts). Here:
- a `Content-Length` over the ceiling (CLOUDSOUND_MAX_BODY_BYTES, the direct-upload limit, plus room for a
  multipart form's envelope) is answered 413 in the API's JSON error shape, for every route, before the body is read;
  below the ceiling the app answers for itself, as before;
- a request with a body, no `Authorization` header, to a route whose OpenAPI operation requires a bearer token, is
  first put to the app without its body: a 401 is sent as the app gave it, and the body is never read;
- `Expect: 100-continue` is answered only once the body will be read (curl then never sends a refused body);
- every socket read has a timeout (CLOUDSOUND_LOCAL_READ_TIMEOUT_SECONDS, 30 s by default): a body that stalls is
  answered 408 and the connection closed; an idle keep-alive connection is closed. A body cut short by the client
  is dropped unanswered, never handed to the app truncated.
- a path no route matches is answered 404 in the API's JSON error shape, with or without an `Authorization` header
  (chalice local answers API Gateway's 403 "Missing Authentication Token" there, or a SigV4 complaint about the
  header; the deployed API maps those to the same 404 in infra/template.json); a method the server has no handler
  for (TRACE, PROPFIND, …) on a route is 405 with `Allow`, as the app answers any other method it lacks.
Everything else is Chalice's: the same gateway, event, routes and responses. This lives in devstack/ only; the
service does not know about it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from chalice import local
from chalice.local import ChaliceRequestHandler

from devstack.lifecycle import die_with_parent

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READ_TIMEOUT_ENV = "CLOUDSOUND_LOCAL_READ_TIMEOUT_SECONDS"
DEFAULT_READ_TIMEOUT_SECONDS = 30.0
# A multipart form carries the file plus its boundaries and fields; the app itself refuses a file over the limit.
CEILING_MARGIN_BYTES = 64 * 1024
# After an early answer, what the client still sends is read and dropped for this long before closing: closing a
# socket with unread bytes sends a reset, which can destroy the answer before the client has read it.
LINGER_SECONDS = 1.0


def bearer_only(security: Any) -> bool:
    """An operation's OpenAPI `security` when a token is required: bearer (with any scope), no anonymous `{}`."""
    return isinstance(security, list) and bool(security) and all(set(option) == {"bearer"} for option in security)


# The deployed API answers an unknown path with the same words (infra/template.json, its gateway responses).
NO_SUCH_ROUTE = "no such route: the API's routes are listed at /openapi.json"


class _Stalled(Exception):
    """The body stopped arriving for longer than the read timeout."""


class _BodyCut(Exception):
    """The client closed the connection before sending the body it announced."""


def as_sent(path: str) -> str:
    """The request's path and query as the client meant them: http.server reads the request line as Latin-1, and a
    client that sent raw UTF-8 (curl given "?name=Café") meant UTF-8, as API Gateway reads it."""
    try:
        return path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return path


class GuardedHandler(ChaliceRequestHandler):
    """Chalice's request handler, deciding before it reads (see the module's docstring). Configured once per
    process by `configure` (class attributes: the handler is instantiated per connection by the server)."""

    timeout: float | None = DEFAULT_READ_TIMEOUT_SECONDS  # socketserver applies it to every read and write
    ceiling: int = 0
    secured: frozenset[tuple[str, str]] = frozenset()
    routes: local.RouteMatcher | None = None
    methods: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    def configure(
        cls, app_object: Any, max_body_bytes: int, read_timeout: float, operations: dict[str, dict[str, Any]]
    ) -> None:
        cls.timeout = read_timeout
        cls.ceiling = max_body_bytes + CEILING_MARGIN_BYTES
        cls.routes = local.RouteMatcher(list(app_object.routes))
        cls.methods = {path: tuple(methods) for path, methods in app_object.routes.items()}
        cls.secured = frozenset(
            (path, method.upper())
            for path, item in operations.items()
            for method, operation in item.items()
            if isinstance(operation, dict) and bearer_only(operation.get("security"))
        )

    def handle_expect_100(self) -> bool:
        self._continue_pending = True  # answered in _generic_handle, once the body is wanted
        return True

    def _generic_handle(self) -> None:
        self.path = as_sent(self.path)
        continue_pending = self.__dict__.pop("_continue_pending", False)
        if self._answered_early():
            return
        if continue_pending:
            self.send_response_only(100)
            self.end_headers()
        try:
            super()._generic_handle()
        except _Stalled:
            self._send_error(408, "request_timeout", f"the request body stopped arriving for {self.timeout:g} s")
        except _BodyCut:
            self.close_connection = True

    # Chalice binds these to its own _generic_handle when its class is made: bind them to ours.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def __getattr__(self, name: str) -> Any:
        """Any other method (http.server answers 501 in HTML for a `do_*` it lacks): 404 or 405 in our shape."""
        if not name.startswith("do_"):
            raise AttributeError(name)
        return self._unsupported_method

    def _unsupported_method(self) -> None:
        if self._answered_early():
            return
        self._send_error(
            405,
            "method_not_allowed",
            f"Unsupported method: {self.command}",
            headers={"Allow": ", ".join(self.methods.get(self._route() or "", ()))},
        )
        self._linger()  # the body, if any, is never read

    def _send_http_response_with_body(self, code: int, headers: Any, body: str | bytes) -> None:
        """An answer to HEAD has no body (its headers say what a GET's would be), whatever the route answered: a
        body there would be read as the start of the next answer on the connection."""
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

    def _parse_payload(self) -> tuple[dict[str, Any], bytes | None]:
        length = int(self.headers.get("content-length") or 0)  # a number: _answered_early checked it
        body = None
        if length > 0:
            try:
                body = self.rfile.read(length)
            except TimeoutError as error:
                raise _Stalled() from error
            if len(body) < length:
                raise _BodyCut()
        return dict(self.headers), body

    def _answered_early(self) -> bool:
        """Answer now, without reading the body, if it would be refused anyway."""
        declared = (self.headers.get("content-length") or "").strip()
        if self._route() is None:
            self._send_error(404, "not_found", NO_SUCH_ROUTE)
        elif not declared:
            return False
        elif not (declared.isascii() and declared.isdigit()):
            self._send_error(400, "bad_request", "the Content-Length header is not a number of bytes")
        elif int(declared) > self.ceiling:
            self._send_error(
                413,
                "too_large",
                f"the body is larger than {self.ceiling} bytes, more than this API "
                "takes in one request; for larger files create the recording with POST /recordings and a "
                "JSON body, then PUT the file to the presigned upload URL",
                limit=self.ceiling,
            )
        elif (
            int(declared) == 0
            or "authorization" in self.headers
            or not self._needs_token()
            or not self._sent_unauthorised()
        ):
            return False
        self._linger()
        return True

    def _route(self) -> str | None:
        """The route the path matches, or None."""
        try:
            return self.routes.match_route(self.path).route if self.routes is not None else None
        except ValueError:
            return None

    def _needs_token(self) -> bool:
        return (self._route(), self.command.upper()) in self.secured

    def _sent_unauthorised(self) -> bool:
        """Put the request to the app without its body; send the answer if it is a 401 (the route needs a token
        first, whatever the body holds), else leave the request to be handled whole."""
        try:
            response = self.local_gateway.handle_request(
                method=self.command, path=self.path, headers=dict(self.headers), body=None
            )
        except local.LocalGatewayException:
            return False
        if response["statusCode"] != 401:
            return False
        headers = {**response["headers"], **response["multiValueHeaders"], "Connection": "close"}
        self.close_connection = True
        self._send_http_response(401, headers, self._handle_binary(response)["body"])
        return True

    def _send_error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
    ) -> None:
        """The API's own error shape ({"error": {"code", "message", …}}), and the connection closed after it."""
        self.close_connection = True
        self._send_http_response(
            status,
            {"Content-Type": "application/json", "Connection": "close", **(headers or {})},
            json.dumps({"error": {"code": code, "message": message, **details}}),
        )

    def _linger(self) -> None:
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(1 << 20):
                    return
        except OSError:
            pass


class BackloggedServer(local.ThreadedHTTPServer):
    """Chalice's threaded server with a listen backlog as deep as werkzeug's (moto's server): socketserver's default
    of 5 overflowed when 20 clients uploaded at once, and the kernel reset the connections it had no room for
    (ConnectionResetError on the client). API Gateway takes them all."""

    request_queue_size = 128


def create_server(host: str, port: int, stage: str, read_timeout: float) -> local.LocalDevServer:
    """What `chalice local --stage <stage>` builds (chalice/cli/__init__.py: create_local_server), with our handler."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes

    factory = CLIFactory(str(PROJECT_ROOT), False, environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app_object = config.chalice_app  # loading the app sets the stage's environment variables
    validate_routes(app_object.routes)
    from chalicelib.api.openapi import openapi_document
    from chalicelib.config import settings

    GuardedHandler.configure(app_object, settings().max_body_bytes, read_timeout, openapi_document()["paths"])
    local.CustomLocalChalice.__bases__ = (local.LocalChalice, app_object.__class__)
    app_object.__class__ = local.CustomLocalChalice
    return local.LocalDevServer(app_object, config, host, port, handler_cls=GuardedHandler, server_cls=BackloggedServer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.local_api", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    options = parser.parse_args(argv)
    die_with_parent()  # SIGTERM's default action ends this process at once: nothing here needs saving
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as the chalice CLI sets it
    os.chdir(PROJECT_ROOT)
    sys.path.insert(0, str(PROJECT_ROOT))
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")  # as `chalice local` does
    read_timeout = float(os.environ.get(READ_TIMEOUT_ENV) or DEFAULT_READ_TIMEOUT_SECONDS)
    server = create_server(options.host, options.port, options.stage, read_timeout)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C reaches every process of the terminal's group; the stack stops us too
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
