"""Refuse request bodies whose text is not valid Unicode with a 422 that says where, before any
route sees them.

JSON may spell a lone UTF-16 surrogate ("\\ud800"); Python decodes it into a str that no database
driver, and no JSON response, can encode as UTF-8, so it would end as a 500 on the write (or on
every later read of a JSON column, which escapes it on the way in). Form bodies can carry
percent-encoded bytes that are no UTF-8 at all, which Starlette would silently turn into U+FFFD.
Checked here once for every route, including free-form fields (a ticket's slots) and routes to
come, rather than by each model."""

from __future__ import annotations

import json
import re
from email.message import Message as ContentType
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from handoff_api.body_limit import replay

# A \uXXXX escape in the surrogate range; only then is the JSON decoded here to look closer (a
# pair, e.g. an escaped emoji, is fine: it decodes to one character).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _shown(text: str) -> str:
    # The reply itself must be encodable: a surrogate is shown as its escape.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone_surrogate(document: Any) -> tuple[list[str | int], str] | None:
    """The path to the first key or string holding a lone surrogate, and that surrogate."""
    stack: list[tuple[list[str | int], Any]] = [([], document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found:
                return path, found.group()
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                found = _SURROGATE.search(key)
                if found:
                    return [*path, key], found.group()
                stack.append(([*path, key], item))
        elif isinstance(value, list):
            stack.extend(([*path, i], item) for i, item in reversed(list(enumerate(value))))
    return None


def json_problem(body: bytes) -> tuple[list[str | int], str] | None:
    """Where and why a JSON body is not valid Unicode; None if it is (or is not JSON at all: the
    route's own parsing answers that)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], f"the request body is not valid UTF-8 (byte {exc.start}); send JSON as UTF-8"
    if not _SURROGATE_ESCAPE.search(text):
        return None
    try:
        found = _lone_surrogate(json.loads(text))
    except (ValueError, RecursionError):
        return None
    if found is None:
        return None
    path, surrogate = found
    return path, (
        f"contains a lone UTF-16 surrogate ({_shown(surrogate)}), which is not a Unicode character; "
        "a surrogate escape must be one half of a pair"
    )


def form_problem(body: bytes) -> tuple[list[str | int], str] | None:
    """Where a URL-encoded form has a name or value whose bytes are not UTF-8."""
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        shown = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return [shown], "is not valid UTF-8 text (its percent-encoded bytes are no character)"
    return None


def _kind(scope: Scope) -> str | None:
    raw = dict(scope.get("headers") or []).get(b"content-type")
    if raw is None:
        return "json"  # FastAPI may read a body without a content type as JSON
    header = ContentType()
    header["content-type"] = raw.decode("latin-1")
    subtype = header.get_content_subtype()
    if header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json")):
        return "json"
    if header.get_content_type() == "application/x-www-form-urlencoded":
        return "form"
    return None


class UnicodeCheckMiddleware:
    """Reads JSON and URL-encoded bodies whole (the route would anyway; BodyLimitMiddleware, outside
    this one, bounds them) and answers 422 for text that is not valid Unicode."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = _kind(scope) if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD") else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        check = json_problem if kind == "json" else form_problem
        problem = check(body) if body else None
        if problem is None:
            await self.app(scope, replay([body], None, receive), send)
            return
        path, message_text = problem
        detail = [{"type": "unicode_invalid", "loc": ["body", *map(_loc, path)], "msg": message_text}]
        payload = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _loc(part: str | int) -> str | int:
    return _shown(part) if isinstance(part, str) else part
