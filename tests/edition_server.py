"""`python -m tests.edition_server`: the server with a test edition of TMF629 beside v4.

The test edition (`/tmf-api/customerManagement/v9`) shares v4's spec and store; its mapping marks
every document it shows and stores no mark, so that tests can tell through HTTP which edition's
shape a response or an event is in (tests/api/test_editions.py). It runs in a process of its own
with its own delivery worker, as every extra server does (tests/servers.py).
"""

from __future__ import annotations

import dataclasses

import uvicorn

from app import create_app, server_options
from settings import Settings
from tmf_apis import APIS
from tmf_apis.editions import Document, EditionMapping
from tmf_apis.tmf629.registry import API as CUSTOMER_V4

MARK = "edition"


class Marked(EditionMapping):
    """Shows every document with a mark, and stores none: a mapping that is not the identity."""

    def to_wire(self, resource: str, document: Document) -> Document:
        return {**document, MARK: "v9"}

    def from_wire(self, resource: str, body: Document) -> Document:
        return {k: v for k, v in body.items() if k != MARK}


V9 = dataclasses.replace(CUSTOMER_V4, version="v9", mapping=Marked())


def main() -> None:
    settings = Settings.from_env()
    app = create_app(settings, (*APIS, V9))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        **server_options(settings),
    )


if __name__ == "__main__":
    main()
