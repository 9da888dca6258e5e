"""`TMF_APIS`: which APIs a server serves."""

from __future__ import annotations

import pytest

from app import served
from tmf_apis import APIS


def test_every_api_is_served_by_default() -> None:
    assert served(APIS, "") == list(APIS)


def test_the_apis_named_are_served_in_every_edition() -> None:
    chosen = served(APIS, "tmf629, TMF637")
    assert {(a.tmf, a.version) for a in chosen} == {
        ("TMF629", "v4"),
        ("TMF629", "v5"),
        ("TMF637", "v4"),
        ("TMF637", "v5"),
    }


def test_an_api_the_server_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="TMF999"):
        served(APIS, "TMF629,TMF999")
