"""JSON responses and the absolute `href` of each resource, built per request and API version."""

from __future__ import annotations

import json
from typing import Any

import flask
import orjson

from persistence.documents import public

CONTENT_TYPE = "application/json"


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> flask.Response:
    return flask.Response(dumps(body), status=status, headers=headers, content_type=CONTENT_TYPE)


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes it several times faster than json; what it cannot
    write (an integer beyond 64 bits, which a client may have stored) json writes."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def empty_response(status: int = 204) -> flask.Response:
    response = flask.Response(status=status)
    del response.headers["Content-Type"]  # Flask's default (text/html) would describe no body
    return response


def server_url(public_url: str) -> str:
    """The configured public URL, or the scheme and host the client used."""
    return public_url.rstrip("/") if public_url else flask.request.host_url.rstrip("/")


def with_href(document: dict[str, Any], collection_url: str) -> dict[str, Any]:
    """The document as the API shows it: `id` and `href` first, then the rest, without the
    server's bookkeeping."""
    resource_id = document["id"]
    return {"id": resource_id, "href": f"{collection_url}/{resource_id}", **public(document)}


def select(document: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Attribute selection on a document already in memory (first-level names; `id` is kept)."""
    if fields is None:
        return document
    wanted = {name.strip().split(".", 1)[0] for name in fields.split(",")} | {"id", "href"}
    return {key: value for key, value in document.items() if key in wanted}
