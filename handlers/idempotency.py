"""Safe retries of POST: a request sent with an `Idempotency-Key` runs once per client and key,
and its retries get the first outcome again (draft-ietf-httpapi-idempotency-key-header).

Every POST handler is wrapped (handlers/resolver.py). Without the header nothing changes. With
it, the key is reserved for the caller (persistence/idempotency.py) before the handler runs; its
2xx or 4xx answer is kept for `TMF_IDEMPOTENCY_HOURS` and replayed, status, `Location`, `ETag`,
`Content-Type` and body, with `Idempotency-Replayed: true`, to a request with the same key and
the same method, path, query and body. The same key for another request is 422; while the first
request still runs, 409. A 5xx is not kept: the key is released and a retry runs again. A
request whose process died holds the key for `TMF_IDEMPOTENCY_LEASE_SECONDS`, after which a retry
takes it over.
A create stores its resource tagged with the key (persistence/idempotency.py), so the retry that
takes over first looks for what the dead request wrote (`recover`) and answers with it as the
create would have, 201 and the resource as it is now; only when nothing was written does it run
the request again. POSTs that are not creates (hub registrations) run again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask

import errors
from handlers.auth import principal
from handlers.errors import as_tmf_error
from persistence import idempotency
from settings import Settings

log = logging.getLogger("tmf.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
# 1 to 255 printable ASCII characters, neither first nor last a space (HTTP would strip it).
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
# The headers of an outcome that a replay repeats; the others are the replay's own.
KEPT_HEADERS = ("Location", "ETag", "Content-Type")
# The client of a server that runs open (no credentials).
ANONYMOUS = "anonymous"
# A caller told to wait for the first request retries after this many seconds.
RETRY_AFTER_S = 1


# What a create answers when it finds the resource a dead request made under the key (the tag).
Recover = Callable[[str], flask.Response | None]


def guarded(
    handler: Callable[..., Any], settings: Settings, recover: Recover | None = None
) -> Callable[..., Any]:
    """The POST handler, honouring `Idempotency-Key`. connexion reads the parameters to pass
    from the handler's signature, which functools.wraps keeps."""
    keep_seconds = settings.idempotency_hours * 3600
    lease_seconds = float(settings.idempotency_lease_seconds)

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Any:
        key = flask.request.headers.get(HEADER)
        if key is None:
            return handler(*args, **kwargs)
        if not _KEY.match(key):
            raise errors.BadRequest(
                f"{HEADER} must be 1 to 255 printable ASCII characters",
                reason="Invalid idempotency key",
            )
        client = _client()
        found = idempotency.reserve(client, key, _fingerprint(), lease_seconds, keep_seconds)
        if isinstance(found, idempotency.Stored):
            return _replay(found)
        if isinstance(found, idempotency.Mismatch):
            raise errors.UnprocessableEntity(
                f"{HEADER} reused with another request: a key names one method, path and body",
                reason="Idempotency key reused",
            )
        if isinstance(found, idempotency.InProgress):
            raise errors.Conflict(
                f"a request with this {HEADER} is in progress; retry it once it is answered",
                reason="Request in progress",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        flask.g.idempotency_tag = idempotency.tag(client, key)
        if found.resumed and recover is not None:
            recovered = recover(flask.g.idempotency_tag)
            if recovered is not None:
                log.info("answered a retry with what an interrupted request created")
                _keep(client, key, found.token, recovered)
                recovered.headers[REPLAYED_HEADER] = "true"
                return recovered
        return _first(handler, args, kwargs, client, key, found.token)

    return run


def current_tag() -> str | None:
    """The tag a resource created by this request carries, when it runs under a key."""
    tag: str | None = flask.g.get("idempotency_tag")
    return tag


def _first(
    handler: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    client: str,
    key: str,
    token: str,
) -> flask.Response:
    """Run the request that holds the key and keep its outcome."""
    try:
        response = flask.make_response(handler(*args, **kwargs))
    except BaseException as exc:
        error = as_tmf_error(exc) if isinstance(exc, Exception) else None
        if error is None or error.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            _settle(idempotency.release, client, key, token)
        else:
            # Rendered as handlers/errors.py renders it, which answers this first request.
            body = json.dumps(error.body(), separators=(",", ":")).encode()
            headers = {**_kept(error.headers), "Content-Type": "application/json"}
            _settle(idempotency.complete, client, key, token, int(error.status), headers, body)
        raise
    if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        _settle(idempotency.release, client, key, token)
    else:
        _keep(client, key, token, response)
    return response


def _keep(client: str, key: str, token: str, response: flask.Response) -> None:
    kept = _kept(dict(response.headers))
    body = response.get_data()
    _settle(idempotency.complete, client, key, token, response.status_code, kept, body)


def _settle(record: Callable[..., Any], *args: Any) -> None:
    """Keep or release the outcome; failing to does not take the answer from this request,
    whose work is done (the key then stays reserved until its lease ends)."""
    try:
        record(*args)
    except Exception:
        log.warning("could not record the outcome of an idempotent request", exc_info=True)


def _replay(stored: idempotency.Stored) -> flask.Response:
    response = flask.Response(stored.body, status=stored.status)
    del response.headers["Content-Type"]  # only what the first answer had
    response.headers.update(stored.headers)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _kept(headers: dict[str, str]) -> dict[str, str]:
    wanted = {name.lower(): name for name in KEPT_HEADERS}
    return {wanted[k.lower()]: v for k, v in headers.items() if k.lower() in wanted}


def _client() -> str:
    caller = principal()
    if caller is None:
        return ANONYMOUS
    return caller.subject or caller.name


def _fingerprint() -> str:
    request = flask.request
    query = request.query_string.decode("latin-1")
    target = f"{request.path}?{query}" if query else request.path
    digest = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    return f"{request.method} {target} {digest}"
