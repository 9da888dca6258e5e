"""A secured server: credentials, the role matrix over every operation of every API, party scopes
for channels and partners, rate limits, and the refusal to run open beyond loopback."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from app import create_app, load_spec
from conformance import run_ctk, run_schemathesis
from handlers.access import Principal, decide, roles
from settings import Settings
from tests.builders import customer
from tests.conformance.depth import MAX_EXAMPLES
from tests.conformance.deviations import DELIBERATE, unexplained
from tests.servers import environment, server_process
from tmf_apis import APIS

ROOT = Path(__file__).parents[2]
SECRET = "a-test-secret-that-is-long-enough-for-hs256"
CUSTOMERS = "/tmf-api/customerManagement/v4"
ORDERS = "/tmf-api/productOrderingManagement/v4"
CATALOG = "/tmf-api/productCatalogManagement/v4"
BILLING = "/tmf-api/customerBillManagement/v4"
ACCOUNTS = "/tmf-api/accountManagement/v4"


@dataclass
class Secured:
    url: str
    settings: Settings
    keys: dict[str, str]  # API keys by client name

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.keys[name]}, timeout=30)


def make_key(settings: Settings, name: str, roles: str, party: str = "") -> str:
    """A key made by the client command, as an operator makes one."""
    command = [sys.executable, "-m", "admin", "clients", "create", "--name", name]
    command += ["--roles", roles] + (["--party", party] if party else [])
    done = subprocess.run(
        command, cwd=ROOT, env=environment(settings), capture_output=True, text=True, check=True
    )
    found = re.search(r"X-API-Key: (\S+)", done.stdout)
    assert found, done.stdout + done.stderr
    return found.group(1)


@contextmanager
def secured_server(
    settings: Settings, name: str, clients: Mapping[str, tuple[str, str]]
) -> Iterator[Secured]:
    """A server requiring credentials, in a process and on a database of its own (`name`), with
    an API key for each client: client name -> (roles, party or "")."""
    own = dataclasses.replace(
        settings,
        mongo_database=f"{settings.mongo_database}_{name}_{uuid.uuid4().hex[:6]}",
        auth="required",
        jwt_hs256_secret=SECRET,
        auth_cache_seconds=0,
        rate_limit_per_minute=0,
    )
    keys = {
        client: make_key(own, client, roles, party) for client, (roles, party) in clients.items()
    }
    with server_process(own) as (_, url):
        yield Secured(url, own, keys)


def scoped(*roles: str) -> dict[str, tuple[str, str]]:
    """Clients `<role>-north` and `<role>-south` of each role, scoped to those parties."""
    return {f"{role}-{party}": (role, party) for role in roles for party in ("north", "south")}


@pytest.fixture(scope="module")
def secured(settings: Settings) -> Iterator[Secured]:
    # Every role unscoped, but those that act for a party (channel, partner): two of each.
    clients = {role: (role, "") for role in {"admin", *roles()} - {"channel", "partner"}}
    with secured_server(settings, "secured", {**clients, **scoped("channel", "partner")}) as server:
        yield server


def token(**claims: Any) -> str:
    body = {"sub": "crm", "exp": datetime.now(UTC) + timedelta(minutes=5), **claims}
    return jwt.encode(body, SECRET, algorithm="HS256")


def test_requests_without_valid_credentials_are_401(secured: Secured) -> None:
    target = f"{secured.url}{CUSTOMERS}/customer"
    expired = token(roles=["admin"], exp=datetime.now(UTC) - timedelta(seconds=5))
    forged = jwt.encode(
        {"roles": ["admin"], "exp": 4102444800},
        "another-secret-of-the-same-length-as-ours",
        "HS256",
    )
    for headers in (
        {},
        {"X-API-Key": "tmf_not-a-key"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": f"Bearer {token(roles=['emperor'])}"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        # A principal header from the client is dropped, never trusted.
        {"X-TMF-Principal": '{"name": "me", "roles": ["admin"], "party": null}'},
    ):
        response = httpx.get(target, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["@type"] == "Error"
        assert "WWW-Authenticate" in response.headers
    assert httpx.get(f"{secured.url}/health").status_code == 200


def test_only_a_secured_server_declares_its_credentials(secured: Secured, live_server) -> None:
    served = httpx.get(f"{secured.url}{CUSTOMERS}/openapi.json").json()
    assert served["security"] == [{"bearerAuth": []}, {"apiKey": []}]
    assert served["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"
    assert "security" not in live_server.client.get(f"{CUSTOMERS}/openapi.json").json()


def test_tokens_and_keys_authenticate(secured: Secured) -> None:
    bearer = {"Authorization": f"Bearer {token(roles='billing')}"}
    assert httpx.get(f"{secured.url}{BILLING}/customerBill", headers=bearer).status_code == 200
    assert httpx.get(f"{secured.url}{CATALOG}/catalog", headers=bearer).status_code == 403
    with secured.client("admin") as admin:
        assert admin.get(f"{CATALOG}/catalog").status_code == 200


def test_a_revoked_key_stops_working(secured: Secured) -> None:
    key = make_key(secured.settings, "short-lived", "catalog_manager")
    headers = {"X-API-Key": key}
    assert httpx.get(f"{secured.url}{CATALOG}/catalog", headers=headers).status_code == 200
    listed = subprocess.run(
        [sys.executable, "-m", "admin", "clients", "list"],
        cwd=ROOT,
        env=environment(secured.settings),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in listed.splitlines() if "short-lived" in row)
    assert key not in listed and key[:10] in line
    subprocess.run(
        [sys.executable, "-m", "admin", "clients", "revoke", line.split()[0]],
        cwd=ROOT,
        env=environment(secured.settings),
        check=True,
    )
    assert httpx.get(f"{secured.url}{CATALOG}/catalog", headers=headers).status_code == 401


def _operations() -> list[tuple[str, str, str, str]]:
    """(TMF number, method, path, resource path segment) of every operation of every API."""
    found = []
    for api in APIS:
        spec = load_spec(ROOT / "specs" / api.spec)
        for path, operations in spec["paths"].items():
            for method in operations:
                if method in ("get", "post", "patch", "delete"):
                    concrete = path.replace("{id}", "no-such-id")
                    found.append((api.tmf, method.upper(), api.base_path + concrete, path))
    return found


# Spot checks of the matrix itself (the sweep below checks the server keeps to it everywhere).
EXPECTED = [
    ("catalog_manager", "POST", f"{CATALOG}/productOffering", True),
    ("catalog_manager", "GET", f"{CUSTOMERS}/customer", False),
    ("channel-north", "GET", f"{CATALOG}/productOffering", True),
    ("channel-north", "POST", f"{CATALOG}/productOffering", False),
    ("channel-north", "DELETE", f"{CUSTOMERS}/customer/x", False),
    ("channel-north", "POST", f"{CUSTOMERS}/hub", False),
    ("fulfilment", "PATCH", f"{ORDERS}/productOrder/x", True),
    ("fulfilment", "POST", f"{ORDERS}/productOrder", False),
    ("billing", "POST", f"{BILLING}/billRun", True),
    ("billing", "PATCH", f"{ORDERS}/productOrder/x", False),
    ("partner-north", "GET", f"{BILLING}/customerBill", True),
    ("partner-north", "GET", f"{BILLING}/customerBillOnDemand", False),
    ("partner-north", "PATCH", f"{BILLING}/customerBill/x", False),
    ("admin", "DELETE", f"{CATALOG}/catalog/x", True),
]


@pytest.mark.parametrize(("name", "method", "path", "allowed"), EXPECTED)
def test_the_matrix_in_brief(secured: Secured, name, method, path, allowed) -> None:
    with secured.client(name) as client:
        status = client.request(method, path, json={} if method in ("POST", "PATCH") else None)
    assert (status.status_code != 403) is allowed, (status.status_code, status.text)
    assert status.status_code not in (401, 500)


# One test per role: each sends every operation of every API, and the roles are spread over the
# test workers.
@pytest.mark.parametrize(
    "name", ["admin", "catalog_manager", "fulfilment", "billing", "channel-north", "partner-north"]
)
def test_every_role_against_every_operation(secured: Secured, name: str) -> None:
    wrong = []
    role = name.split("-")[0]
    party = name.split("-")[1] if "-" in name else None
    caller = Principal(name, frozenset({role}), party)
    with secured.client(name) as client:
        for tmf, method, path, template in _operations():
            segments = template.strip("/").split("/")
            action = {"GET": "read", "POST": "create", "PATCH": "update", "DELETE": "delete"}
            act = action[method]
            if segments[0] == "hub" and template.endswith("/delivery"):
                act = "read"
            decision = decide(caller, tmf, segments[0], act)
            allowed = decision.allowed and not (
                decision.scope_role and len(segments) > 2 and segments[0] != "hub"
            )
            body = {} if method in ("POST", "PATCH") else None
            status = client.request(method, path, json=body).status_code
            if status in (401, 500) or (status == 403) == allowed:
                wrong.append((method, template, status))
    assert wrong == []


def customer_of(party: str) -> dict[str, str]:
    """The customer (held elsewhere) an account of `party`'s sales names."""
    return {
        "id": f"buyer-of-{party}",
        "name": "Buyer",
        "role": "customer",
        "@referredType": "Individual",
    }


def _settlement_bills(secured: Secured) -> dict[str, str]:
    """Orders sold through the two partners completed and billed; their statements' ids."""
    with secured.client("admin") as admin:
        fee = admin.post(
            f"{CATALOG}/productOfferingPrice",
            json={
                "name": "Fee",
                "priceType": "oneTime",
                "lifecycleStatus": "Active",
                "price": {"unit": "EUR", "value": 100},
            },
        ).json()
        offer = admin.post(
            f"{CATALOG}/productOffering",
            json={
                "name": "Sold by partners",
                "lifecycleStatus": "Launched",
                "productOfferingPrice": [{"id": fee["id"]}],
            },
        ).json()
        for party in ("north", "south"):
            line = {"id": "1", "action": "add", "productOffering": {"id": offer["id"]}}
            # Orders name accounts TMF666 holds (docs/accounts.md).
            held = admin.post(
                f"{ACCOUNTS}/billingAccount",
                json={"name": f"Sold by {party}", "relatedParty": [customer_of(party)]},
            )
            assert held.status_code == 201, held.text
            order = admin.post(
                f"{ORDERS}/productOrder",
                json={
                    "productOrderItem": [line],
                    "billingAccount": {"id": held.json()["id"]},
                    "relatedParty": [
                        {"id": party, "role": "partner", "@referredType": "Organization"}
                    ],
                },
            ).json()
            item = admin.get(f"{ORDERS}/productOrder/{order['id']}").json()["productOrderItem"][0]
            moved = admin.patch(
                f"{ORDERS}/productOrder/{order['id']}",
                json={"productOrderItem": [{**item, "state": "completed"}]},
            )
            assert moved.status_code == 200, moved.text
        now = datetime.now(UTC)
        period = {
            "startDateTime": (now - timedelta(days=1)).isoformat(),
            "endDateTime": (now + timedelta(days=1)).isoformat(),
        }
        run = admin.post(f"{BILLING}/billRun", json={"billingPeriod": period}).json()
        deadline = time.monotonic() + 60
        while admin.get(f"{BILLING}/billRun/{run['id']}").json()["state"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        bills = admin.get(f"{BILLING}/customerBill", params={"category": "settlement"}).json()
    return {b["relatedParty"][0]["id"]: b["id"] for b in bills}


def test_partners_see_only_their_own_bills_and_rates(secured: Secured) -> None:
    statements = _settlement_bills(secured)
    assert {"north", "south"} <= set(statements)
    with secured.client("partner-north") as north:
        mine = north.get(f"{BILLING}/customerBill")
        assert [b["id"] for b in mine.json()] == [statements["north"]]
        assert mine.headers["X-Total-Count"] == "1"
        for query in (
            {"relatedParty.id": "south"},
            {"relatedParty.id": "south", "relatedParty.role": "partner"},
            {"relatedParty.id": "north,south"},
            {"id": statements["south"]},
            {"billingAccount.id": "settlement-south"},
        ):
            found = north.get(f"{BILLING}/customerBill", params=query)
            assert statements["south"] not in str(found.json()), query
        counted = north.get(f"{BILLING}/customerBill", params={"limit": 0})
        assert counted.headers["X-Total-Count"] == "1"
        assert north.get(f"{BILLING}/customerBill/{statements['south']}").status_code == 404
        assert north.get(f"{BILLING}/customerBill/{statements['north']}").status_code == 200
        rates = north.get(f"{BILLING}/appliedCustomerBillingRate").json()
        assert rates and {r["billingAccount"]["id"] for r in rates} == {"settlement-north"}
    # The customer-side bill names `north` in no partner role: a payer element and a partner
    # element of different parties cannot combine.
    with secured.client("partner-south") as south:
        listed = south.get(f"{BILLING}/customerBill").json()
        assert [b["id"] for b in listed] == [statements["south"]]


def test_a_channel_manages_only_the_customers_it_brought(secured: Secured) -> None:
    with secured.client("channel-north") as north, secured.client("channel-south") as south:
        created = north.post(
            f"{CUSTOMERS}/customer",
            json={
                "name": "Brought by north",
                "engagedParty": {"id": "i-1", "@referredType": "Individual"},
            },
        )
        assert created.status_code == 201, created.text
        customer = created.json()
        assert {"id": "north", "role": "channel", "@referredType": "Organization"} in customer[
            "relatedParty"
        ]
        target = f"{CUSTOMERS}/customer/{customer['id']}"
        assert north.get(target).status_code == 200
        assert south.get(target).status_code == 404
        assert south.patch(target, json={"name": "taken"}).status_code == 404
        assert customer["id"] not in str(south.get(f"{CUSTOMERS}/customer").json())
        assert north.patch(target, json={"relatedParty": []}).status_code == 403
        assert north.patch(target, json={"name": "renamed"}).status_code == 200


def test_a_client_over_its_rate_gets_429(settings: Settings) -> None:
    own = dataclasses.replace(
        settings,
        mongo_database=f"{settings.mongo_database}_limited_{uuid.uuid4().hex[:6]}",
        auth="required",
        rate_limit_per_minute=60,  # a burst of 6, then one a second
    )
    # Two clients with the same name count apart: limits go by client, not by name.
    eager, namesake = make_key(own, "eager", "admin"), make_key(own, "eager", "admin")
    lister = make_key(own, "lister", "admin")
    with server_process(own) as (_, url):
        target = f"{url}{CUSTOMERS}/customer"
        one = f"{target}/no-such-customer"
        statuses = [httpx.get(one, headers={"X-API-Key": eager}) for _ in range(10)]
        other = httpx.get(one, headers={"X-API-Key": namesake})
        # A list of up to 200 costs 3 requests: two of them take the burst of 6.
        lists = [
            httpx.get(target, params={"limit": "200"}, headers={"X-API-Key": lister})
            for _ in range(3)
        ]
        # Failed authentications are limited by address, before any more key lookups.
        # A forwarded address names no proxy of ours: it changes nothing of what is counted.
        guesses = [
            httpx.get(
                target,
                headers={"X-API-Key": f"tmf_guess-{n}", "X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(10)
        ]
        # ... but a valid key from that address still passes: others' failures lock no one out.
        after_guesses = httpx.get(one, headers={"X-API-Key": namesake})
    assert [r.status_code for r in statuses[:6]] == [404] * 6
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert other.status_code == 404
    assert [r.status_code for r in lists] == [200, 200, 429]
    assert guesses[:6] == [401] * 6 and 429 in guesses[6:]
    assert after_guesses.status_code == 404


def test_an_open_server_ignores_a_principal_header(live_server) -> None:
    body = {"name": "Open", "engagedParty": {"id": "i-2", "@referredType": "Individual"}}
    assert live_server.client.post(f"{CUSTOMERS}/customer", json=body).status_code == 201
    forged = [
        "{not json",
        '{"name": "x", "roles": ["partner"], "party": "nobody", "subject": "x"}',
    ]
    for value in forged:
        response = live_server.client.get(
            f"{CUSTOMERS}/customer", params={"limit": 1}, headers={"X-TMF-Principal": value}
        )
        assert response.status_code in (200, 206), response.text
        assert response.json(), "an open server shows every customer"


def test_a_channel_reads_the_whole_catalog(secured: Secured) -> None:
    with secured.client("admin") as admin, secured.client("channel-north") as channel:
        offer = admin.post(
            f"{CATALOG}/productOffering",
            json={"name": "For every channel", "lifecycleStatus": "Launched"},
        ).json()
        assert channel.get(f"{CATALOG}/productOffering/{offer['id']}").status_code == 200
        listed = channel.get(f"{CATALOG}/productOffering", params={"id": offer["id"]}).json()
        assert [o["id"] for o in listed] == [offer["id"]]


def test_an_open_server_beyond_loopback_refuses_to_start(settings: Settings) -> None:
    with pytest.raises(ValueError, match="TMF_AUTH=off"):
        create_app(dataclasses.replace(settings, host="0.0.0.0", auth="off"))


@pytest.mark.conformance
def test_the_ctk_passes_with_a_key(secured: Secured, tmp_path: Path) -> None:
    kit = ROOT.parent / "shared" / "tmf-ctk" / "TMF629-Customer-v4.0.0"
    if not kit.exists():
        pytest.skip(f"{kit} is absent: the official TM Forum files live in ../shared")
    # The CTK lists every customer and checks attributes the other tests' customers may lack.
    result = run_ctk(
        kit,
        f"{secured.url}{CUSTOMERS}",
        headers={"X-API-Key": make_key(secured.settings, "qa", "admin")},
        report_dir=tmp_path,
    )
    assert result.error is None and result.assertions > 0
    assert result.assertions_failed == 0, [f"{f.request}: {f.message}" for f in result.failures]


@pytest.mark.conformance
@pytest.mark.parametrize("root", [CUSTOMERS, CATALOG, ORDERS, BILLING])
def test_fuzzing_finds_no_way_past_authentication(
    secured: Secured, root: str, tmp_path: Path
) -> None:
    # Every check, the authentication ones included: schemathesis also sends each request
    # without the key and with a wrong one and expects 401 (the served spec declares both
    # schemes).
    result = run_schemathesis(
        f"{secured.url}{root}",
        f"{secured.url}{root}/openapi.json",
        headers={"X-API-Key": secured.keys["admin"]},
        max_examples=MAX_EXAMPLES,
        seed=629,
        phases=("examples", "fuzzing"),
        report_dir=tmp_path,
    )
    assert not result.errors, result.errors
    assert result.test_cases > 0
    assert unexplained(result.failures, DELIBERATE) == []


def test_only_fulfilment_moves_an_order_a_channel_placed(secured: Secured) -> None:
    line = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": "x-1", "href": "https://partner.example/po/x-1"},
    }
    with secured.client("channel-north") as channel, secured.client("fulfilment") as oss:
        placed = channel.post(f"{ORDERS}/productOrder", json={"productOrderItem": [line]})
        assert placed.status_code == 201, placed.text
        target = f"{ORDERS}/productOrder/{placed.json()['id']}"
        order = channel.get(target).json()
        done = [{**order["productOrderItem"][0], "state": "completed"}]

        assert channel.patch(target, json={"productOrderItem": done}).status_code == 403
        assert channel.patch(target, json={"state": "held"}).status_code == 403
        note = [{"text": "customer prefers mornings"}]
        assert channel.patch(target, json={"note": note}).status_code == 200
        completed = oss.patch(target, json={"productOrderItem": done})

        assert completed.status_code == 200, completed.text
        assert completed.json()["state"] == "completed"
        assert channel.get(target).json()["state"] == "completed"


def test_a_channel_sees_the_same_orders_through_v4_and_v5(secured: Secured) -> None:
    orders_v5 = ORDERS.replace("/v4", "/v5")
    line = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": "x-2", "href": "https://partner.example/po/x-2"},
    }
    with secured.client("channel-north") as north, secured.client("channel-south") as south:
        by_v4 = north.post(f"{ORDERS}/productOrder", json={"productOrderItem": [line]})
        by_v5 = north.post(f"{orders_v5}/productOrder", json={"productOrderItem": [line]})
        assert by_v4.status_code == 201, by_v4.text
        assert by_v5.status_code == 201, by_v5.text
        mine = {by_v4.json()["id"], by_v5.json()["id"]}

        for root in (ORDERS, orders_v5):
            listed = {o["id"] for o in north.get(f"{root}/productOrder").json()}
            assert mine <= listed, root
            assert not mine & {o["id"] for o in south.get(f"{root}/productOrder").json()}
            for order_id in mine:
                assert north.get(f"{root}/productOrder/{order_id}").status_code == 200
                assert south.get(f"{root}/productOrder/{order_id}").status_code == 404
        # v5's envelope names the channel as v4's flat reference does.
        shown = north.get(f"{orders_v5}/productOrder/{by_v4.json()['id']}").json()
        assert {"role": "channel", "id": "north"}.items() <= {
            "role": shown["relatedParty"][0]["role"],
            "id": shown["relatedParty"][0]["partyOrPartyRole"]["id"],
        }.items()


def test_a_channel_sees_and_orders_against_only_its_customers_products(secured: Secured) -> None:
    inventory = "/tmf-api/productInventory/v4"
    line = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": "x-3", "href": "https://partner.example/po/x-3"},
    }
    with (
        secured.client("channel-north") as north,
        secured.client("channel-south") as south,
        secured.client("fulfilment") as oss,
    ):
        buyer = north.post(f"{CUSTOMERS}/customer", json=customer()).json()
        theirs = south.post(f"{CUSTOMERS}/customer", json=customer()).json()
        party = [{"id": buyer["id"], "role": "customer", "@referredType": "Customer"}]
        placed = north.post(
            f"{ORDERS}/productOrder", json={"productOrderItem": [line], "relatedParty": party}
        ).json()
        order = north.get(f"{ORDERS}/productOrder/{placed['id']}").json()
        done = [{**order["productOrderItem"][0], "state": "completed"}]
        completed = oss.patch(
            f"{ORDERS}/productOrder/{order['id']}", json={"productOrderItem": done}
        ).json()
        made = completed["productOrderItem"][0]["product"]["id"]

        for root in (inventory, inventory.replace("/v4", "/v5")):
            assert made in {p["id"] for p in north.get(f"{root}/product").json()}, root
            assert made not in {p["id"] for p in south.get(f"{root}/product").json()}, root
            assert north.get(f"{root}/product/{made}").status_code == 200
            assert south.get(f"{root}/product/{made}").status_code == 404
        assert south.post(f"{inventory}/product", json={"status": "created"}).status_code == 403
        # South ending north's product, for its own customer: as if the product did not exist.
        end = {"id": "1", "action": "delete", "product": {"id": made}}
        their_party = [{"id": theirs["id"], "role": "customer", "@referredType": "Customer"}]
        refused = south.post(
            f"{ORDERS}/productOrder", json={"productOrderItem": [end], "relatedParty": their_party}
        ).json()
        read_back = south.get(f"{ORDERS}/productOrder/{refused['id']}").json()
        assert read_back["state"] == "rejected"
        assert [n["text"] for n in read_back["note"]] == [
            f"item '1': product {made!r} does not exist"
        ]


def test_a_client_sees_and_cancels_only_its_own_subscriptions(secured: Secured) -> None:
    """Two clients of one role (tokens of two subjects); another's subscription reads as unknown,
    and the administrator sees both."""
    clients = {
        who: {"Authorization": f"Bearer {token(sub=who, roles=['catalog_manager'])}"}
        for who in ("crm-a", "crm-b")
    }
    hub = f"{secured.url}{CATALOG}/hub"
    made = {
        who: httpx.post(hub, json={"callback": f"https://{who}.example.com/x"}, headers=headers)
        for who, headers in clients.items()
    }
    assert all(response.status_code == 201 for response in made.values())
    ids = {who: response.json()["id"] for who, response in made.items()}
    a, b = clients["crm-a"], clients["crm-b"]
    assert [s["id"] for s in httpx.get(hub, headers=a).json()] == [ids["crm-a"]]
    assert httpx.get(f"{hub}/{ids['crm-a']}", headers=a).status_code == 200
    for method in ("GET", "DELETE"):
        assert httpx.request(method, f"{hub}/{ids['crm-b']}", headers=a).status_code == 404
    assert httpx.get(f"{hub}/{ids['crm-b']}/delivery", headers=a).status_code == 404
    with secured.client("admin") as admin:
        seen = {s["id"] for s in admin.get(f"{CATALOG}/hub", params={"limit": 200}).json()}
        assert set(ids.values()) <= seen
    assert httpx.delete(f"{hub}/{ids['crm-b']}", headers=b).status_code == 204
