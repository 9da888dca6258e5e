"""The database under test: an embedded SecantusDB that bench starts, or the MongoDB it is given."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.uri_parser import parse_uri

from bench import cpu
from bench.params import Params
from persistence.embedded import EmbeddedDatabase
from settings import Settings

# The database bench fills (and drops afterwards) on a MongoDB it was given.
EXTERNAL_DEFAULT_NAME = "tmf_bench"
SERVER_SELECTION_TIMEOUT_MS = 5000


class DatabaseError(RuntimeError):
    """The database to measure cannot be used."""


@dataclass(frozen=True)
class Target:
    uri: str
    name: str
    # For the report header; never the URI itself, which may carry credentials.
    description: str
    embedded: bool
    # SecantusDB, embedded or given: a Python server whose lists and counts are not MongoDB's.
    secantus: bool
    # Where the embedded database keeps its files ("" for a MongoDB given by URI).
    data_dir: str
    # The database server's process when bench started it, metered apart from the API server.
    pid: int | None


@contextmanager
def target(params: Params) -> Iterator[Target]:
    if params.mongo_uri:
        with _external(params.mongo_uri, params.database) as found:
            yield found
    else:
        with _embedded(params.database or Settings().mongo_database) as started:
            yield started


@contextmanager
def _embedded(name: str) -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix="tmf-bench-") as scratch:
        data_dir = str(Path(scratch) / "secantus")
        before = set(cpu.children(os.getpid()))
        with EmbeddedDatabase(data_dir) as embedded:
            started = [pid for pid in cpu.children(os.getpid()) if pid not in before]
            yield Target(
                uri=embedded.uri,
                name=name,
                description=f"SecantusDB {version('secantusdb')} (embedded, on disk, by bench)",
                embedded=True,
                secantus=True,
                data_dir=data_dir,
                pid=started[0] if len(started) == 1 else None,
            )


@contextmanager
def _external(uri: str, requested: str) -> Iterator[Target]:
    name = parse_uri(uri).get("database") or requested or EXTERNAL_DEFAULT_NAME
    client: MongoClient[dict[str, Any]] = MongoClient(
        uri, serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS
    )
    try:
        if client[name].list_collection_names():
            raise DatabaseError(
                f"database {name!r} is not empty; bench fills and drops its own (use --database)"
            )
        hosts = ", ".join(f"{host}:{port}" for host, port in parse_uri(uri)["nodelist"])
        info = client.server_info()
        # SecantusDB reports the MongoDB version it speaks, and its own beside it.
        secantus = info.get("secantusVersion")
        engine = f"SecantusDB {secantus}" if secantus else f"MongoDB {info.get('version', '?')}"
        try:
            yield Target(
                uri=uri,
                name=name,
                description=f"{engine} at {hosts} (given by --mongo-uri)",
                embedded=False,
                secantus=bool(secantus),
                data_dir="",
                pid=None,
            )
        finally:
            client.drop_database(name)
    finally:
        client.close()
