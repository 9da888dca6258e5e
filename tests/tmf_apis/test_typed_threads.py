"""`@type` filling shared by threads: request threads and the delivery worker meet a schema for
the first time at once; every one gets the whole result (it once raised IndexError in the
delivery worker, calling a recursive schema's placeholder before it was filled)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tmf_apis.typed import TypeDefaults

THREADS = 8
ORDER: dict[str, Any] = {
    "id": "o-1",
    "productOrderItem": [
        {
            "id": "1",
            "action": "add",
            "productOffering": {"id": "po-1"},
            "productOrderItem": [{"id": "1.1", "action": "add", "productOffering": {"id": "po-2"}}],
        }
    ],
    "relatedParty": [{"role": "Customer", "partyOrPartyRole": {"id": "c-1"}}],
    "note": [{"text": "first"}],
}


@pytest.fixture
def switching_often() -> Iterator[None]:
    """Threads switch after every few bytecodes, so that compilations interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def fill_at_once(shared: TypeDefaults) -> tuple[list[Any], list[BaseException]]:
    """What THREADS threads, released together, each make of ORDER with `shared`."""
    start = threading.Barrier(THREADS)
    results: list[Any] = []
    failures: list[BaseException] = []

    def fill() -> None:
        start.wait()
        try:
            results.append(shared.fill("ProductOrder", ORDER))
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=fill) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_threads_filling_a_recursive_schema_at_once_all_get_the_whole_result(
    switching_often: None,
) -> None:
    expected = TypeDefaults("TMF622-ProductOrdering-v5.yaml").fill("ProductOrder", ORDER)
    assert expected["productOrderItem"][0]["productOrderItem"][0]["@type"] == "ProductOrderItem"
    for _ in range(10):
        shared = TypeDefaults("TMF622-ProductOrdering-v5.yaml")
        shared.fill("Note", {"text": "x"})  # the document is read; its order schemas are not
        results, failures = fill_at_once(shared)
        assert failures == []
        assert results == [expected] * THREADS
