"""The JSON kept per document revision: made once per key, evicted oldest first, none kept at 0.
(That a write's new revision is what reads then show is tested over HTTP, edition against
edition, in tests/api: every read there goes through this cache.)"""

from __future__ import annotations

from collections.abc import Callable

from handlers.wire_cache import WireCache


def counting() -> tuple[list[str], Callable[[str], Callable[[], bytes]]]:
    made: list[str] = []

    def make(name: str) -> Callable[[], bytes]:
        def build() -> bytes:
            made.append(name)
            return name.encode()

        return build

    return made, make


def test_each_revision_is_made_once_and_a_new_revision_again() -> None:
    cache = WireCache(10)
    made, make = counting()
    first = ("/v5", "productOrder", "o-1", 1)
    assert cache.body(first, make("r1")) == b"r1"
    assert cache.body(first, make("again")) == b"r1"
    assert cache.body(("/v5", "productOrder", "o-1", 2), make("r2")) == b"r2"
    assert cache.body(("/v4", "productOrder", "o-1", 2), make("v4")) == b"v4"
    assert made == ["r1", "r2", "v4"]


def test_the_least_recently_read_goes_first() -> None:
    cache = WireCache(2)
    made, make = counting()
    a, b, c = (("/v5", "customer", name, 1) for name in "abc")
    cache.body(a, make("a"))
    cache.body(b, make("b"))
    cache.body(a, make("a again"))  # read: b is now the oldest
    cache.body(c, make("c"))
    cache.body(a, make("a third"))
    cache.body(b, make("b again"))
    assert made == ["a", "b", "c", "b again"]


def test_no_entries_keeps_nothing() -> None:
    cache = WireCache(0)
    made, make = counting()
    key = ("/v5", "customer", "a", 1)
    cache.body(key, make("1"))
    cache.body(key, make("2"))
    assert made == ["1", "2"]
