"""Our server against the official TM Forum CTKs and against schemathesis, for every API.

schemathesis runs twice per API: with our spec and with the official file. Each failure must be
one of the documented deviations in deviations.py; the CTK must pass with no failed assertion.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pymongo import MongoClient

from conformance import run_ctk, run_schemathesis
from conformance.schemathesis_suite import ALL_PHASES
from settings import Settings
from tests.conformance.depth import FULL, MAX_EXAMPLES
from tests.conformance.deviations import DELIBERATE, OFFICIAL_FILE, unexplained
from tests.servers import server_process
from tmf_apis import APIS
from tmf_apis.registry import Api
from tmf_apis.tmf678 import demo as billing_demo

ROOT = Path(__file__).parents[2]
SHARED = ROOT.parent / "shared"
# What a fresh server needs before an API's CTK can run: TMF678 reads bills and rates, TMF637 the
# products customers own, which only the flow makes (catalog, customers, orders, fulfilment, a
# bill run), driven through the APIs.
PREPARE: dict[str, Callable[[str], object]] = {
    # Unpaid: the kit moves a bill it lists to onHold, which a paid bill cannot take.
    "TMF678": lambda url: billing_demo.load(url, customers=4, seed=SEED, payments=False),
    # TMF637 reads the products those orders made; seven customers: some changed, one ended.
    "TMF637": lambda url: billing_demo.load(url, customers=7, seed=SEED),
}
OFFICIAL_SPECS = [
    pytest.param(api, spec, id=f"{api.tmf}-{'.'.join(spec.split('-v')[-1].split('.')[:3])}")
    for api in APIS
    for spec in api.official
]
# Each edition's official files and kit are declared by its API package (Api.official, .ctk).
WITH_CTK = [api for api in APIS if api.ctk is not None]
# The official files describe the same operations as ours, more loosely: in `make test` they get
# fewer cases, and their listener operations (the client side's endpoints, which our own spec's
# runs cover) none: drawing TMF622 v5's recursive order for each of its eight listeners took 17 s
# apiece, 2.5 of the suite's minutes.
OFFICIAL_EXAMPLES = 50 if FULL else 4
OFFICIAL_LEFT_OUT = () if FULL else ("--exclude-path-regex", "^/listener/")
SEED = 629
# schemathesis' coverage phase tries the boundaries of every attribute of every schema: minutes
# a file, and over 100,000 cases (about 8 minutes) for TMF622's recursive order items. It runs
# at full depth only.
PHASES = ALL_PHASES if FULL else tuple(p for p in ALL_PHASES if p != "coverage")
# The official files' examples phase builds a body around each property's example: 47 s of the
# 60 s TMF622 v5's file took alone, 168 s of the suite's minutes under load. In `make test` the
# official example bodies are carried through each edition's mapping instead
# (tests/tmf_apis/test_edition_round_trip.py); `make conformance` sends them too.
OFFICIAL_PHASES = PHASES if FULL else tuple(p for p in PHASES if p != "examples")

pytestmark = pytest.mark.conformance
EVERY_API = pytest.mark.parametrize(
    "api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in APIS]
)
EVERY_CTK = pytest.mark.parametrize(
    "api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in WITH_CTK]
)


def _official(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the official TM Forum files live in ../shared")
    return path


@EVERY_CTK
def test_official_ctk_passes(settings: Settings, api: Api, tmp_path: Path) -> None:
    assert api.ctk is not None
    kit = _official(SHARED / "tmf-ctk" / api.ctk)
    # A server of its own with an empty database, as QA certifies one: a CTK lists every
    # resource and checks each for attributes (an order's relatedParty) that other tests' data,
    # valid per the spec, may leave out.
    fresh = dataclasses.replace(settings, mongo_database=f"ctk_{uuid.uuid4().hex[:8]}")
    try:
        with server_process(fresh) as (_, url):
            if api.tmf in PREPARE:
                PREPARE[api.tmf](url)
            result = run_ctk(kit, f"{url}{api.base_path}", report_dir=tmp_path)
    finally:
        with MongoClient(settings.mongo_uri) as mongo:
            mongo.drop_database(fresh.mongo_database)
    assert result.error is None, result.error
    assert result.requests > 0 and result.assertions > 0
    assert result.assertions_failed == 0, [f"{f.request}: {f.message}" for f in result.failures]


@EVERY_API
def test_schemathesis_with_our_spec(live_server, api: Api, tmp_path: Path) -> None:
    # The spec as the server serves it, with its configured limits.
    result = run_schemathesis(
        live_server.api(api.base_path),
        live_server.api(f"{api.base_path}/openapi.json"),
        max_examples=MAX_EXAMPLES,
        seed=SEED,
        phases=PHASES,
        report_dir=tmp_path,
    )
    assert not result.errors, result.errors
    assert result.test_cases > 0
    assert unexplained(result.failures, DELIBERATE) == []


@pytest.mark.parametrize(("api", "spec_file"), OFFICIAL_SPECS)
def test_schemathesis_with_the_official_spec(
    live_server, api: Api, spec_file: str, tmp_path: Path
) -> None:
    spec = _official(SHARED / "tmf-specs" / spec_file)
    result = run_schemathesis(
        live_server.api(api.base_path),
        str(spec),
        max_examples=OFFICIAL_EXAMPLES,
        seed=SEED,
        phases=OFFICIAL_PHASES,
        report_dir=tmp_path,
        extra_args=OFFICIAL_LEFT_OUT,
    )
    assert not result.errors, result.errors
    assert result.test_cases > 0
    assert unexplained(result.failures, DELIBERATE + OFFICIAL_FILE) == []
