"""Safe retries over HTTP: a POST with an `Idempotency-Key` makes one resource however often it is
sent, its retries get the first answer again, and a key names one request of one client."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from handlers.idempotency import HEADER, REPLAYED_HEADER
from persistence.idempotency import IdempotencyRecord
from settings import Settings
from tests.api.test_orders import ORDERS, as_customer, item, mobile_plan, place
from tests.api.test_payments import PAYMENTS, customer_with_account, eur
from tests.api.test_security import Secured, secured_server
from tests.builders import BUILDERS, customer, every_resource, url
from tmf_apis import APIS
from tmf_apis.registry import Api, Resource

CUSTOMERS = "/tmf-api/customerManagement/v4"
ORDER_COLLECTION = next(
    r.collection for a in APIS for r in a.resources if r.schema == "ProductOrder"
)
CONCURRENT = 10


def new_key() -> str:
    return f"retry-{uuid.uuid4()}"


def count(client: httpx.Client, target: str, **filters: str) -> int:
    response = client.get(target, params={**filters, "limit": "0"})
    assert response.status_code in (200, 206), response.text
    return int(response.headers["X-Total-Count"])


def assert_replayed(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == first.status_code, again.text
    assert again.content == first.content
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers.get(name) == first.headers.get(name), name
    assert again.headers[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first.headers


def created_with_a_key(
    live_server, api: Api, resource: Resource
) -> tuple[httpx.Client, str, dict[str, Any], str, httpx.Response]:
    """(client, collection URL, body, key, the 201) of a resource created with a new key."""
    client, target = live_server.client, url(api, resource)
    body = BUILDERS[resource.schema]()
    key = new_key()
    first = client.post(target, json=body, headers={HEADER: key})
    assert first.status_code == 201, first.text
    return client, target, body, key, first


@pytest.mark.parametrize(("api", "resource"), every_resource())
def test_the_same_key_and_body_make_one_resource_and_replay_its_201(
    live_server, api: Api, resource: Resource
) -> None:
    client, target, body, key, first = created_with_a_key(live_server, api, resource)
    again = client.post(target, json=body, headers={HEADER: key})
    assert_replayed(first, again)
    assert again.json()["id"] == first.json()["id"]
    assert count(client, target, name=body["name"]) == 1


@pytest.mark.parametrize(("api", "resource"), every_resource())
def test_the_same_key_with_another_body_is_422_and_makes_nothing(
    live_server, api: Api, resource: Resource
) -> None:
    client, target = live_server.client, url(api, resource)
    key = new_key()
    first = client.post(target, json=BUILDERS[resource.schema](), headers={HEADER: key})
    assert first.status_code == 201, first.text
    other = BUILDERS[resource.schema]()
    refused = client.post(target, json=other, headers={HEADER: key})
    assert refused.status_code == 422, refused.text
    assert refused.json()["@type"] == "Error"
    assert refused.json()["code"] == "422"
    assert count(client, target, name=other["name"]) == 0


def test_without_a_key_a_retry_makes_a_second_resource(live_server) -> None:
    body = customer()
    for _ in range(2):
        assert live_server.client.post(f"{CUSTOMERS}/customer", json=body).status_code == 201
    assert count(live_server.client, f"{CUSTOMERS}/customer", name=body["name"]) == 2


def test_the_key_covers_path_and_query(live_server) -> None:
    client, body, key = live_server.client, customer(), new_key()
    target = f"{CUSTOMERS}/customer"
    assert client.post(target, json=body, headers={HEADER: key}).status_code == 201
    selected = client.post(target, params={"fields": "name"}, json=body, headers={HEADER: key})
    assert selected.status_code == 422, selected.text


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_key_that_is_not_1_to_255_printable_characters_is_400(live_server, key: str) -> None:
    body = customer()
    response = live_server.client.post(
        f"{CUSTOMERS}/customer", json=body, headers={HEADER: key.encode("utf-8")}
    )
    assert response.status_code == 400, response.text
    assert response.json()["@type"] == "Error"
    assert count(live_server.client, f"{CUSTOMERS}/customer", name=body["name"]) == 0


def test_a_refusal_is_kept_and_replayed_too(live_server) -> None:
    client, key = live_server.client, new_key()
    # A cancellation of an order that does not exist: a 4xx the rules give, not the schema.
    body = {"productOrder": {"id": f"missing-{uuid.uuid4()}"}, "cancellationReason": "none"}
    first = client.post(f"{ORDERS}/cancelProductOrder", json=body, headers={HEADER: key})
    assert 400 <= first.status_code < 500, first.text
    again = client.post(f"{ORDERS}/cancelProductOrder", json=body, headers={HEADER: key})
    assert_replayed(first, again)


def one_resource_per_api() -> list[Any]:
    """`every_resource`'s first resource of each API and edition."""
    chosen: dict[str, Any] = {}
    for param in every_resource():
        api = param.values[0]
        chosen.setdefault(f"{api.tmf}-{api.version}", param)
    return list(chosen.values())


@pytest.mark.parametrize(("api", "resource"), one_resource_per_api())
def test_concurrent_requests_with_one_key_make_one_resource(
    live_server, api: Api, resource: Resource
) -> None:
    body = BUILDERS[resource.schema]()
    assert_one_made_concurrently(live_server, url(api, resource), body, name=body["name"])


def test_concurrent_orders_with_one_key_make_one_order(live_server) -> None:
    client = live_server.client
    buyer, _ = customer_with_account(client)
    body = {
        "productOrderItem": [item("1", mobile_plan(client))],
        "relatedParty": as_customer(buyer),
    }
    target = f"{ORDERS}/productOrder"
    assert_one_made_concurrently(live_server, target, body, **{"relatedParty.id": buyer["id"]})


def test_concurrent_payments_with_one_key_credit_once(live_server) -> None:
    _, account_id = customer_with_account(live_server.client)
    body = {
        "account": {"id": account_id},
        "paymentMethod": {"id": "card-1", "name": "Visa", "@referredType": "PaymentMethod"},
        "totalAmount": eur(7.5),
    }
    target = f"{PAYMENTS}/payment"
    assert_one_made_concurrently(live_server, target, body, **{"account.id": account_id})


def assert_one_made_concurrently(
    live_server, collection: str, body: dict[str, Any], **made: str
) -> None:
    """CONCURRENT clients send `body` with one key at once: one 201 (the others 409, in
    progress), one resource among those `made` selects, and a later retry replays the 201."""
    key, target = new_key(), f"{live_server.url}{collection}"

    def post(_: int) -> httpx.Response:
        with httpx.Client(timeout=30) as own:
            return own.post(target, json=body, headers={HEADER: key})

    with ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(pool.map(post, range(CONCURRENT)))

    created = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code == 409]
    assert len(created) + len(waiting) == CONCURRENT, [a.text for a in answers]
    assert created, [a.text for a in answers]
    assert len({a.json()["id"] for a in created}) == 1
    for answer in waiting:
        assert "in progress" in answer.json()["message"]
        assert answer.headers["Retry-After"]
    assert count(live_server.client, collection, **made) == 1
    retried = live_server.client.post(collection, json=body, headers={HEADER: key})
    first = next(a for a in created if REPLAYED_HEADER not in a.headers)
    assert_replayed(first, retried)


def test_a_cancellation_task_is_replayed(live_server) -> None:
    client, key = live_server.client, new_key()
    order = place(client, [item("1", mobile_plan(client))])
    body = {"productOrder": {"id": order["id"]}, "cancellationReason": "Customer moved abroad"}
    first = client.post(f"{ORDERS}/cancelProductOrder", json=body, headers={HEADER: key})
    assert first.status_code == 201, first.text
    again = client.post(f"{ORDERS}/cancelProductOrder", json=body, headers={HEADER: key})
    assert_replayed(first, again)
    tasks = client.get(f"{ORDERS}/cancelProductOrder", params={"productOrder.id": order["id"]})
    assert [task["id"] for task in tasks.json()] == [first.json()["id"]]


def test_a_payment_is_replayed_and_credited_once(live_server) -> None:
    client, key = live_server.client, new_key()
    _, account_id = customer_with_account(client)
    body = {
        "account": {"id": account_id},
        "paymentMethod": {"id": "card-1", "name": "Visa", "@referredType": "PaymentMethod"},
        "totalAmount": eur(12.5),
    }
    first = client.post(f"{PAYMENTS}/payment", json=body, headers={HEADER: key})
    assert first.status_code == 201, first.text
    again = client.post(f"{PAYMENTS}/payment", json=body, headers={HEADER: key})
    assert_replayed(first, again)
    assert count(client, f"{PAYMENTS}/payment", **{"account.id": account_id}) == 1


def test_a_hub_registration_is_replayed(live_server) -> None:
    client, key = live_server.client, new_key()
    body = {"callback": f"https://listener.example.com/{uuid.uuid4().hex}"}
    first = client.post(f"{CUSTOMERS}/hub", json=body, headers={HEADER: key})
    assert first.status_code == 201, first.text
    again = client.post(f"{CUSTOMERS}/hub", json=body, headers={HEADER: key})
    assert_replayed(first, again)
    assert client.delete(first.headers["Location"]).status_code == 204


@pytest.fixture(scope="module")
def two_clients(settings: Settings) -> Iterator[Secured]:
    clients = {name: ("admin", "") for name in ("first", "second")}
    with secured_server(settings, "idempotency", clients) as server:
        yield server


def test_two_clients_use_the_same_key_independently(two_clients: Secured) -> None:
    key = new_key()
    made: dict[str, Any] = {}
    for name in ("first", "second"):
        with two_clients.client(name) as client:
            body = customer()
            created = client.post(f"{CUSTOMERS}/customer", json=body, headers={HEADER: key})
            assert created.status_code == 201, created.text
            assert REPLAYED_HEADER not in created.headers
            made[name] = created.json()["id"]
            again = client.post(f"{CUSTOMERS}/customer", json=body, headers={HEADER: key})
            assert_replayed(created, again)
    assert made["first"] != made["second"]


def interrupted(key: str) -> None:
    """Make the key's record what a request leaves when its process dies after its write and
    before its answer is kept: in progress, held by a lease that has run out."""
    records = IdempotencyRecord._get_collection()
    changed = records.update_one(
        {"key": key},
        {
            "$set": {"state": "inProgress", "token": "a-dead-process", "lease_until": 0},
            "$unset": {"status": "", "headers": "", "body": ""},
        },
    )
    assert changed.modified_count == 1


@pytest.mark.parametrize(("api", "resource"), every_resource())
def test_a_retry_after_a_crash_answers_with_what_the_dead_request_created(
    live_server, api: Api, resource: Resource
) -> None:
    client, target, body, key, first = created_with_a_key(live_server, api, resource)
    interrupted(key)

    again = client.post(target, json=body, headers={HEADER: key})

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers[REPLAYED_HEADER] == "true"
    assert count(client, target, name=body["name"]) == 1
    # Kept now: the next retry replays it.
    replayed = client.post(target, json=body, headers={HEADER: key})
    assert (replayed.status_code, replayed.content) == (201, again.content)


def test_a_retry_after_a_crash_before_the_write_creates_it_once(live_server) -> None:
    client, target = live_server.client, f"{CUSTOMERS}/customer"
    body = customer()
    raw = json.dumps(body).encode()
    key = new_key()
    # The dead request reserved the key (the server's own fingerprint of method, path and body)
    # and stopped before writing anything.
    IdempotencyRecord(
        client="anonymous",
        key=key,
        fingerprint=f"POST {target} {hashlib.sha256(raw).hexdigest()}",
        state="inProgress",
        token="a-dead-process",
        lease_until=0,
        expires=datetime.now(UTC) + timedelta(hours=1),
    ).save()
    headers = {HEADER: key, "Content-Type": "application/json"}

    again = client.post(target, content=raw, headers=headers)

    assert again.status_code == 201, again.text
    assert REPLAYED_HEADER not in again.headers
    assert count(client, target, name=body["name"]) == 1


def test_an_order_left_unvalidated_by_a_crash_is_validated_by_the_retry(
    live_server, database
) -> None:
    client = live_server.client
    key = new_key()
    body = {"productOrderItem": [item("1", mobile_plan(client))]}
    first = client.post(f"{ORDERS}/productOrder", json=body, headers={HEADER: key})
    assert first.status_code == 201, first.text
    # The process stopped after storing the order and before validating it.
    orders = database.db[ORDER_COLLECTION]
    orders.update_one({"id": first.json()["id"]}, {"$set": {"state": "acknowledged"}})
    interrupted(key)

    again = client.post(f"{ORDERS}/productOrder", json=body, headers={HEADER: key})

    assert again.json()["id"] == first.json()["id"]
    assert again.json()["state"] == "inProgress"
