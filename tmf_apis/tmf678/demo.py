"""Bills from the whole flow, driven through the public APIs of a running server.

    python -m tmf_apis.tmf678.demo [--url http://127.0.0.1:8080] [--customers 20] [--seed 1]

It loads the TMF620 demo catalog (tmf_apis/tmf620/demo.py) unless the server already holds
launched offerings, opens two billing cycles (TMF666: consumers due in 14 days, businesses in
30), the channel partners' settlement accounts with their revenue shares, and creates
`--customers` customers (TMF629), each with a billing account on the consumer cycle, and a
company whose two sites have accounts billed to the company's (business cycle). It places one
order per customer (TMF622) for one or two launched offerings, one order in four sold through a
channel partner, and one per site, and completes every item as fulfilment would (PATCH), which
makes the customers' products (TMF637); then one customer in five moves a product to another
offering and one in seven ends one (modify and delete orders, fulfilled the same way). It bills
the current month cycle by cycle (`POST /billRun` naming each cycle, then one run for the
partners' settlement accounts, which follow no cycle), waiting for each, and pays (TMF676) one
customer bill in three in full and one in three in part, and every partner's settlement bill.
A fresh server then holds real accounts, rates, customer bills with their payments, the
company's bill with its sites' subtotals and the partners' paid settlement bills. Exit code 2
when the server refuses a step, with its TMF error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

from tmf_apis.tmf620 import demo as catalog_demo

DEFAULT_URL = "http://127.0.0.1:8080"
CATALOG = "/tmf-api/productCatalogManagement/v4"
CUSTOMERS = "/tmf-api/customerManagement/v4"
ORDERS = "/tmf-api/productOrderingManagement/v4"
BILLING = "/tmf-api/customerBillManagement/v4"
ACCOUNTS = "/tmf-api/accountManagement/v4"
PAYMENTS = "/tmf-api/payment/v4"
PARTNERS = ("partner-northshop", "partner-citymobile")
# Percent of what each partner sold that it is paid (its settlement account's default share).
PARTNER_SHARES = (12.5, 10.0)
# (name, days to pay) of the cycles the accounts follow: both bill calendar months on the 1st.
CONSUMER_CYCLE = ("Monthly (due in 14 days)", 14)
BUSINESS_CYCLE = ("Monthly business (due in 30 days)", 30)
SITES = ("Harbour street", "Station road")
STREETS = ("Rua Augusta", "Avenida da Liberdade", "Rua do Ouro", "Rua da Prata", "Rua Garrett")
PAYMENT_METHOD = {
    "id": "demo-bank-transfer",
    "name": "Bank transfer",
    "@referredType": "PaymentMethod",
}
EXIT_REFUSED = 2
TIMEOUT_S = 60.0
# Items asked for per page of a list; a list longer than one page is read page by page.
PAGE = 100
# How much of a refusal's body is shown: the reason, not a whole list.
SHOWN_BODY = 500
Body = dict[str, Any]


class Refused(RuntimeError):
    """The server answered a step with an unexpected status."""


class JsonClient:
    """JSON over one keep-alive connection, standard library only (the server needs no client)."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        secure = parts.scheme == "https"
        connection = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        self._connection = connection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        self.prefix = parts.path.rstrip("/")
        # Credentials, when the server requires them (an API key the caller holds).
        self.headers = dict(headers or {})

    def call(
        self, method: str, path: str, body: Body | None = None, expect: int | set[int] = 200
    ) -> Any:
        headers = {**self.headers, "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        try:
            response = self._send(method, path, data, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if method != "GET":
                raise  # a write may have been taken: only a read is safe to send again
            # The server closed the kept-alive connection while it idled (the catalog loads
            # through a connection of its own): a new one.
            self._connection.close()
            response = self._send(method, path, data, headers)
        text = response.read()
        if response.status not in ({expect} if isinstance(expect, int) else expect):
            shown = text.decode(errors="replace")
            if len(shown) > SHOWN_BODY:
                shown = f"{shown[:SHOWN_BODY]}... ({len(text):,} bytes)"
            raise Refused(f"{method} {path} answered {response.status}: {shown}")
        return json.loads(text) if text else None

    def _send(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        self._connection.request(method, self.prefix + path, data, headers)
        return self._connection.getresponse()

    def every(self, path: str, query: dict[str, Any]) -> list[Body]:
        """Every item of a list, page by page (a page that is not the last is a 206)."""
        found: list[Body] = []
        while True:
            page = {**query, "offset": len(found), "limit": PAGE}
            items = self.call("GET", f"{path}?{urlencode(page)}", expect={200, 206})
            found += items
            if len(items) < PAGE:
                return found

    def close(self) -> None:
        self._connection.close()


@dataclass
class DemoBilling:
    customers: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    # Products changed to another offering, and ended, by later orders.
    modified: list[str] = field(default_factory=list)
    terminated: list[str] = field(default_factory=list)
    # Bundles ordered with their members (products made of each).
    bundles: list[str] = field(default_factory=list)
    bill_run: Body = field(default_factory=dict)
    bill_runs: list[Body] = field(default_factory=list)
    # Payments of customer bills in full, in part, and partners' settlement bills paid.
    paid_in_full: list[str] = field(default_factory=list)
    paid_in_part: list[str] = field(default_factory=list)
    payouts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        runs = self.bill_runs
        return (
            f"demo billing: {len(self.customers)} customers, {len(self.accounts)} accounts, "
            f"{len(self.orders)} orders completed "
            f"({len(self.bundles)} of bundles, {len(self.modified)} products moved to another "
            f"offering, {len(self.terminated)} terminated), {len(runs)} bill runs: "
            f"{sum(int(r.get('billCount') or 0) for r in runs)} bills of "
            f"{sum(int(r.get('ratesBilled') or 0) for r in runs)} rates; "
            f"{len(self.paid_in_full)} bills paid in full, {len(self.paid_in_part)} in part, "
            f"{len(self.payouts)} settlement bills paid out, in {self.seconds:.1f} s"
        )


def load(
    base_url: str = DEFAULT_URL,
    customers: int = 20,
    seed: int = 1,
    payments: bool = True,
    headers: Mapping[str, str] | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    offerings: int = catalog_demo.MIN_OFFERINGS,
) -> DemoBilling:
    """Drive the flow into the server at `base_url` (sending `headers` with every request);
    raises Refused or OSError. Without `payments`, every bill is left as the run made it
    (`new`). Each step is told to `progress` as it begins. A server without launched priced
    offerings first gets the demo catalog of `offerings` offerings (one in ten a bundle)."""
    begun = time.perf_counter()
    rng = random.Random(seed)
    client = JsonClient(base_url, headers)
    result = DemoBilling()
    try:
        offers = _launched(client)
        if not offers:
            progress(f"catalog: loading the demo catalog ({offerings} offerings)")
            catalog_demo.load(base_url, offerings=offerings, seed=seed, headers=headers)
            offers = _launched(client)
        bundles = _launched_bundles(client, offers)
        progress(f"catalog: {len(offers)} launched offerings, {len(bundles)} launched bundles")
        progress("accounts: billing cycles and partners' settlement accounts")
        consumer, business = (_cycle(client, *facts) for facts in (CONSUMER_CYCLE, BUSINESS_CYCLE))
        for partner, share in zip(PARTNERS, PARTNER_SHARES, strict=True):
            result.accounts.append(_settlement_account(client, partner, share))
        for number in range(customers):
            if number % 10 == 0:
                progress(f"customers and orders: {number} of {customers}")
            customer = _customer(client, f"Demo customer {number}", f"individual-{seed}-{number}")
            account = _account(client, customer, f"Account of demo customer {number}", consumer)
            result.customers.append(customer["id"])
            result.accounts.append(account)
            chosen = rng.sample(offers, k=min(len(offers), rng.choice((1, 2))))
            parties = [_as_customer(customer)]
            if number % 4 == 3:
                partner = PARTNERS[number // 4 % len(PARTNERS)]
                parties.append({"id": partner, "role": "Partner", "@referredType": "Organization"})
            if bundles and number % 6 == 4:
                bundle = bundles[number // 6 % len(bundles)]
                order = _fulfilled(client, [_bundle_item(bundle)], parties, account)
                result.bundles.append(order["id"])
                result.orders.append(order["id"])
                continue  # a bundle is kept whole: no member moves or ends alone here
            order = _order(client, chosen, parties, account)
            result.orders.append(order["id"])
            made = [i["product"]["id"] for i in order["productOrderItem"] if i.get("product")]
            # What customers do next: one in five moves to another plan, one in seven leaves.
            if made and number % 5 == 2:
                other = rng.choice([o for o in offers if o not in chosen] or offers)
                change = {"productOffering": {"id": other["id"], "name": other.get("name")}}
                _order_change(client, "modify", made[0], change, parties, account)
                result.modified.append(made[0])
            elif made and number % 7 == 6:
                _order_change(client, "delete", made[0], {}, parties, account)
                result.terminated.append(made[0])
        progress(f"customers and orders: {customers} of {customers}; a company with two sites")
        _company(client, rng, offers, seed, business, result)
        for cycle in (consumer, business, None):
            progress(f"bill run: {cycle[1] if cycle else 'partners settlement'}")
            result.bill_runs.append(_bill_run(client, cycle))
        result.bill_run = result.bill_runs[-1]
        if payments:
            progress("payments: customer bills in full and in part, partners paid out")
            _pay(client, result)
    finally:
        client.close()
    result.seconds = time.perf_counter() - begun
    return result


def _launched(client: JsonClient) -> list[Body]:
    """Launched simple offerings with prices."""
    query = {"lifecycleStatus": "Launched", "isBundle": "false"}
    found = client.every(f"{CATALOG}/productOffering", query)
    return [o for o in found if o.get("productOfferingPrice")]


def _launched_bundles(client: JsonClient, offers: list[Body]) -> list[Body]:
    """Launched bundles whose members are all among `offers` (what `_launched` found)."""
    query = {"lifecycleStatus": "Launched", "isBundle": "true"}
    found = client.every(f"{CATALOG}/productOffering", query)
    simple = {o["id"] for o in offers}
    return [
        b
        for b in found
        if b.get("bundledProductOffering")
        and all(m.get("id") in simple for m in b["bundledProductOffering"])
    ]


def _bundle_item(bundle: Body) -> Body:
    """An order item for a bundle, its members as its own items."""
    members = [
        {"id": f"1.{n}", "action": "add", "quantity": 1, "productOffering": {"id": m["id"]}}
        for n, m in enumerate(bundle["bundledProductOffering"], start=1)
    ]
    return {
        "id": "1",
        "action": "add",
        "quantity": 1,
        "productOffering": {"id": bundle["id"], "name": bundle.get("name")},
        "productOrderItem": members,
    }


def _cycle(client: JsonClient, name: str, due_days: int) -> tuple[str, str]:
    """A TMF666 billing cycle: calendar months, billed on the 1st, due `due_days` later."""
    body = {
        "name": name,
        "frequency": "monthly",
        "billingPeriod": "calendar month",
        "billingDateShift": 0,
        "paymentDueDateOffset": due_days,
    }
    found = client.call("GET", f"{ACCOUNTS}/billingCycleSpecification?{urlencode({'name': name})}")
    if found:
        return str(found[0]["id"]), name  # a second demo run on the same server reuses it
    cycle: Body = client.call(
        "POST", f"{ACCOUNTS}/billingCycleSpecification", body, HTTPStatus.CREATED
    )
    return str(cycle["id"]), name


def _settlement_account(client: JsonClient, partner: str, share: float) -> str:
    """The partner's settlement account with its default revenue share (its own unless it has
    one already: a second demo run on the same server)."""
    query = urlencode({"relatedParty.id": partner, "state": "Active"})
    found = client.call("GET", f"{ACCOUNTS}/settlementAccount?{query}")
    if found:
        return str(found[0]["id"])
    body = {
        "name": f"Settlement of {partner}",
        "accountType": "settlement",
        "relatedParty": [
            {"id": partner, "name": partner, "role": "partner", "@referredType": "Organization"}
        ],
        "revenueShare": [{"sharePercent": share}],
    }
    account: Body = client.call("POST", f"{ACCOUNTS}/settlementAccount", body, HTTPStatus.CREATED)
    return str(account["id"])


def _customer(client: JsonClient, name: str, party: str) -> Body:
    """A customer with a postal address (the bills print it)."""
    number = sum(map(ord, party)) % 200 + 1
    body = {
        "name": name,
        "status": "Approved",
        "engagedParty": {"id": party, "@referredType": "Individual"},
        "contactMedium": [
            {
                "mediumType": "postalAddress",
                "preferred": True,
                "characteristic": {
                    "street1": f"{number} {STREETS[number % len(STREETS)]}",
                    "postCode": f"{1000 + number * 7}",
                    "city": "Lisbon",
                    "country": "Portugal",
                },
            }
        ],
    }
    customer: Body = client.call("POST", f"{CUSTOMERS}/customer", body, HTTPStatus.CREATED)
    return customer


def _as_customer(customer: Body) -> Body:
    return {"id": customer["id"], "role": "Customer", "@referredType": "Customer"}


def _account(
    client: JsonClient,
    customer: Body,
    name: str,
    cycle: tuple[str, str],
    billed_to: str | None = None,
) -> str:
    """A billing account of the customer on `cycle`, billed to the account `billed_to` (its
    bills go on that one's) when given."""
    body: Body = {
        "name": name,
        "accountType": "postpaid",
        "relatedParty": [{**_as_customer(customer), "name": customer["name"]}],
        "billStructure": {"cycleSpecification": {"id": cycle[0], "name": cycle[1], "isRef": True}},
    }
    if billed_to is not None:
        body["accountRelationship"] = [
            {
                "relationshipType": "billedTo",
                "account": {"id": billed_to},
                "validFor": {"startDateTime": datetime.now(UTC).isoformat()},
            }
        ]
    account: Body = client.call("POST", f"{ACCOUNTS}/billingAccount", body, HTTPStatus.CREATED)
    return str(account["id"])


def _company(
    client: JsonClient,
    rng: random.Random,
    offers: list[Body],
    seed: int,
    cycle: tuple[str, str],
    result: DemoBilling,
) -> None:
    """A company whose two sites each order on their own account, billed to the company's."""
    company = _customer(client, "Demo company Ltd", f"organization-{seed}")
    result.customers.append(company["id"])
    head = _account(client, company, "Demo company Ltd, head office", cycle)
    result.accounts.append(head)
    for site in SITES:
        account = _account(client, company, f"Demo company Ltd, {site}", cycle, billed_to=head)
        result.accounts.append(account)
        chosen = rng.sample(offers, k=min(len(offers), 2))
        order = _order(client, chosen, [_as_customer(company)], account)
        result.orders.append(order["id"])


def _order(client: JsonClient, offers: list[Body], parties: list[Body], account: str) -> Body:
    items = [
        {
            "id": str(n),
            "action": "add",
            "quantity": 1,
            "productOffering": {"id": o["id"], "name": o.get("name")},
        }
        for n, o in enumerate(offers, start=1)
    ]
    return _fulfilled(client, items, parties, account)


def _completed(line: Body) -> Body:
    """An order item completed, with the items of a bundle within it."""
    done = {**line, "state": "completed"}
    if line.get("productOrderItem"):
        done["productOrderItem"] = [_completed(member) for member in line["productOrderItem"]]
    return done


def _order_change(
    client: JsonClient,
    action: str,
    product_id: str,
    change: Body,
    parties: list[Body],
    account: str,
) -> Body:
    """An order that modifies or ends a product the customer owns, fulfilled."""
    item = {"id": "1", "action": action, "product": {"id": product_id}, **change}
    return _fulfilled(client, [item], parties, account)


def _fulfilled(client: JsonClient, items: list[Body], parties: list[Body], account: str) -> Body:
    body = {
        "productOrderItem": items,
        "relatedParty": parties,
        "billingAccount": {"id": account, "@referredType": "BillingAccount"},
    }
    placed: Body = client.call("POST", f"{ORDERS}/productOrder", body, HTTPStatus.CREATED)
    order: Body = client.call("GET", f"{ORDERS}/productOrder/{placed['id']}")
    if order.get("state") != "inProgress":
        raise Refused(f"order {order['id']} was {order.get('state')}: {order.get('note')}")
    done = [_completed(line) for line in order["productOrderItem"]]
    completed: Body = client.call(
        "PATCH", f"{ORDERS}/productOrder/{order['id']}", {"productOrderItem": done}
    )
    return completed


def _bill_run(client: JsonClient, cycle: tuple[str, str] | None) -> Body:
    """Bill the current month: the accounts of `cycle`, or (None) every account left."""
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    body: Body = {
        "billingPeriod": {"startDateTime": start.isoformat(), "endDateTime": end.isoformat()}
    }
    if cycle is not None:
        body["billingCycleSpecification"] = {"id": cycle[0]}
    run: Body = client.call("POST", f"{BILLING}/billRun", body, 201)
    deadline = time.monotonic() + 600
    while run.get("state") in ("acknowledged", "inProgress"):
        if time.monotonic() > deadline:
            raise Refused(f"bill run {run['id']} did not finish in 10 minutes")
        time.sleep(0.2)
        run = client.call("GET", f"{BILLING}/billRun/{run['id']}")
    if run.get("state") != "done":
        raise Refused(f"bill run {run['id']} ended {run.get('state')}: {run.get('errorMessage')}")
    return run


def _pay(client: JsonClient, result: DemoBilling) -> None:
    """Pay one customer bill in three in full and one in three in half, and every settlement
    bill (the partner's payout), each naming its bill (TMF676)."""
    for number, account in enumerate(result.accounts):
        for bill in client.every(f"{BILLING}/customerBill", {"billingAccount.id": account}):
            remaining = bill.get("remainingAmount") or {}
            value = float(remaining.get("value") or 0)
            if value <= 0 or bill.get("state") == "settled":
                continue
            if bill.get("category") == "settlement":
                share, into = 1.0, result.payouts
            elif number % 3 == 0:
                share, into = 1.0, result.paid_in_full
            elif number % 3 == 1:
                share, into = 0.5, result.paid_in_part
            else:
                continue
            amount = {"unit": remaining.get("unit"), "value": round(value * share, 2)}
            body = {
                "account": {"id": bill["billingAccount"]["id"]},
                "paymentMethod": PAYMENT_METHOD,
                "totalAmount": amount,
                "paymentItem": [{"item": {"id": bill["id"]}, "totalAmount": amount}],
            }
            client.call("POST", f"{PAYMENTS}/payment", body, HTTPStatus.CREATED)
            into.append(bill["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tmf_apis.tmf678.demo",
        description="Drive catalog, customers, orders, fulfilment and a bill run through a "
        "running server's APIs, so that it holds real bills.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help="the server's base URL")
    parser.add_argument("--customers", type=int, default=20, help="customers, one order each")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)
    try:
        result = load(args.url, args.customers, args.seed)
    except (Refused, catalog_demo.Refused) as refused:
        print(f"demo billing stopped: {refused}", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, http.client.HTTPException) as error:
        print(f"demo billing stopped: cannot reach {args.url}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
