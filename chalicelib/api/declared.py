"""The route table: each route of the primary API declared once, with its method, path, who may call it and the
contract types (by name, in api/contract.py) of its body, query and answers. The route is registered with Chalice
and its declaration kept here in the same step, so the OpenAPI document (api/openapi.py) is made from what the app
serves and cannot list a route it lacks or miss one it has.

Types are named, not imported: this module is on the API's cold start and msgspec is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from collections.abc import Callable, Mapping

from chalicelib.api.scopes import Scope, needed_scope

if TYPE_CHECKING:
    from chalice import Blueprint, Chalice

AUDIO_BODIES = ("application/octet-stream", "audio/wav", "multipart/form-data")  # the media types of an audio body
Auth = Literal["open", "optional", "token"]  # nobody needed; a token changes what is seen; a token required


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    auth: Auth
    returns: Mapping[int, str | None]  # status -> the contract type of its JSON body ("T[]": a list; None: no body)
    errors: tuple[int, ...] = ()
    body: str | None = None  # the contract type of a JSON body
    required_body: bool = False
    other_bodies: tuple[str, ...] = ()  # media types of a non-JSON body (audio, forms)
    query: str | None = None  # the contract type of the query string
    path_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    media: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)  # non-JSON answers: status -> response
    tags: tuple[str, ...] = ()  # "compat" for the earlier specs' calls

    @property
    def scope(self) -> Scope | None:
        """The scope a key needs here (api/scopes.py); None where no token is asked for."""
        return None if self.auth == "open" else needed_scope(self.method)


OPERATIONS: list[Operation] = []


def route(
    app: Chalice | Blueprint, method: str, path: str, **declaration: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@app.route(path, methods=[method])`, of an app or a blueprint, that also declares the operation."""
    operation = Operation(method=method, path=path, **declaration)
    OPERATIONS.append(operation)
    content_types = ["*/*"] if operation.body or operation.other_bodies else None
    options: dict[str, Any] = {"methods": [method], **({"content_types": content_types} if content_types else {})}
    return app.route(path, **options)
