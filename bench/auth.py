"""The auth operation: what authentication costs a customer retrieve, against the open server.

Two servers of its own run on the same database with the same settings but `TMF_AUTH`: an open
one (`off`) and a secured one (`required`), both with the rate limit off and an HS256 secret.
Every side reads the customers of one channel, seeded here in the stored shape and tagged with
the channel as `relatedParty`, drawing ids exactly as the retrieve operation does, so all of them
read the same documents in the same order: the open server without credentials, the secured
one with an admin API key, an admin JWT and the channel's party-scoped API key, and the raw
driver's `find_one` of the retrieve operation. Windows alternate between the five in every
repetition. Before they are timed, each credential must read a few of the customers exactly as
stored, the secured server must refuse requests without a valid credential, and the channel's
key must not find another party's customer.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database

from bench import credentials, load
from bench.api import CUSTOMERS, UnexpectedStatus
from bench.credentials import CredentialClient, Headers
from bench.database import Target
from bench.load import Meter, Window, Worker, WorkerFactory
from bench.operation import Setup
from bench.operations import PAIRED
from bench.outcome import OperationResult
from bench.params import Params
from bench.seed import BATCH, CustomerShape, SeedError
from bench.server import ServerProcess, together
from bench.workload import CUSTOMERS_PER_PARTY, Workload, customer_body
from persistence.clients import KEY_PREFIX
from persistence.store import REVISION
from settings import Settings
from tmf_apis.tmf629.registry import CUSTOMER

Document = dict[str, Any]
Progress = Callable[[str], None]
MeterFor = Callable[[ServerProcess], Meter]

# Result name of each side timed against a server, and what it sends.
OPEN = "auth_open"
API_KEY = "auth_api_key"
JWT = "auth_jwt"
CHANNEL = "auth_channel"
VARIANTS = {
    OPEN: "open server (`TMF_AUTH=off`), no credential",
    API_KEY: "`X-API-Key` of an admin client",
    JWT: "`Authorization: Bearer` HS256 JWT, role admin",
    CHANNEL: "`X-API-Key` of a channel client, scoped to its party",
}
CHANNEL_PARTY = "bench-channel"
CHANNEL_TAG = {"id": CHANNEL_PARTY, "role": "channel", "@referredType": "Organization"}
# The channel has one customer for every so many seeded ones.
CHANNEL_SHARE = 10
# Long enough for any run; `exp` is required.
TOKEN_LIFETIME_S = 24 * 3600.0
API_CHECKS = 5
_SHOWN = {"_id": 0, REVISION: 0}


class AuthCheckError(SeedError):
    """A credential read something else than what was stored, or the secured server let in a
    request it should have refused."""


@dataclass
class AuthRun:
    """What the auth operation measured, and on what."""

    channel_customers: int
    party: str
    # The servers' TMF_* settings beyond bench's own (the secret masked).
    open_settings: dict[str, str]
    secured_settings: dict[str, str]
    # One per VARIANTS entry; the raw windows are the same list in each.
    operations: list[OperationResult] = field(default_factory=list)


def measure(
    database: Target,
    db: Database[Document],
    shape: CustomerShape,
    workload: Workload,
    params: Params,
    meter_for: MeterFor,
    progress: Progress,
) -> AuthRun:
    collection = db[CUSTOMER.collection]
    channel = seed_channel(collection, shape, workload, params)
    progress(f"auth: seeded {len(channel)} customers of channel {CHANNEL_PARTY}")
    secret = secrets.token_urlsafe(32)
    admin_key, channel_key = credentials.api_keys(
        database,
        [("bench admin", ["admin"], None), ("bench channel", ["channel"], CHANNEL_PARTY)],
    )
    sent: dict[str, Headers] = {
        OPEN: {},
        API_KEY: credentials.api_key_header(admin_key),
        JWT: credentials.bearer_header(credentials.token(secret, ["admin"], TOKEN_LIFETIME_S)),
        CHANNEL: credentials.api_key_header(channel_key),
    }
    open_settings = {
        "TMF_AUTH": "off",
        "TMF_JWT_HS256_SECRET": secret,
        "TMF_RATE_LIMIT_PER_MINUTE": "0",
    }
    secured_settings = {**open_settings, "TMF_AUTH": "required"}
    run = AuthRun(
        channel_customers=len(channel),
        party=CHANNEL_PARTY,
        open_settings=_masked(open_settings),
        secured_settings=_masked(secured_settings),
    )
    open_server = ServerProcess(database, params.workers, open_settings)
    secured = ServerProcess(database, params.workers, secured_settings)
    with together(open_server, secured):
        progress(f"auth: open server {open_server.url}, secured server {secured.url}")
        servers = {name: open_server if name == OPEN else secured for name in VARIANTS}
        others = workload.ids[:API_CHECKS]
        _check(servers, sent, collection, channel, others, random.Random(params.seed), secret)
        progress("auth: every credential reads the channel's customers as stored; checked")
        sides = [
            (name, _retrieving(servers[name], sent[name], channel, params.seed))
            for name in VARIANTS
        ]
        channel_reads = Setup("", 0, db, shape, Workload(ids=channel, parties=[]), params.seed)
        direct = PAIRED["retrieve"].raw(channel_reads)
        run.operations = _windows(sides, direct, servers, params, meter_for, progress)
    return run


def seed_channel(
    collection: Collection[Document], shape: CustomerShape, workload: Workload, params: Params
) -> list[str]:
    """Insert the channel's customers in the stored shape, tagged with it as `relatedParty`; their
    engaged parties follow the seeded ones', so the customer list's pages stay as seeded."""
    rng = random.Random(f"{params.seed}-auth-channel")
    first_party = len(workload.parties)
    documents = []
    for index in range(max(1, params.customers // CHANNEL_SHARE)):
        body = customer_body(rng, first_party + index // CUSTOMERS_PER_PARTY)
        body["relatedParty"].append(dict(CHANNEL_TAG))
        documents.append(shape.stored(body))
    shape.check(documents[0])
    ids = [document["id"] for document in documents]
    for start in range(0, len(documents), BATCH):
        collection.insert_many(documents[start : start + BATCH], ordered=False)
    return ids


def notes(run: AuthRun | None) -> list[str]:
    if run is None:
        return []
    cache_s = Settings().auth_cache_seconds
    return [
        f"auth: `GET /customer/{{id}}` of the {run.channel_customers:,} customers of channel "
        f"`{run.party}` (seeded for it in the stored shape, each with a `relatedParty` of role "
        "`channel`), ids drawn as by retrieve, so every side reads the same documents in the same "
        "order. Two servers of its own on the same database, their settings the same but "
        f"`TMF_AUTH`: open ({_settings(run.open_settings)}) and secured "
        f"({_settings(run.secured_settings)}). Windows alternate between the open server, the "
        "secured one with an admin API key, an admin JWT and the channel's key, and the raw "
        "driver (`find_one({id}, {_id:0,_rev:0})`, as for retrieve).",
        "auth: the server checks an API key by its SHA-256 in `api_clients` and keeps the answer "
        f"{cache_s} s (`TMF_AUTH_CACHE_SECONDS`), so nearly every request is served from that "
        "cache; a JWT is verified (signature, `exp`) on every request. The channel's retrieve is "
        "scoped in the database: a `count_documents` of the id and the party (limit 1), then the "
        "`find_one` every retrieve makes, two round trips where the others make one. Before the "
        "windows, each credential read a few of the customers as stored, the secured server "
        "answered 401 to no credential, an unknown key, an expired token and one signed with "
        "another secret, and the channel's key 404 to another party's customer.",
    ]


def _windows(
    sides: list[tuple[str, WorkerFactory]],
    direct: WorkerFactory,
    servers: dict[str, ServerProcess],
    params: Params,
    meter_for: MeterFor,
    progress: Progress,
) -> list[OperationResult]:
    """Warm-up, then `repeat` rounds of one window per side and one of the raw driver."""
    meters = {name: meter_for(server) for name, server in servers.items()}
    raw_meter = meters[OPEN]
    results = {name: OperationResult(name) for name, _ in sides}
    raw_windows: list[Window] = []
    if params.warmup_s > 0:
        for name, factory in sides:
            load.run(factory, params.concurrency, params.warmup_s, meters[name])
        load.run(direct, params.concurrency, params.warmup_s, raw_meter)
    for repetition in range(1, params.repeat + 1):
        # The sides alternate, so a drift in the machine touches them all alike.
        for name, factory in sides:
            window = load.run(factory, params.concurrency, params.duration_s, meters[name])
            results[name].server.append(window)
        raw_windows.append(load.run(direct, params.concurrency, params.duration_s, raw_meter))
        rates = ", ".join(f"{name} {results[name].server[-1].rate:.0f}" for name, _ in sides)
        progress(
            f"auth {repetition}/{params.repeat}: {rates}, raw {raw_windows[-1].rate:.0f} req/s"
        )
        for server in set(servers.values()):
            server.check_running()
    for result in results.values():
        result.raw = raw_windows
    return list(results.values())


def _retrieving(
    server: ServerProcess, credential: Headers, ids: list[str], seed: int
) -> WorkerFactory:
    """`GET /customer/{id}` with one credential; ids drawn as the retrieve operation draws them."""

    def factory(thread: int) -> Worker:
        client = CredentialClient(server.host, server.port, credential)
        rng = random.Random(f"{seed}-retrieve-{thread}")

        def request() -> None:
            client.get(f"{CUSTOMERS}/{rng.choice(ids)}")

        return Worker(request, client.close)

    return factory


def _check(
    servers: dict[str, ServerProcess],
    sent: dict[str, Headers],
    collection: Collection[Document],
    channel: list[str],
    others: list[str],
    rng: random.Random,
    secret: str,
) -> None:
    """Each credential reads channel customers as stored; the secured server refuses what it
    must; the channel's key does not find another party's customer, the admin's does."""
    for resource_id in rng.sample(channel, min(API_CHECKS, len(channel))):
        stored = collection.find_one({"id": resource_id}, _SHOWN)
        for name in VARIANTS:
            shown = json.loads(_expect(servers[name], sent[name], resource_id, 200, name))
            if {k: v for k, v in shown.items() if k != "href"} != stored:
                raise AuthCheckError(f"{name}: GET of channel customer {resource_id} differs")
    for other in others:
        for name in VARIANTS:
            _expect(servers[name], sent[name], other, 404 if name == CHANNEL else 200, name)
    secured, wanted = servers[API_KEY], channel[0]
    refused = {
        "no credential": {},
        "an unknown key": credentials.api_key_header(KEY_PREFIX + "unknown"),
        "an expired token": credentials.bearer_header(credentials.token(secret, ["admin"], -60)),
        "a token signed with another secret": credentials.bearer_header(
            credentials.token(secrets.token_urlsafe(32), ["admin"], TOKEN_LIFETIME_S)
        ),
    }
    for what, credential in refused.items():
        _expect(secured, credential, wanted, 401, f"the secured server with {what}")


def _expect(
    server: ServerProcess, credential: Headers, resource_id: str, status: int, who: str
) -> bytes:
    client = CredentialClient(server.host, server.port, credential)
    try:
        return client.get(f"{CUSTOMERS}/{resource_id}", expected=status)
    except UnexpectedStatus as error:
        raise AuthCheckError(f"{who}: expected {status}; {error}") from None
    finally:
        client.close()


def _masked(settings: dict[str, str]) -> dict[str, str]:
    return {k: "(a random secret)" if "SECRET" in k else v for k, v in settings.items()}


def _settings(settings: dict[str, str]) -> str:
    return ", ".join(f"`{k}={v}`" for k, v in settings.items())
