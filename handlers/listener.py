"""The `/listener/<event>` endpoints: events other systems send to this server.

The body has been validated against the event's schema; the event is logged and acknowledged.
The v4 files answer a listener call with 201 and an `EventSubscription`-shaped body, so the
acknowledgement names the event received and the address that received it; v5 answers 204
with no body (the edition's mapping says which: `EditionMapping.listener_answer`).
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

import flask

from handlers.responses import empty_response, json_response

log = logging.getLogger("tmf.listener")


def receive_event(
    event_name: str, body: dict[str, Any], answer: HTTPStatus = HTTPStatus.CREATED
) -> flask.Response:
    event_id = str(body.get("eventId") or uuid.uuid4())
    log.info(
        "event received",
        extra={"event": event_name, "event_id": event_id, "event_type": body.get("eventType")},
    )
    if answer == HTTPStatus.NO_CONTENT:
        return empty_response(answer)
    return json_response({"id": event_id, "callback": flask.request.base_url}, answer)
