"""What a request needs of its key: `read` for GET, HEAD and OPTIONS, `write` for every other method, on the primary
API and the earlier specs' calls alike. The rule is one function of the method, so the OpenAPI document (which
states each operation's scope) and the check at authentication (api/auth.py) cannot disagree.

A middleware notes the method of the request being answered; `caller()` refuses a `read` key on a request that
needs `write` (403 `insufficient_scope`). Outside a request (a handler called directly) `write` is assumed.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Literal
from collections.abc import Callable

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NEEDED: ContextVar[Scope] = ContextVar("needed_scope", default="write")


def needed_scope(method: str) -> Scope:
    return "read" if method.upper() in _READING_METHODS else "write"


def allows(granted: str, needed: str) -> bool:
    """Whether a key of scope `granted` may make a request that needs `needed` (write includes read)."""
    return granted == "write" or needed == "read"


def current_need() -> Scope:
    return _NEEDED.get()


def request_scope(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """HTTP middleware: the scope the request being answered needs, for `caller()`."""
    token = _NEEDED.set(needed_scope(getattr(event, "method", None) or "POST"))
    try:
        return get_response(event)
    finally:
        _NEEDED.reset(token)
