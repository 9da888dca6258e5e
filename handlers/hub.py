"""`POST /hub` and `DELETE /hub/{id}`: listener subscriptions, stored per API for every version."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import flask

from handlers.responses import empty_response, json_response, server_url
from persistence import subscriptions
from settings import Settings
from tmf_apis.registry import Api


def register_listener(api: Api, settings: Settings, body: dict[str, Any]) -> flask.Response:
    # The spec requires an absolute http(s) callback URL; delivery is the notifications' concern.
    subscription = subscriptions.register(api.name, body["callback"], body.get("query"))
    shown = {"id": subscription.subscription_id, "callback": subscription.callback}
    if subscription.query is not None:
        shown["query"] = subscription.query
    location = f"{server_url(settings.public_url)}{api.base_path}/hub/{shown['id']}"
    return json_response(shown, HTTPStatus.CREATED, {"Location": location})


def unregister_listener(api: Api, id: str) -> flask.Response:
    subscriptions.unregister(api.name, id)
    return empty_response(HTTPStatus.NO_CONTENT)
