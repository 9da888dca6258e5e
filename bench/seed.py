"""Seeds customers in exactly the shape the server stores, then checks them through the API."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

from pymongo.collection import Collection

from app import load_spec
from bench.api import CUSTOMERS, HttpClient
from bench.workload import CUSTOMERS_PER_PARTY, PAGE_SIZE, Workload, customer_body, party_id
from handlers.responses import with_href
from persistence import dates
from persistence.store import REVISION, ResourceStore
from settings import Settings
from tmf_apis.rules import RuleContext
from tmf_apis.schema import ResourceSchema, describe
from tmf_apis.tmf629.registry import API, CUSTOMER

Document = dict[str, Any]

BATCH = 1000
# Every so many seeded documents one is checked against the schema a PATCH enforces.
VALIDATE_EVERY = 500
API_CHECKS = 5


class CustomerShape:
    """The server's create path (resources.create_resource, store.insert) without the HTTP."""

    def __init__(self, collection: Collection[Document]) -> None:
        spec = load_spec(Settings().specs_dir / API.spec)
        self.schema: ResourceSchema = describe(spec, CUSTOMER.schema)
        self.store = ResourceStore(collection, self.schema.date_paths)

    def stored(self, body: Document) -> Document:
        document: Document = {"id": str(uuid.uuid4())}
        document.update((k, v) for k, v in body.items() if k not in CUSTOMER.server_owned)
        CUSTOMER.rules.on_create(document, RuleContext(now=dates.now(), stores={}))
        document.setdefault("@type", CUSTOMER.schema)
        self.store.prepare(document)
        return {**document, REVISION: 1}

    def check(self, document: Document) -> None:
        shown = with_href({k: v for k, v in document.items() if k != REVISION}, "http://x/customer")
        errors = sorted(self.schema.validator.iter_errors(shown), key=str)
        if errors:
            raise SeedError(f"a seeded customer is not valid: {errors[0].message}")


class SeedError(RuntimeError):
    """The seeded data, or the server's view of it, is not what the benchmark needs."""


def seed(
    collection: Collection[Document], shape: CustomerShape, customers: int, rng: random.Random
) -> Workload:
    """Bulk-insert `customers` customers, `CUSTOMERS_PER_PARTY` to each engaged party."""
    parties = max(1, customers // CUSTOMERS_PER_PARTY)
    ids: list[str] = []
    batch: list[Document] = []
    for index in range(customers):
        # Round-robin parties: a party's customers are spread over the insertion order, as in life.
        document = shape.stored(customer_body(rng, index % parties))
        if index % VALIDATE_EVERY == 0:
            shape.check(document)
        ids.append(document["id"])
        batch.append(document)
        if len(batch) == BATCH:
            collection.insert_many(batch, ordered=False)
            batch = []
    if batch:
        collection.insert_many(batch, ordered=False)
    return Workload(ids=ids, parties=[party_id(n) for n in range(parties)])


def check_indexes(collection: Collection[Document]) -> None:
    """The indexes the server creates at start-up must exist, or lists measure collection scans."""
    wanted = {"id_unique", *(f"{name}_1" for name in CUSTOMER.indexes)}
    missing = wanted - set(collection.index_information())
    if missing:
        raise SeedError(f"indexes missing on {collection.name}: {', '.join(sorted(missing))}")


def check_through_api(
    client: HttpClient, collection: Collection[Document], workload: Workload, rng: random.Random
) -> None:
    """A few seeded customers read back through the API equal what was stored; a list finds them."""
    for resource_id in rng.sample(workload.ids, min(API_CHECKS, len(workload.ids))):
        shown = json.loads(client.send("GET", f"{CUSTOMERS}/{resource_id}", expected=200))
        stored = collection.find_one({"id": resource_id}, {"_id": 0, REVISION: 0})
        if stored is None or {k: v for k, v in shown.items() if k != "href"} != stored:
            raise SeedError(f"GET of seeded customer {resource_id} differs from what was stored")
    party = rng.choice(workload.parties)
    expected_total = collection.count_documents({"engagedParty.id": party})
    headers: dict[str, str] = {}
    body = client.send(
        "GET",
        f"{CUSTOMERS}?engagedParty.id={party}&limit={PAGE_SIZE}",
        expected=(200, 206),
        headers_out=headers,
    )
    found = json.loads(body)
    if len(found) != min(PAGE_SIZE, expected_total) or any(
        c["engagedParty"]["id"] != party for c in found
    ):
        raise SeedError(f"the list of party {party}'s customers is not what was seeded")
    if int(headers.get("x-total-count", "-1")) != expected_total:
        raise SeedError(f"X-Total-Count for party {party} is not {expected_total}")
