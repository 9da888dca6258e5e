"""ASGI guards in front of connexion: wrong methods, unknown API paths and oversized bodies.

They answer before connexion routes the request. connexion 3.3 answers a HEAD on a GET-only path,
or a path parameter holding a control character, with a 500, and its 405 lists the wrong `Allow`
methods; here every such request gets the right TMF error instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

import errors
from handlers.correlation import CORRELATION_HEADER
from handlers.errors import render

_CORRELATION_KEY = CORRELATION_HEADER.lower().encode()
# A path parameter is one segment without control characters.
_PARAMETER = r"[^/\x00-\x1f\x7f]+"
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
# What connexion serves under each API root without credentials: the UI and the spec.
# "": the API root, an index of its resources (handlers/pages.py).
PUBLIC_DOCUMENTS = frozenset({"", "ui", "openapi.json", "openapi.yaml"})
SWAGGER_UI_PREFIX = "ui/"


class Route:
    """One path template of a spec, e.g. `/tmf-api/customerManagement/v4/customer/{id}`."""

    def __init__(self, template: str, methods: Iterable[str]) -> None:
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = "".join(_PARAMETER if p.startswith("{") else re.escape(p) for p in parts)
        # \Z, not $: $ also matches before a final newline, which a path may end with (%0A).
        self.template = template
        self.pattern = re.compile(f"^{pattern}/?\\Z")
        self.methods = frozenset(m.upper() for m in methods)
        self.allow = ", ".join(sorted(self.methods))


def by_root(routes: Iterable[Route], roots: Sequence[str]) -> dict[str, list[Route]]:
    """Each API root's routes: a route belongs to the longest root its template starts with (a
    root that is a prefix of another, `/tmf-api/customer/v5`, loses)."""
    longest_first = sorted(roots, key=len, reverse=True)
    grouped: dict[str, list[Route]] = {root: [] for root in longest_first}
    for route in routes:
        root = next((r for r in longest_first if route.template.startswith(r)), None)
        if root is not None:
            grouped[root].append(route)
    return grouped


class ApiGuard:
    """Refuses, with a TMF error, what the specs do not serve under their base paths.

    `routes` are every operation path of every API; `base_paths` the API roots they live under.
    Paths outside those roots (landing page, Swagger UI, health) pass through.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Iterable[Route],
        base_paths: Iterable[str],
        max_body_bytes: int,
    ) -> None:
        self.app = app
        # Longest first, as in by_root.
        self.base_paths = tuple(
            sorted((p.rstrip("/") + "/" for p in base_paths), key=len, reverse=True)
        )
        # A request is matched against its own API's few patterns, not every API's (a fifth of
        # a retrieve's time in the guards went on that).
        self.routes = by_root(routes, self.base_paths)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.base_paths):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        base = next(b for b in self.base_paths if path.startswith(b))
        if is_public(path[len(base) :]):
            await self.app(scope, receive, send)  # Swagger UI and the served spec
            return
        route = next((r for r in self.routes[base] if r.pattern.match(path)), None)
        if route is None:
            await refuse(scope, send, errors.NotFound(f"no resource at {path}"))
            return
        if scope["method"] not in route.methods:
            refusal = errors.MethodNotAllowed(
                f"{scope['method']} is not offered on {path}; allowed: {route.allow}",
                headers={"Allow": route.allow},
            )
            await refuse(scope, send, refusal)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_body_bytes:
                await refuse(scope, send, self._too_large())
                return
            await self.app(scope, receive, send)  # the HTTP server holds the body to its length
            return
        if scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        # A chunked body: connexion takes a body without Content-Length for none at all, so it is
        # read here, within the limit, and passed on with its length.
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await refuse(scope, send, self._too_large())
                return
            more = message.get("more_body", False)
        headers = [(k, v) for k, v in scope["headers"] if k != b"transfer-encoding"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, _replay(body, receive), send)

    def _too_large(self) -> errors.PayloadTooLarge:
        return errors.PayloadTooLarge(f"request body larger than {self.max_body_bytes} bytes")


class HostGuard:
    """Refuses requests whose Host is not one the operator allowed (TMF_ALLOWED_HOSTS): without
    a public URL, links in responses and in the events other parties receive are made from it."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        names = frozenset(a.strip().lower() for a in allowed if a.strip())
        # `host:port` allows that port only; a bare host allows it on any port.
        self.exact = frozenset(n for n in names if _name(n) != n)
        self.any_port = names - self.exact

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allows(_host(scope)):
            await refuse(
                scope,
                send,
                errors.BadRequest(
                    "the Host header names no host this server answers for", reason="Unknown host"
                ),
            )
            return
        await self.app(scope, receive, send)

    def allows(self, host: str) -> bool:
        host = host.lower()
        return host in self.exact or _name(host) in self.any_port


def _name(host: str) -> str:
    """`host` without its port: `example.com:8080` is `example.com`, `[::1]:80` is `[::1]`."""
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


def _host(scope: Scope) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")


def host_problem(
    host: str, public_url: str, allowed_hosts: str, loopback: frozenset[str]
) -> str | None:
    """Why a server listening on `host` cannot start with these link settings, or None."""
    if host in loopback or public_url or allowed_hosts.strip():
        return None
    return (
        f"listening on {host} without TMF_PUBLIC_URL or TMF_ALLOWED_HOSTS, links would be made "
        "from whatever Host a client sends, in responses and in events other parties receive; "
        "set TMF_PUBLIC_URL (e.g. https://api.example.com) or TMF_ALLOWED_HOSTS"
    )


def is_public(rest: str) -> bool:
    """Whether the path under an API root (`rest`, after `<root>/`) is its Swagger UI or served
    spec, which need no credentials. Matched exactly at the root: a resource path that merely
    ends in `/ui` or `/openapi.json` is a resource path like any other."""
    return rest in PUBLIC_DOCUMENTS or rest.startswith(SWAGGER_UI_PREFIX)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def refuse(scope: Scope, send: Send, error: errors.TmfError) -> None:
    correlation = next((v for k, v in scope["headers"] if k == _CORRELATION_KEY), b"").decode()
    status, body, headers = render(error, correlation or None)
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
