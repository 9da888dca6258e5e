"""A demo catalog of a mobile, broadband and TV operator, loaded through the TMF620 HTTP API.

    python -m tmf_apis.tmf620.demo [--url http://127.0.0.1:8080] [--offerings 300] [--seed 1]

It creates a Catalog, a category tree (Mobile > Postpaid, Prepaid, Data-only; Broadband > Fibre,
DSL, Fixed wireless; TV > Packages, Add-ons; Devices > Smartphones, Routers; Bundles), one
ProductSpecification per product tier, the prices, and `--offerings` offerings of which one in ten
is a bundle. The content is the same for a given seed (the server assigns the ids). Every POST
must answer 201; anything else stops the load with the status and the server's TMF error (exit
code 2).

Pricing convention, the one the ordering API prices from:

- `priceType` is `oneTime`, `recurring`, `usage` or `discount`.
- `price` is Money `{"unit": "EUR", "value": <amount without tax>}` (a price marked
  `isTaxIncluded: true` would give it with tax; this catalog has none).
- Recurring prices are monthly: `recurringChargePeriodType: "month"`,
  `recurringChargePeriodLength: 1`. Usage prices are per `unitOfMeasure` (here 1 GB).
- A discount is a price of its own, `priceType: "discount"`, with either `percentage` (20 means
  20 % off) or a fixed `price` amount off, and names the prices it reduces in
  `popRelationship: [{"id", "name", "relationshipType": "discounts"}]`. A fixed amount names
  exactly one price; a percentage may name several. A discount for a while only ("50 % off the
  first 3 months") says how long in one `productOfferingTerm`:
  `[{"name": "First 3 months", "duration": {"amount": 3, "units": "month"}}]`
  (tmf_apis/durations.py); without one it lasts as long as the price it reduces, as every
  discount of this catalog does.
- Charged prices carry `tax: [{"taxCategory": "VAT", "taxRate": 20}]`; discounts reduce the
  amount without tax and carry none. How amounts are rounded: tmf_apis/money.py.
- An offering lists every price that applies to it, its discounts included, in
  `productOfferingPrice`. A bundle lists only its own (a percentage discount on its members'
  recurring prices); each member is priced from its own offering. There are no price bundles.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from tmf_apis.tmf620.demo_content import (
    AMOUNTS_OFF,
    BUNDLE_EVERY,
    BUNDLES,
    CATEGORY_TREE,
    CURRENCY,
    DATA_PER_GB,
    DISCOUNT_SHARE,
    FAMILIES,
    LAUNCHES,
    MIN_OFFERINGS,
    PERCENTAGES,
    PLANNED,
    SEGMENTS,
    STATUS_WEIGHTS,
    STATUSES,
    TERMS,
    UPFRONT_SHARE,
    VAT_RATE,
    VERSION,
    WITHDRAWN,
    Family,
    Tier,
)
from tmf_apis.tmf620.registry import API

Body = dict[str, Any]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_OFFERINGS = 300
DEFAULT_SEED = 1
EXIT_NOT_LOADED = 2
TIMEOUT_S = 30.0


class Refused(RuntimeError):
    """The server answered a POST with another status than 201 Created."""


class CatalogClient:
    """POSTs to the TMF620 API of one server over one keep-alive connection.

    Only the standard library: this module ships with the server, which needs no HTTP client.
    """

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        secure = parts.scheme == "https"
        connection = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        self._connection = connection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        self.root = parts.path.rstrip("/") + API.base_path
        # Credentials, when the server requires them (an API key the caller holds).
        self.headers = dict(headers or {})

    def create(self, path: str, body: Body) -> Body:
        """POST one resource; the created resource, or Refused with the server's error."""
        headers = {**self.headers, "Content-Type": "application/json", "Accept": "application/json"}
        url = f"{self.root}/{path}"
        self._connection.request("POST", url, json.dumps(body).encode(), headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.status != HTTPStatus.CREATED:
            raise Refused(
                f"POST {url} ({body.get('name')!r}) answered {response.status}: "
                f"{data.decode(errors='replace')}"
            )
        created: Body = json.loads(data)
        return created

    def close(self) -> None:
        self._connection.close()


@dataclass
class DemoCatalog:
    """What was loaded: the ids the server gave, by resource path (`productOffering`, ...)."""

    catalog_id: str = ""
    # Category ids by their path in the tree: "Mobile", "Mobile/Postpaid", "Bundles", ...
    categories: dict[str, str] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    bundles: list[str] = field(default_factory=list)
    discounts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, path: str) -> int:
        return len(self.ids.get(path, []))

    def summary(self) -> str:
        counts = ", ".join(f"{len(ids)} {path}" for path, ids in self.ids.items())
        return (
            f"demo catalog loaded: {counts} ({len(self.bundles)} bundles, "
            f"{len(self.discounts)} discounts) in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class _Sold:
    """A launched simple offering that a bundle may take in, with its monthly price."""

    offering: Body
    label: str
    recurring: Body | None


def load(
    base_url: str = DEFAULT_URL,
    offerings: int = DEFAULT_OFFERINGS,
    seed: int = DEFAULT_SEED,
    headers: Mapping[str, str] | None = None,
) -> DemoCatalog:
    """Load the demo catalog with `offerings` offerings (bundles included) into the server at
    `base_url`, sending `headers` with every request; raises Refused when the server refuses a
    POST, OSError when it cannot be reached."""
    if offerings < MIN_OFFERINGS:
        raise ValueError(f"the demo catalog needs at least {MIN_OFFERINGS} offerings")
    begun = time.perf_counter()
    client = CatalogClient(base_url, headers)
    try:
        loader = _Loader(client, random.Random(seed))
        loader.categories()
        loader.catalog_entity()
        bundles = max(1, offerings // BUNDLE_EVERY)
        loader.simple_offerings(offerings - bundles)
        loader.bundles(bundles)
    finally:
        client.close()
    loader.result.seconds = time.perf_counter() - begun
    return loader.result


class _Loader:
    """Creates the content in reference order: what an entity points at exists before it."""

    def __init__(self, client: CatalogClient, rng: random.Random) -> None:
        self.client = client
        self.rng = rng
        self.result = DemoCatalog()
        self.category_refs: dict[str, Body] = {}
        self.specs: dict[str, Body] = {}
        self.sold: dict[str, list[_Sold]] = {family.category: [] for family in FAMILIES}
        self.names: set[str] = set()

    def post(self, path: str, body: Body) -> Body:
        created = self.client.create(path, body)
        self.result.ids.setdefault(path, []).append(created["id"])
        return created

    def categories(self) -> None:
        # Parents first: the server checks `parentId` and keeps `isRoot` and `subCategory` itself.
        for root, children in CATEGORY_TREE.items():
            parent = self._category(root, root, None)
            for child in children:
                self._category(f"{root}/{child}", child, parent["id"])

    def catalog_entity(self) -> None:
        roots = [self.category_refs[root] for root in CATEGORY_TREE]
        created = self.post(
            "catalog",
            {
                "name": "Acme consumer catalog",
                "description": "Mobile, broadband and TV offers for consumers and small business",
                "catalogType": "ProductCatalog",
                **_entity("Launched", {"startDateTime": _stamp(LAUNCHES)}),
                "category": roots,
            },
        )
        self.result.catalog_id = created["id"]

    def simple_offerings(self, count: int) -> None:
        # Every family once, launched, so that each category is filled and bundles find members.
        weights = [family.weight for family in FAMILIES]
        chosen = [*FAMILIES, *self.rng.choices(FAMILIES, weights, k=count - len(FAMILIES))]
        for index, family in enumerate(chosen):
            self._simple_offering(family, "Launched" if index < len(FAMILIES) else self._status())

    def bundles(self, count: int) -> None:
        for _ in range(count):
            self._bundle()

    def _category(self, path: str, name: str, parent_id: str | None) -> Body:
        body = {
            "name": name,
            "description": f"{path.replace('/', ': ')} offers",
            **_entity("Launched", {"startDateTime": _stamp(LAUNCHES)}),
        }
        if parent_id:
            body["parentId"] = parent_id
        created = self.post("category", body)
        self.result.categories[path] = created["id"]
        self.category_refs[path] = _ref(created)
        return created

    def _simple_offering(self, family: Family, status: str) -> None:
        tier = self.rng.choice(family.tiers)
        term = self.rng.choice(family.terms)
        segment = "" if family.charging == "device" else self.rng.choice(list(SEGMENTS))
        name = self._unique(_offering_name(family, tier, term, segment))
        valid_for = _valid_for(status, self.rng)
        charges = _charges(family, tier, term, segment)
        prices = [
            self.post("productOfferingPrice", _price(name, *c, status, valid_for)) for c in charges
        ]
        recurring = next((p for p in prices if p["priceType"] == "recurring"), None)
        if recurring is not None and self.rng.random() < DISCOUNT_SHARE:
            prices.append(self._discount(name, [recurring], status, valid_for))
        root = family.category.split("/")[0]
        body = {
            "name": name,
            "description": f"{tier.label} from {family.brand}",
            "isBundle": False,
            "isSellable": status == "Launched",
            **_entity(status, valid_for),
            "productSpecification": self._specification(family, tier),
            "productOfferingPrice": [_ref(p) for p in prices],
            "category": [self.category_refs[family.category], self.category_refs[root]],
        }
        created = self.post("productOffering", body)
        if status == "Launched":
            self.sold[family.category].append(_Sold(created, tier.label, recurring))

    def _bundle(self) -> None:
        broadband = self.rng.choice(
            [s for c in ("Fibre", "DSL", "Fixed wireless") for s in self.sold[f"Broadband/{c}"]]
        )
        members = [broadband, self.rng.choice(self.sold["TV/Packages"])]
        if self.rng.random() < 0.7:
            members.append(self.rng.choice(self.sold["Mobile/Postpaid"]))
        # Extra SIMs on one bill: one is included, up to five may be taken.
        options = [(1, 1, 1), (1, 1, 1), (1, 5, 1)][: len(members)]
        if self.rng.random() < 0.3:
            members.append(self.rng.choice(self.sold["TV/Add-ons"]))
            options.append((0, 3, 0))  # an optional pay-TV pack, none by default
        name = self._unique(" + ".join(m.label for m in members))
        status = self._status()
        valid_for = _valid_for(status, self.rng)
        # The discount reduces the monthly prices of the members every bundle contains.
        reduced = [
            m.recurring for m, o in zip(members, options, strict=True) if o[0] and m.recurring
        ]
        discount = self._discount(name, reduced, status, valid_for, bundle=True)
        body = {
            "name": name,
            "description": f"Bundle: {name}",
            "isBundle": True,
            "isSellable": status == "Launched",
            **_entity(status, valid_for),
            "category": [self.category_refs[BUNDLES]],
            "productOfferingPrice": [_ref(discount)],
            "bundledProductOffering": [
                _bundled(m.offering, option) for m, option in zip(members, options, strict=True)
            ],
        }
        self.result.bundles.append(self.post("productOffering", body)["id"])

    def _discount(
        self, name: str, reduced: list[Body], status: str, valid_for: Body, bundle: bool = False
    ) -> Body:
        body: Body = {
            "priceType": "discount",
            **_entity(status, valid_for),
            "popRelationship": [
                {"id": p["id"], "name": p["name"], "relationshipType": "discounts"} for p in reduced
            ],
        }
        # A fixed amount off names exactly one price, and never more than that price.
        affordable = [
            a for a in AMOUNTS_OFF if len(reduced) == 1 and a < reduced[0]["price"]["value"]
        ]
        if affordable and not bundle and self.rng.random() < 0.5:
            amount = self.rng.choice(affordable)
            body |= {"name": f"{name}: {amount:.2f} {CURRENCY} off", "price": _money(amount)}
        else:
            percentage = self.rng.choice(PERCENTAGES[:3] if bundle else PERCENTAGES)
            body |= {"name": f"{name}: {percentage} % off", "percentage": percentage}
        created = self.post("productOfferingPrice", body)
        self.result.discounts.append(created["id"])
        return created

    def _specification(self, family: Family, tier: Tier) -> Body:
        if tier.label not in self.specs:
            number = family.tiers.index(tier) + 1
            created = self.post("productSpecification", _specification(family, tier, number))
            self.specs[tier.label] = _ref(created)
        return self.specs[tier.label]

    def _status(self) -> str:
        return self.rng.choices(STATUSES, STATUS_WEIGHTS)[0]

    def _unique(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self.names:
            number += 1
            candidate = f"{name} ({number})"
        self.names.add(candidate)
        return candidate


def _offering_name(family: Family, tier: Tier, term: int, segment: str) -> str:
    parts = [tier.label]
    if term:
        parts.append(f"{term} instalments" if family.charging == "device" else f"{term} months")
    if segment:
        parts.append(segment)
    return ", ".join(parts)


# (what the price is for, priceType, amount, extra attributes) of a simple offering's prices.
Charge = tuple[str, str, float, Body]


def _charges(family: Family, tier: Tier, term: int, segment: str) -> list[Charge]:
    factor = SEGMENTS[segment] * TERMS[term]
    monthly = round(tier.price * factor, 2)
    if family.charging == "plan":
        # A longer commitment halves the activation fee.
        fee = round(family.one_time / (2 if term == max(TERMS) else 1), 2)
        return [("monthly fee", "recurring", monthly, {}), ("activation fee", "oneTime", fee, {})]
    if family.charging == "prepaid":
        per_gb = {"unitOfMeasure": {"amount": 1, "units": "GB"}}
        return [
            ("monthly pack", "recurring", monthly, {}),
            ("out-of-bundle data", "usage", DATA_PER_GB, per_gb),
            ("SIM card", "oneTime", family.one_time, {}),
        ]
    if family.charging == "addon":
        return [("monthly fee", "recurring", monthly, {})]
    if not term:
        return [("device price", "oneTime", tier.price, {})]
    upfront = round(tier.price * UPFRONT_SHARE, 2)
    instalment = round((tier.price - upfront) / term, 2)
    return [
        ("upfront payment", "oneTime", upfront, {}),
        ("instalment", "recurring", instalment, {}),
    ]


def _price(
    offering: str,
    what: str,
    price_type: str,
    amount: float,
    extra: Body,
    status: str,
    valid_for: Body,
) -> Body:
    body: Body = {
        "name": f"{offering}: {what}",
        "priceType": price_type,
        "price": _money(amount),
        "tax": [{"taxCategory": "VAT", "taxRate": VAT_RATE}],
        **_entity(status, valid_for),
        **extra,
    }
    if price_type == "recurring":
        body |= {"recurringChargePeriodType": "month", "recurringChargePeriodLength": 1}
    return body


def _specification(family: Family, tier: Tier, number: int) -> Body:
    characteristics = [
        _characteristic(name, value_type, [value], unit)
        for (name, value_type, unit), value in zip(family.characteristics, tier.values, strict=True)
    ]
    if len(family.terms) > 1:
        characteristics.append(
            _characteristic("contractTerm", "number", list(family.terms), "month")
        )
    return {
        "name": tier.label,
        "description": f"{tier.label}, {family.category.replace('/', ' ').lower()}",
        "brand": family.brand,
        "productNumber": f"{family.code}-{number:03d}",
        "isBundle": False,
        **_entity("Launched", {"startDateTime": _stamp(LAUNCHES)}),
        "productSpecCharacteristic": characteristics,
    }


def _characteristic(name: str, value_type: str, values: list[Any], unit: str) -> Body:
    def value(item: Any, default: bool) -> Body:
        found: Body = {"value": item, "valueType": value_type, "isDefault": default}
        return found | ({"unitOfMeasure": unit} if unit else {})

    return {
        "name": name,
        "valueType": value_type,
        # Only a choice of several values is for the customer to make.
        "configurable": len(values) > 1,
        "productSpecCharacteristicValue": [value(v, i == 0) for i, v in enumerate(values)],
    }


def _bundled(offering: Body, option: tuple[int, int, int]) -> Body:
    lower, upper, default = option
    return {
        **_ref(offering),
        "lifecycleStatus": offering["lifecycleStatus"],
        "bundledProductOfferingOption": {
            "numberRelOfferLowerLimit": lower,
            "numberRelOfferUpperLimit": upper,
            "numberRelOfferDefault": default,
        },
    }


def _entity(status: str, valid_for: Body) -> Body:
    return {"lifecycleStatus": status, "version": VERSION, "validFor": valid_for}


def _ref(created: Body) -> Body:
    return {"id": created["id"], "href": created["href"], "name": created["name"]}


def _money(amount: float) -> Body:
    return {"unit": CURRENCY, "value": amount}


def _valid_for(status: str, rng: random.Random) -> Body:
    if status == "Retired":
        start = WITHDRAWN + timedelta(days=rng.randrange(540))
        end = start + timedelta(days=365 + rng.randrange(365))
        return {"startDateTime": _stamp(start), "endDateTime": _stamp(end)}
    begins = PLANNED if status == "In design" else LAUNCHES
    return {"startDateTime": _stamp(begins + timedelta(days=rng.randrange(900)))}


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.000Z"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tmf_apis.tmf620.demo",
        description="Load a demo mobile, broadband and TV catalog into a running server "
        "through its TMF620 API.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help="the server's base URL")
    parser.add_argument(
        "--offerings",
        type=int,
        default=DEFAULT_OFFERINGS,
        help=f"offerings to create, one in {BUNDLE_EVERY} a bundle (at least {MIN_OFFERINGS})",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    if args.offerings < MIN_OFFERINGS:
        parser.error(f"--offerings must be at least {MIN_OFFERINGS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        catalog = load(args.url, args.offerings, args.seed)
    except Refused as refused:
        print(f"demo catalog not loaded: {refused}", file=sys.stderr)
        return EXIT_NOT_LOADED
    except (OSError, http.client.HTTPException) as error:
        print(f"demo catalog not loaded: cannot reach {args.url}: {error}", file=sys.stderr)
        return EXIT_NOT_LOADED
    print(catalog.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
