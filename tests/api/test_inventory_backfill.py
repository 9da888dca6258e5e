"""The inventory migration (`python -m admin backfill-products`) on orders completed before the
server kept an inventory: products made once, in order, and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.api.test_billing import account_holder
from tests.api.test_inventory import INVENTORY, completed
from tests.api.test_orders import as_customer, item, mobile_plan
from tmf_apis.domain import product_id
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf637.registry import PRODUCT
from tmf_apis.tmf678.registry import APPLIED_CUSTOMER_BILLING_RATE

ROOT = Path(__file__).parents[2]


def backfill(settings: Any) -> str:
    environment = {
        **os.environ,
        "TMF_MONGO_URI": settings.mongo_uri,
        "TMF_MONGO_DATABASE": settings.mongo_database,
    }
    done = subprocess.run(
        [sys.executable, "-m", "admin", "backfill-products"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_backfill_makes_the_products_of_earlier_orders_once(
    live_server, database, settings
) -> None:
    client = live_server.client
    plan = mobile_plan(client)
    buyer, account = account_holder(client)
    first = completed(client, [item("1", plan), item("2", plan)], relatedParty=as_customer(buyer))
    kept, ended = (line["product"]["id"] for line in first["productOrderItem"])
    later = completed(
        client,
        [{"id": "1", "action": "delete", "product": {"id": ended}}],
        relatedParty=as_customer(buyer),
    )
    db = database.db
    products, orders = db[PRODUCT.collection], db[PRODUCT_ORDER.collection]
    rates = db[APPLIED_CUSTOMER_BILLING_RATE.collection]
    # The database as the server left it before it kept an inventory: no products, orders
    # whose add items name none, rates without their product.
    products.delete_many({"id": {"$in": [kept, ended]}})
    orders.update_one({"id": first["id"]}, {"$unset": {"productOrderItem.$[].product": ""}})
    rates.update_many({"billingAccount.id": account}, {"$unset": {"product": ""}})

    report = backfill(settings)

    assert kept == product_id(first["id"], "1") and ended == product_id(first["id"], "2")
    made = {p: client.get(f"{INVENTORY}/product/{p}").json() for p in (kept, ended)}
    assert made[kept]["status"] == "active"
    assert made[kept]["startDate"] == first["completionDate"]
    assert made[ended]["status"] == "terminated"
    assert made[ended]["terminationDate"] == later["completionDate"]
    items = orders.find_one({"id": first["id"]})["productOrderItem"]
    assert [i["product"]["id"] for i in items] == [kept, ended]
    assert rates.count_documents({"billingAccount.id": account, "product": {"$exists": False}}) == 0
    assert "2 products created" in report

    again = backfill(settings)

    assert "0 products created, 0 order items applied to existing products, 0 rates" in again
    assert {p: client.get(f"{INVENTORY}/product/{p}").json() for p in (kept, ended)} == made
