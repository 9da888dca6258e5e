"""The application factory, and `python app.py`, which runs the server with its database."""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import json
import logging
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import connexion
import connexion.spec
import uvicorn
from connexion.exceptions import ProblemException
from connexion.jsonifier import Jsonifier
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.exceptions import HTTPException

import errors
from handlers import errors as error_rendering
from handlers import metrics, pages, startup, version
from handlers.auth import (
    API_KEY_HEADER,
    LOOPBACK_HOSTS,
    AccessGuard,
    Authenticator,
    auth_required,
)
from handlers.binding import Binding, ServerStores, bind, events_heard, renamed_resources
from handlers.bodies import document_bodies, validator_map
from handlers.correlation import RequestLog
from handlers.guards import ApiGuard, HostGuard, Route, host_problem
from handlers.http_protocol import BoundedHeaders
from handlers.logs import configure as configure_logging
from handlers.resolver import TmfResolver
from handlers.wire_cache import WireCache
from notifications.delivery import DeliveryOptions, DeliveryWorker
from persistence import address
from persistence.database import Database
from persistence.embedded import EmbeddedDatabase
from persistence.errors import PersistenceError
from settings import ENV_PREFIX, Settings
from tmf_apis import APIS, spec_files
from tmf_apis.registry import Api, Background

log = logging.getLogger("tmf.server")

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def create_app(settings: Settings | None = None, apis: Sequence[Api] = APIS) -> connexion.FlaskApp:
    """Build the ASGI application serving every API edition in `apis` (`tmf_apis.APIS`).

    With no `mongo_uri`, an embedded database is started for this application and stopped with it.
    """
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    apis = served(apis, settings.apis)
    required = auth_required(settings)  # ValueError: an open server beyond loopback
    problem = host_problem(
        settings.host, settings.public_url, settings.allowed_hosts, LOOPBACK_HOSTS
    )
    if problem:
        raise ValueError(problem)
    if not required:
        log.warning(
            "authentication is off: every caller may do everything (TMF_AUTH=off, or auto on "
            "loopback); configure it before serving anyone else",
            extra={"host": settings.host},
        )
    embedded = None if settings.mongo_uri else EmbeddedDatabase(settings.data_dir).start()
    database = Database(
        embedded.uri if embedded else settings.mongo_uri,
        settings.mongo_database,
        settings.mongo_timeout_ms,
        settings.event_partitions,
    )

    try:
        return _build_app(settings, apis, database, embedded, required)
    except BaseException:
        # Nothing serves: the connection and the embedded database would be left behind.
        database.close()
        if embedded:
            embedded.stop()
        raise


def served(apis: Sequence[Api], chosen: str) -> list[Api]:
    """The editions of the APIs named in `chosen` (TMF numbers, comma-separated; empty: all)."""
    names = {name.strip().upper() for name in chosen.split(",") if name.strip()}
    unknown = names - {api.tmf for api in apis}
    if unknown:
        raise ValueError(
            f"TMF_APIS names {', '.join(sorted(unknown))}, which this server does not serve; "
            f"it serves {', '.join(sorted({api.tmf for api in apis}))}"
        )
    return [api for api in apis if not names or api.tmf in names]


def _build_app(
    settings: Settings,
    apis: Sequence[Api],
    database: Database,
    embedded: EmbeddedDatabase | None,
    required: bool,
) -> connexion.FlaskApp:
    background: list[Callable[[], Callable[[], None]]] = []

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        stoppers = [start() for start in background]
        try:
            yield
        finally:
            # The connection and the embedded database outlive a background task that fails
            # to stop: they are closed whatever it raised.
            try:
                for stop in stoppers:
                    stop()
            finally:
                database.close()
                if embedded:
                    embedded.stop()

    app = connexion.FlaskApp(
        __name__,
        specification_dir=settings.specs_dir,
        lifespan=lifespan,
        jsonifier=Jsonifier(json, separators=(",", ":")),
        validator_map=validator_map(),
        validate_responses=settings.validate_responses,
        # The documents are served by pages.spec_document: connexion would serve them with every
        # $ref resolved, which a recursive schema (TMF622's nested order items) cannot be.
        swagger_ui_options=SwaggerUIOptions(swagger_ui=True, serve_spec=False),
    )
    routes: list[Route] = []
    server_stores = ServerStores(wire=WireCache(settings.wire_cache))
    swept = []
    documents: dict[str, dict[str, Any]] = {}
    first_editions: set[str] = set()
    # Every edition's bindings of each API, by collection: the first binding of each store.
    api_stores: dict[str, dict[str, Binding]] = {}
    loaded: dict[str, dict[str, Any]] = {}
    for api in apis:
        spec = configure_spec(load_spec(settings.specs_dir / api.spec), settings)
        loaded[api.spec] = spec
        bindings = bind(api, spec, database, settings, server_stores)
        # Stores are the API's, shared by its editions: each is set up by the first edition
        # that serves its resource (a later one may serve a resource the first does not).
        stores = api_stores.setdefault(api.tmf, {})
        for binding in bindings:
            if binding.resource.collection in stores:
                continue
            stores[binding.resource.collection] = binding
            resource = binding.resource
            database.ensure_indexes(resource.collection, resource.indexes, resource.retired_indexes)
            swept.append(binding.store.collection)
            if binding.versions is not None:
                binding.versions.ensure_indexes()
                swept.append(binding.versions.archive)
        if api.tmf not in first_editions:
            # Background work is the API's too: once.
            first_editions.add(api.tmf)
            if api.background is not None:
                background.append(_background(api.background, stores, settings))
        for base_path in api.base_paths:
            document_bodies(base_path, spec)
            with checked_when_built():
                app.add_api(
                    spec,
                    base_path=base_path,
                    resolver=TmfResolver(api, bindings, settings),
                    name=f"{api.name}-{api.version}-{base_path}",
                )
            routes += spec_routes(spec, base_path)
            # An open server asks for no credentials, so its documents declare none.
            documents[base_path] = with_security_schemes(spec) if required else spec
    database.ensure_server_indexes()
    database.prepare_events()
    if settings.delivery_worker:
        options = delivery_options(settings, apis, loaded)
        worker = DeliveryWorker(database.outbox, options, lambda: swept)
        background.append(worker.start)

    for kind in (Exception, errors.TmfError, PersistenceError, ProblemException, HTTPException):
        app.add_error_handler(kind, error_rendering.handle)
    # Each one lands just outside connexion's exception handling, the first added outermost:
    # RequestLog sees, and logs, the guards' refusals too.
    app.add_middleware(RequestLog, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        metrics.RequestMetrics,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        routes=routes,
        base_paths=[base for api in apis for base in api.base_paths],
    )
    if settings.allowed_hosts.strip():
        app.add_middleware(
            HostGuard,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            allowed=settings.allowed_hosts.split(","),
        )
    app.add_middleware(
        AccessGuard,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        authenticator=Authenticator(settings),
        apis=[(base, api.tmf) for api in apis for base in api.base_paths],
        rate_per_minute=settings.rate_limit_per_minute,
        enforce=required,
    )
    app.add_middleware(
        ApiGuard,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        routes=routes,
        base_paths=[base for api in apis for base in api.base_paths],
        max_body_bytes=settings.max_body_bytes,
    )

    is_embedded = embedded is not None or settings.embedded_db
    app.add_url_rule("/", "landing", lambda: pages.landing_page(apis))
    for base_path, document in documents.items():
        app.add_url_rule(
            f"{base_path}/",
            f"{base_path}/",
            lambda document=document, base_path=base_path: pages.api_root(
                document, base_path, settings.public_url
            ),
        )
        for suffix in ("json", "yaml"):
            app.add_url_rule(
                f"{base_path}/openapi.{suffix}",
                f"{base_path}/openapi.{suffix}",
                lambda document=document, suffix=suffix: pages.spec_document(document, suffix),
            )
    app.add_url_rule(
        "/health",
        "health",
        lambda: pages.health(database, apis, is_embedded, settings.delivery_worker),
    )
    events = metrics.EventCollector(database)
    app.add_url_rule("/metrics", "metrics", lambda: metrics.exposition(events))
    return app


def _background(
    start: Background, bindings: Mapping[str, Binding], settings: Settings
) -> Callable[[], Callable[[], None]]:
    def begin() -> Callable[[], None]:
        # Read when the server starts, once every API and edition is bound: the work reaches
        # the stores of resources a later edition serves (TMF678 v5's bill cycles) and those of
        # other APIs, by schema name as rules do (a bill run reads the products it charges for).
        own = {b.resource.schema: b.store for b in bindings.values()}
        server = next(iter(bindings.values())).server
        stores = {**server.stores, **own}
        schemas = {b.resource.schema: b.schema for b in bindings.values()}
        return start(stores, schemas, settings, server.reactions)

    return begin


def delivery_options(
    settings: Settings,
    apis: Sequence[Api] = APIS,
    specs: Mapping[str, dict[str, Any]] | None = None,
) -> DeliveryOptions:
    """`specs`: each edition's document by its spec file name, when already loaded."""
    documents = dict(specs or {})
    for api in apis:
        if api.spec not in documents:
            documents[api.spec] = load_spec(settings.specs_dir / api.spec)
    renamed = {api.base_path: renamed_resources(api, apis) for api in apis}
    return DeliveryOptions(
        public_url=settings.public_url,
        own_url=f"http://{settings.host}:{settings.port}",
        timeout_seconds=settings.delivery_timeout_ms / 1000,
        give_up_seconds=settings.delivery_give_up_seconds,
        first_retry_seconds=settings.delivery_first_retry_ms / 1000,
        max_retry_seconds=settings.delivery_max_retry_ms / 1000,
        allow_private_callbacks=settings.callback_allow_private,
        poll_seconds=settings.delivery_poll_ms / 1000,
        retention_seconds=settings.event_retention_hours * 3600,
        editions={api.base_path: api.mapping for api in apis},
        renamed=renamed,
        heard={
            base: events_heard(api, documents[api.spec], renamed[api.base_path])
            for api in apis
            for base in api.base_paths
        },
        first_editions=_first_editions(apis),
    )


def _first_editions(apis: Sequence[Api]) -> dict[str, str]:
    """The base path of each API's first listed edition, by API name."""
    first: dict[str, str] = {}
    for api in apis:
        first.setdefault(api.name, api.base_path)
    return first


@contextlib.contextmanager
def checked_when_built() -> Iterator[None]:
    """connexion checks a document against the OpenAPI schema when an API is added: 6 s of CPU
    for our thirteen at every start of every server process. Ours are checked where they are
    made instead: `make lint` fails when a committed document differs from what specs/tools makes,
    and tests/test_specs.py runs this same check of connexion's on each, as configured for
    serving. So while our documents are added, connexion takes them as they are."""
    checked = connexion.spec.Specification.__dict__["_validate_spec"]
    connexion.spec.Specification._validate_spec = classmethod(lambda _cls, _spec: None)
    try:
        yield
    finally:
        connexion.spec.Specification._validate_spec = checked


def load_spec(path: Path) -> dict[str, Any]:
    return spec_files.load(path)


def configure_spec(spec: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Put the configured page size into the spec, so validation and the served docs state it."""
    limit = spec.get("components", {}).get("parameters", {}).get("Limit")
    if limit is not None:
        limit["schema"]["maximum"] = settings.max_page_size
    return spec


def with_security_schemes(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as served, declaring the credentials the server takes (handlers/auth.py), so
    Swagger UI can send them. connexion gets the spec without: AccessGuard enforces them, with
    TMF errors and the role matrix."""
    served = copy.deepcopy(spec)
    served.setdefault("components", {})["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
    }
    served["security"] = [{"bearerAuth": []}, {"apiKey": []}]
    return served


def spec_routes(spec: dict[str, Any], base_path: str) -> list[Route]:
    return [
        Route(base_path + path, [m for m in operations if m in _HTTP_METHODS])
        for path, operations in spec["paths"].items()
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server as configured by `TMF_*` variables, starting the embedded database if needed.

    The database is started here, once, so that every uvicorn worker shares it.
    """
    arguments = _arguments()
    arguments.parse_args(argv)  # takes none: --help prints what configures the server
    settings = Settings.from_env()
    try:
        required = auth_required(settings)
    except ValueError as refusal:  # an open server beyond loopback: it refuses to start
        arguments.exit(2, f"python app.py: {refusal}\n")
    configure_logging(settings.log_level)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again; this turns
    # that into an exception that unwinds through the cleanup below instead of killing us.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_stop)
    with contextlib.suppress(_Stop), contextlib.ExitStack() as stack:
        if not settings.mongo_uri:
            embedded = stack.enter_context(EmbeddedDatabase(settings.data_dir))
            os.environ["TMF_MONGO_URI"] = embedded.uri
            os.environ["TMF_EMBEDDED_DB"] = "true"
            # Where `python -m admin` finds it (persistence/address.py).
            stack.callback(address.publish(settings.data_dir, settings.port, embedded.uri))
        if settings.workers > 1 and not os.environ.get(metrics.MULTIPROCESS_DIRECTORY):
            # The workers' metrics meet in files here (handlers/metrics.py); set before uvicorn
            # spawns them, so each imports prometheus-client in its multiprocess mode.
            shared = stack.enter_context(tempfile.TemporaryDirectory(prefix="tmf-metrics-"))
            os.environ[metrics.MULTIPROCESS_DIRECTORY] = shared
        shown = startup.lines(settings, required, not settings.mongo_uri)
        startup.announce_when_up(settings, shown, lambda line: print(line, flush=True))
        uvicorn.run(
            "app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_config=None,
            access_log=False,
            **server_options(settings),
        )


def _arguments() -> argparse.ArgumentParser:
    defaults = Settings()
    lines = [
        f"  {ENV_PREFIX}{f.name.upper():<32} {getattr(defaults, f.name)!r}"
        for f in dataclasses.fields(Settings)
    ]
    return argparse.ArgumentParser(
        prog="python app.py",
        description="The TMF Open API server (make run). It takes no arguments: the environment "
        "configures it, each setting a TMF_* variable (README.md, Configuration). Without "
        "TMF_MONGO_URI it starts its embedded database in TMF_DATA_DIR.",
        epilog="settings and their defaults:\n" + "\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves: request headers bounded (handlers/http_protocol.py); X-Forwarded-For
    and X-Forwarded-Proto believed only from the proxies `TMF_TRUSTED_PROXIES` names, so that no
    client chooses the address its failures and limits are counted by."""
    return {
        "http": BoundedHeaders,
        # Ours instead of uvicorn's: which build answered (handlers/version.py).
        "server_header": False,
        "headers": [("server", version.server_header())],
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }


class _Stop(Exception):
    """The server was asked to stop."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


if __name__ == "__main__":
    main()
