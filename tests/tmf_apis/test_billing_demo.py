"""The billing demo (`make demo`, `python -m admin demo`) against a server whose catalog lists
more offerings than one page holds, as after `make seed`: it reads the lists page by page and goes
through."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from settings import Settings
from tests.servers import server_process
from tmf_apis.tmf620 import demo as catalog_demo
from tmf_apis.tmf678 import demo as billing_demo

# uvicorn's default for an idle kept-alive connection (app.server_options leaves it).
KEEP_ALIVE_S = 5


def test_the_billing_demo_goes_through_after_a_catalog_of_several_pages(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    own = dataclasses.replace(settings, mongo_database=f"billing_demo_{uuid.uuid4().hex[:8]}")
    with server_process(own) as (_, url):
        catalog_demo.load(url, 150, 3)  # more launched offerings than a page of 100
        code = billing_demo.main(["--url", url, "--customers", "3"])
        # A refusal shows its reason and the size of what came, not a whole list.
        client = billing_demo.JsonClient(url)
        with pytest.raises(billing_demo.Refused) as refused:
            client.call("GET", f"{billing_demo.CATALOG}/productOffering?limit=100", expect=201)
        client.close()
    assert len(str(refused.value)) < billing_demo.SHOWN_BODY + 200
    assert "bytes)" in str(refused.value)
    shown = capsys.readouterr()
    assert code == 0, shown.err
    assert "bills" in shown.out


def test_a_read_after_the_server_closed_an_idle_connection_goes_through(live_server) -> None:
    """uvicorn closes a kept-alive connection idle for 5 s (the demo's own, while the catalog
    loads through another); the next read opens a new one."""
    client = billing_demo.JsonClient(live_server.url)
    try:
        path = f"{billing_demo.CUSTOMERS}/customer?limit=1"
        client.call("GET", path, expect={200, 206})
        time.sleep(KEEP_ALIVE_S + 1)
        assert isinstance(client.call("GET", path, expect={200, 206}), list)
    finally:
        client.close()
