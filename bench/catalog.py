"""The demo catalog the offerings operation lists: loaded through the API, then checked."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from bench.api import HttpClient, offering_list_path
from bench.raw import offering_filter
from bench.seed import SeedError
from bench.workload import PAGE_SIZE
from persistence.store import REVISION
from tmf_apis.tmf620 import demo

Document = dict[str, Any]

# The filtered attributes; without their indexes the lists would measure collection scans.
FILTERED = ("lifecycleStatus", "category.id")
API_CHECKS = 3


@dataclass(frozen=True)
class LoadedCatalog:
    """The demo catalog as the offerings operation sees it."""

    offerings: int
    # Every category of the tree, roots and subcategories: the lists draw from them.
    categories: list[str]
    # How many categories have a full page of launched offerings (the store then also counts).
    full_pages: int
    load_s: float


def load(
    url: str, collection: Collection[Document], client: HttpClient, offerings: int, seed: int
) -> LoadedCatalog:
    """Load the demo catalog through the API (tmf_apis/tmf620/demo.py) and check a few lists."""
    check_indexes(collection)
    begun = time.perf_counter()
    try:
        loaded = demo.load(url, offerings, seed)
    except demo.Refused as refused:
        raise SeedError(f"demo catalog: {refused}") from None
    load_s = time.perf_counter() - begun
    categories = list(loaded.categories.values())
    check_through_api(client, collection, categories, random.Random(seed))
    full = sum(collection.count_documents(offering_filter(c)) >= PAGE_SIZE for c in categories)
    return LoadedCatalog(offerings, categories, full, load_s)


def check_indexes(collection: Collection[Document]) -> None:
    missing = {f"{name}_1" for name in FILTERED} - set(collection.index_information())
    if missing:
        raise SeedError(f"indexes missing on {collection.name}: {', '.join(sorted(missing))}")


def check_through_api(
    client: HttpClient, collection: Collection[Document], categories: list[str], rng: random.Random
) -> None:
    """The server's page and X-Total-Count equal what the raw query finds, for a few categories."""
    for category_id in rng.sample(categories, min(API_CHECKS, len(categories))):
        headers: dict[str, str] = {}
        path = offering_list_path(category_id)
        body = client.send("GET", path, expected=(200, 206), headers_out=headers)
        where = offering_filter(category_id)
        raw_page = collection.find(where, {"_id": 0, REVISION: 0}).sort([("_id", ASCENDING)])
        if [item["id"] for item in json.loads(body)] != [
            item["id"] for item in raw_page.limit(PAGE_SIZE)
        ]:
            raise SeedError(f"the offerings of category {category_id} differ from the raw query")
        expected_total = collection.count_documents(where)
        if int(headers.get("x-total-count", "-1")) != expected_total:
            raise SeedError(f"X-Total-Count for category {category_id} is not {expected_total}")
