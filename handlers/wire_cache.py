"""Stored documents as each edition writes them in JSON, kept per revision: a read maps and
serializes each document once.

Showing a document costs Python work beyond reading it: an edition other than the stored one
(v5) walks it to fill `@type` on every object and reshape references (some 25 µs for a product
order, paid 20 times by a list of 20), and every edition serializes it. A stored document never
changes without its revision (`_rev`) changing, and an edition's shape depends on nothing but
the document, so what was made for (base path, resource, id, revision) stays right for as long
as that revision is read, in any process: a write anywhere makes a new revision and so a new
key. What is kept is the JSON of the document without its `id` and `href` (the href follows the
URL a client used), a few kilobytes per order, evicted oldest first beyond the configured number
of documents (`TMF_WIRE_CACHE`; 0 keeps none).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

Key = tuple[str, str, str, int]


class WireCache:
    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._bodies: OrderedDict[Key, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def body(self, key: Key, make: Callable[[], bytes]) -> bytes:
        """The JSON `make()` writes for `key` (base path, resource path, id, revision), made
        once while it is kept."""
        if not self.entries:
            return make()
        with self._lock:
            found = self._bodies.get(key)
            if found is not None:
                self._bodies.move_to_end(key)
                return found
        made = make()
        with self._lock:
            self._bodies[key] = made
            while len(self._bodies) > self.entries:
                self._bodies.popitem(last=False)
        return made
