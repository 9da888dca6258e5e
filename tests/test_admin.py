"""The admin command line (`python -m admin`), run as an operator runs it: against a server that
keeps its database in memory, against one that requires credentials, and `make demo`'s flow
against a fresh server after `make seed`."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from settings import Settings
from tests.api.test_security import secured_server
from tests.builders import customer
from tests.servers import environment, server_process

ROOT = Path(__file__).parent.parent
CUSTOMERS = "/tmf-api/customerManagement/v4"
INVENTORY = "/tmf-api/productInventory/v4"
BILLING = "/tmf-api/customerBillManagement/v4"
PAYMENTS = "/tmf-api/payment/v4"


def admin(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "admin", *args],
        cwd=ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def in_memory(settings: Settings) -> Settings:
    """A server with the embedded database and no directory: `TMF_DATA_DIR=:memory:`."""
    return dataclasses.replace(settings, mongo_uri="", data_dir=":memory:", mongo_database="tmf")


def test_the_commands_reach_a_server_that_keeps_its_database_in_memory(
    settings: Settings,
) -> None:
    own = in_memory(settings)
    with server_process(own) as (_, url):
        # The command is told what the server was: in memory, on this port.
        here = dataclasses.replace(own, port=urlsplit(url).port or 0)
        made = admin(here, "clients", "create", "--name", "Night shift", "--roles", "billing")
        assert made.returncode == 0, made.stderr
        assert "X-API-Key: tmf_" in made.stdout
        listed = admin(here, "clients", "list")
        assert "Night shift" in listed.stdout and "roles=billing" in listed.stdout
        hub = httpx.post(f"{url}{CUSTOMERS}/hub", json={"callback": "https://crm.example.com/e"})
        assert hub.status_code == 201
        assert httpx.post(f"{url}{CUSTOMERS}/customer", json=customer()).status_code == 201
        shown = admin(here, "subscriptions")
        assert shown.returncode == 0, shown.stderr
        assert hub.json()["id"] in shown.stdout and "customerManagement" in shown.stdout
        letters = admin(here, "dead-letters", hub.json()["id"], "--replay")
        assert letters.returncode == 0 and "0 dead letters queued" in letters.stdout
        migrated = admin(here, "migrate")
        assert migrated.returncode == 0 and "migrate: done" in migrated.stdout, migrated.stderr
        ran = admin(here, "bill-run")
        assert ran.returncode == 0, ran.stderr
        assert " done " in ran.stdout.splitlines()[-1]
        runs = admin(here, "bill-runs")
        assert ran.stdout.split()[2].rstrip(":") in runs.stdout
    # The server gone, its address is too: the command says what to do.
    gone = admin(here, "clients", "list")
    assert gone.returncode != 0
    assert "no database" in gone.stderr and "TMF_PORT" in gone.stderr


def test_api_commands_act_through_a_key_made_and_revoked_for_them(settings: Settings) -> None:
    with secured_server(settings, "admin_cli", {"admin": ("admin", "")}) as secured:
        ran = admin(secured.settings, "bill-run", "--url", secured.url)
        assert ran.returncode == 0, ran.stderr
        listed = admin(secured.settings, "clients", "list").stdout
        (line,) = [row for row in listed.splitlines() if "admin command line (bill run)" in row]
        assert "revoked" in line
        # A refusal is one line and exit code 2, not a traceback.
        refused = admin(secured.settings, "bill-run", "--url", secured.url, "--cycle", "nope")
        assert refused.returncode == 2
        assert refused.stderr.startswith("refused: POST") and "422" in refused.stderr


def test_make_demo_goes_through_on_a_fresh_server_after_make_seed(settings: Settings) -> None:
    own = dataclasses.replace(
        settings, mongo_database=f"{settings.mongo_database}_demo_{uuid.uuid4().hex[:6]}"
    )
    with server_process(own) as (_, url):
        seeded = subprocess.run(
            [sys.executable, "-m", "tmf_apis.tmf620.demo", "--url", url, "--offerings", "40"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
        done = admin(own, "demo", "--url", url, "--customers", "7", timeout=600)
        assert done.returncode == 0, done.stderr
        # Progress as it goes, the outcome at the end.
        steps = [line for line in done.stderr.splitlines() if line.startswith("demo: ")]
        assert any("bill run" in step for step in steps) and any(
            "payments" in step for step in steps
        )
        assert "demo billing:" in done.stdout and "(1 of bundles" in done.stdout
        with httpx.Client(base_url=url, timeout=30) as client:
            products = client.get(f"{INVENTORY}/product", params={"limit": 200}).json()
            assert any(p.get("isBundle") for p in products)
            assert {p["status"] for p in products} >= {"active", "terminated"}
            bills = client.get(f"{BILLING}/customerBill", params={"limit": 200}).json()
            assert {b["state"] for b in bills} >= {"settled", "partiallyPaid"}
            assert client.get(f"{PAYMENTS}/payment", params={"limit": 1}).json()


@pytest.mark.parametrize("argv", [["--help"], ["clients", "--help"], ["demo", "--help"]])
def test_help_names_the_commands(settings: Settings, argv: list[str]) -> None:
    shown = admin(settings, *argv)
    assert shown.returncode == 0 and "usage: python -m admin" in shown.stdout
