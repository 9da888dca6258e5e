"""Pages outside the TMF APIs: the landing page listing every API, and `/health`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from http import HTTPStatus
from typing import Any

import flask
import yaml

import telemetry
from handlers import version
from handlers.responses import json_response, server_url
from persistence import dates, subscriptions
from persistence.database import Database
from tmf_apis.registry import Api


def landing_page(apis: Iterable[Api]) -> flask.Response:
    rows = "\n".join(
        f"<tr><td>{escape(api.tmf)}</td><td>{escape(api.title)}</td><td>{escape(api.version)}</td>"
        f'<td><a href="{api.base_path}/">{api.base_path}/</a></td>'
        f'<td><a href="{api.base_path}/ui/">Swagger UI</a></td>'
        f'<td><a href="{api.base_path}/openapi.json">OpenAPI</a></td></tr>'
        for api in apis
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TMF Open API server</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em 1em;text-align:left}}</style>
</head><body><h1>TMF Open API server</h1>
<p>The TM Forum Open APIs served here, with their interactive documentation.
Server and database state: <a href="/health">/health</a>.</p>
<table><tr><th>API</th><th>Name</th><th>Version</th><th>Root</th><th>Docs</th><th>Spec</th></tr>
{rows}
</table></body></html>"""
    return flask.Response(page, content_type="text/html; charset=utf-8")


def api_root(spec: dict[str, Any], base_path: str, public_url: str) -> flask.Response:
    """The API root: what the API is, its resources' collections, its hub, and its documents."""
    root = f"{server_url(public_url)}{base_path}"
    collections = sorted(
        path.strip("/")
        for path in spec.get("paths", {})
        if path.count("/") == 1 and "{" not in path and path != "/hub"
    )
    info = spec.get("info", {})
    body = {
        "api": info.get("x-tmf-api", ""),
        "name": info.get("title", ""),
        "version": info.get("version", ""),
        "href": f"{root}/",
        "resources": [{"name": name, "href": f"{root}/{name}"} for name in collections],
        "openapi": f"{root}/openapi.json",
        "swaggerUi": f"{root}/ui/",
    }
    if "/hub" in spec.get("paths", {}):
        body["hub"] = f"{root}/hub"
    return json_response(body)


def spec_document(spec: dict[str, Any], suffix: str) -> flask.Response:
    """The API's OpenAPI document as loaded, its $refs kept."""
    if suffix == "yaml":
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
        return flask.Response(text, content_type="application/yaml; charset=utf-8")
    return json_response(spec)


def health(
    database: Database, apis: Iterable[Api], embedded: bool, delivers: bool
) -> flask.Response:
    """The server's parts: the database, how far event delivery lags, and when each background
    loop of the answering process last went round. 503 only when the database is down: a lagging
    listener is an operator's concern, not a reason to take the server out of a load balancer."""
    database_up = database.ping()
    body: dict[str, Any] = {
        "status": "up" if database_up else "down",
        "version": {"server": version.version(), "commit": version.commit()},
        "database": {
            "status": "up" if database_up else "down",
            "kind": "embedded SecantusDB" if embedded else "MongoDB",
            "name": database.name,
        },
    }
    if database_up:
        body["delivery"] = _delivery(database, delivers)
    body["background"] = [_loop(name, times) for name, times in sorted(telemetry.loops().items())]
    body["apis"] = [
        {"api": api.tmf, "name": api.name, "version": api.version, "root": api.base_path}
        for api in apis
    ]
    return json_response(body, HTTPStatus.OK if database_up else HTTPStatus.SERVICE_UNAVAILABLE)


def _delivery(database: Database, delivers: bool) -> dict[str, Any]:
    lags = subscriptions.lags(database.outbox)
    oldest = min((lag.oldest for lag in lags if lag.oldest), default=None)
    shown: dict[str, Any] = {
        # Another process (python -m notifications) may deliver for this one.
        "worker": "in this process" if delivers else "elsewhere",
        "subscriptions": len(lags),
        "backlog": sum(lag.backlog for lag in lags),
        "deadLetters": sum(lag.dead_letters for lag in lags),
    }
    if oldest is not None:
        age = datetime.now(UTC) - dates.parse(oldest)
        shown["oldestUndeliveredAgeSeconds"] = round(max(0.0, age.total_seconds()), 3)
    return shown


def _loop(name: str, times: dict[str, float]) -> dict[str, Any]:
    passed, failed = times.get("passed"), times.get("failed")
    shown: dict[str, Any] = {
        "name": name,
        "status": "failing" if failed and (not passed or failed > passed) else "up",
    }
    if passed:
        shown["lastPass"] = dates.format_datetime(datetime.fromtimestamp(passed, UTC))
    if failed:
        shown["lastFailure"] = dates.format_datetime(datetime.fromtimestamp(failed, UTC))
    return shown
