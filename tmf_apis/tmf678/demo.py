"""Bills from the whole flow, driven through the public APIs of a running server.

    python -m tmf_apis.tmf678.demo [--url http://127.0.0.1:8080] [--customers 20] [--seed 1]

It loads the TMF620 demo catalog (tmf_apis/tmf620/demo.py) unless the server already holds
launched offerings, creates `--customers` customers (TMF629), each with a billing account, places
one order per customer (TMF622) for one or two launched offerings, one order in four sold through
a channel partner, completes every item as fulfilment would (PATCH), which makes the customers'
products (TMF637); then one customer in five moves a product to another offering and one in
seven ends one (modify and delete orders, fulfilled the same way), and it runs a bill cycle
(`POST /billRun`) over the current month, waiting for it to finish. A fresh server then holds
real rates, customer bills and the partners' settlement bills. Exit code 2 when the server
refuses a step, with its TMF error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
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
PARTNERS = ("partner-northshop", "partner-citymobile")
EXIT_REFUSED = 2
TIMEOUT_S = 60.0
Body = dict[str, Any]


class Refused(RuntimeError):
    """The server answered a step with an unexpected status."""


class JsonClient:
    """JSON over one keep-alive connection, standard library only (the server needs no client)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        secure = parts.scheme == "https"
        connection = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        self._connection = connection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        self.prefix = parts.path.rstrip("/")

    def call(self, method: str, path: str, body: Body | None = None, expect: int = 200) -> Any:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        self._connection.request(method, self.prefix + path, data, headers)
        response = self._connection.getresponse()
        text = response.read()
        if response.status != expect:
            raise Refused(
                f"{method} {path} answered {response.status}: {text.decode(errors='replace')}"
            )
        return json.loads(text) if text else None

    def close(self) -> None:
        self._connection.close()


@dataclass
class DemoBilling:
    customers: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    # Products changed to another offering, and ended, by later orders.
    modified: list[str] = field(default_factory=list)
    terminated: list[str] = field(default_factory=list)
    bill_run: Body = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        run = self.bill_run
        return (
            f"demo billing: {len(self.customers)} customers, {len(self.orders)} orders completed "
            f"({len(self.modified)} products moved to another offering, {len(self.terminated)} "
            "terminated), "
            f"bill run {run.get('state')}: {run.get('billCount')} bills of "
            f"{run.get('ratesBilled')} rates, in {self.seconds:.1f} s"
        )


def load(base_url: str = DEFAULT_URL, customers: int = 20, seed: int = 1) -> DemoBilling:
    """Drive the flow into the server at `base_url`; raises Refused or OSError."""
    begun = time.perf_counter()
    rng = random.Random(seed)
    client = JsonClient(base_url)
    result = DemoBilling()
    try:
        offers = _launched(client)
        if not offers:
            catalog_demo.load(base_url, offerings=catalog_demo.MIN_OFFERINGS, seed=seed)
            offers = _launched(client)
        for number in range(customers):
            customer, account = _customer(client, number, seed)
            result.customers.append(customer["id"])
            chosen = rng.sample(offers, k=min(len(offers), rng.choice((1, 2))))
            parties = [{"id": customer["id"], "role": "Customer", "@referredType": "Customer"}]
            if number % 4 == 3:
                partner = PARTNERS[number // 4 % len(PARTNERS)]
                parties.append({"id": partner, "role": "Partner", "@referredType": "Organization"})
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
        result.bill_run = _bill_run(client)
    finally:
        client.close()
    result.seconds = time.perf_counter() - begun
    return result


def _launched(client: JsonClient) -> list[Body]:
    query = urlencode({"lifecycleStatus": "Launched", "isBundle": "false", "limit": 100})
    found: list[Body] = client.call("GET", f"{CATALOG}/productOffering?{query}")
    return [o for o in found if o.get("productOfferingPrice")]


def _customer(client: JsonClient, number: int, seed: int) -> tuple[Body, str]:
    account = f"BA-{seed}-{number:05d}-{int(time.time())}"
    body = {
        "name": f"Demo customer {number}",
        "status": "Approved",
        "engagedParty": {"id": f"individual-{seed}-{number}", "@referredType": "Individual"},
        "account": [{"id": account, "name": f"Account of demo customer {number}"}],
    }
    customer: Body = client.call("POST", f"{CUSTOMERS}/customer", body, HTTPStatus.CREATED)
    return customer, account


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
    done = [{**line, "state": "completed"} for line in order["productOrderItem"]]
    completed: Body = client.call(
        "PATCH", f"{ORDERS}/productOrder/{order['id']}", {"productOrderItem": done}
    )
    return completed


def _bill_run(client: JsonClient) -> Body:
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    period = {"startDateTime": start.isoformat(), "endDateTime": end.isoformat()}
    run: Body = client.call("POST", f"{BILLING}/billRun", {"billingPeriod": period}, 201)
    deadline = time.monotonic() + 600
    while run.get("state") in ("acknowledged", "inProgress"):
        if time.monotonic() > deadline:
            raise Refused(f"bill run {run['id']} did not finish in 10 minutes")
        time.sleep(0.2)
        run = client.call("GET", f"{BILLING}/billRun/{run['id']}")
    if run.get("state") != "done":
        raise Refused(f"bill run {run['id']} ended {run.get('state')}: {run.get('errorMessage')}")
    return run


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
