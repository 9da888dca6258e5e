"""The least an HTTP service in Python can do for bench's customer create and retrieve: the
floor under any server built on this stack (bench/floor.py times it).

`python -m bench.bare_service --kind asgi|flask --port P --mongo-uri U --database D`:

- `asgi`: a plain ASGI function under uvicorn (uvloop, httptools, as the server runs): a POST
  stores the body as the server's create would (bench's `CustomerShape.stored`: id, `@type`,
  dates, revision) with one `insert_one` and answers 201 with it; a GET by id is one `find_one`.
  The driver's blocking calls run in the event loop's thread pool, as a WSGI app's do.
- `flask`: the same two routes in Flask behind a2wsgi under uvicorn: the frameworks the server
  runs in (connexion 3 is Flask behind a2wsgi), without connexion, validation or any TMF rule.

Neither keeps events, checks input, scopes parties or answers errors in TMF's shape: what it
costs is only what the HTTP stack and the driver cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from pymongo import MongoClient
from pymongo.collection import Collection

from bench.raw import SHOWN
from bench.seed import CustomerShape
from tmf_apis.tmf629.registry import CUSTOMER

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
JSON_HEADERS = [(b"content-type", b"application/json")]


def _encode(document: dict[str, Any]) -> bytes:
    shown = {k: v for k, v in document.items() if k not in SHOWN}
    return json.dumps(shown, separators=(",", ":"), default=str).encode()


def _collection(uri: str, database: str) -> Collection[dict[str, Any]]:
    client: MongoClient[dict[str, Any]] = MongoClient(uri, tz_aware=True)
    return client[database][CUSTOMER.collection]


def asgi_app(uri: str, database: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    collection = _collection(uri, database)
    shape = CustomerShape(collection)

    def create(body: bytes) -> tuple[int, bytes]:
        document = shape.stored(json.loads(body))
        collection.insert_one(document)
        return 201, _encode(document)

    def retrieve(customer_id: str) -> tuple[int, bytes]:
        found = collection.find_one({"id": customer_id}, SHOWN)
        return (404, b"{}") if found is None else (200, _encode(found))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"]
                if kind == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif kind == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        loop = asyncio.get_running_loop()
        if scope["method"] == "POST":
            status, answer = await loop.run_in_executor(None, create, body)
        else:
            status, answer = await loop.run_in_executor(
                None, retrieve, scope["path"].rsplit("/", 1)[-1]
            )
        await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": answer})

    return app


def flask_app(uri: str, database: str) -> Any:
    from a2wsgi import WSGIMiddleware
    from flask import Flask, request

    collection = _collection(uri, database)
    shape = CustomerShape(collection)
    flask = Flask("bare")

    @flask.post("/tmf-api/customerManagement/v4/customer")
    def create() -> tuple[bytes, int, list[tuple[str, str]]]:
        document = shape.stored(request.get_json())
        collection.insert_one(document)
        return _encode(document), 201, [("Content-Type", "application/json")]

    @flask.get("/tmf-api/customerManagement/v4/customer/<customer_id>")
    def retrieve(customer_id: str) -> tuple[bytes, int, list[tuple[str, str]]]:
        found = collection.find_one({"id": customer_id}, SHOWN)
        if found is None:
            return b"{}", 404, [("Content-Type", "application/json")]
        return _encode(found), 200, [("Content-Type", "application/json")]

    return WSGIMiddleware(flask.wsgi_app)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_service", description=__doc__)
    parser.add_argument("--kind", choices=("asgi", "flask"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongo-uri", required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args(argv)
    make = asgi_app if args.kind == "asgi" else flask_app
    uvicorn.run(
        make(args.mongo_uri, args.database),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
