"""Find a CTK's Postman collection, the URL variable it expects, and add headers to a copy of it."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

# v4 kits build every URL as "{{Customer}}customer": the variable is the API root, no separator.
_LEADING_VARIABLE = re.compile(r"^\{\{([^{}]+)\}\}")
_COLLECTION_PATTERNS = ("*.postman_collection.json", "*.testkit.json")
_ENVIRONMENT_PATTERN = "*.postman_environment.json"


class KitError(Exception):
    """The kit folder does not hold what a CTK run needs."""


def find_collection(kit: Path) -> Path:
    """The collection of a kit: `kit` itself if a file, else the one in `kit/ctk/` or `kit/`."""
    if kit.is_file():
        return kit
    for folder in (kit / "ctk", kit):
        found = sorted({p for pattern in _COLLECTION_PATTERNS for p in folder.glob(pattern)})
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise KitError(
                f"{folder} holds several collections ({names}); pass one with --kit FILE"
            )
    raise KitError(f"no *.postman_collection.json or *.testkit.json under {kit}/ctk or {kit}")


def find_environment(collection_path: Path) -> Path | None:
    """The Postman environment shipped next to the collection, if there is exactly one."""
    found = sorted(collection_path.parent.glob(_ENVIRONMENT_PATTERN))
    return found[0] if len(found) == 1 else None


def load_json(path: Path) -> dict[str, Any]:
    # utf-8-sig: some exported Postman files start with a byte-order mark.
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    return document


def request_items(collection: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every request item of a collection, depth first, in run order."""

    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            if "item" in item:
                yield from walk(item["item"])
            elif "request" in item:
                yield item

    yield from walk(collection.get("item", []))


def item_paths(collection: Mapping[str, Any]) -> dict[str, str]:
    """Item id -> "Folder / Request name", the way newman's console names a request."""
    paths: dict[str, str] = {}

    def walk(items: list[dict[str, Any]], prefix: tuple[str, ...]) -> None:
        for item in items:
            name = prefix + (str(item.get("name", "")),)
            if "item" in item:
                walk(item["item"], name)
            elif "id" in item:
                paths[str(item["id"])] = " / ".join(name)

    walk(list(collection.get("item", [])), ())
    return paths


def detect_url_variable(
    collection: Mapping[str, Any], environment: Mapping[str, Any] | None
) -> str:
    """The variable the collection's request URLs start with, e.g. "Customer"."""
    leading: Counter[str] = Counter()
    for item in request_items(collection):
        match = _LEADING_VARIABLE.match(_raw_url(item["request"]))
        if match is not None:
            leading[match.group(1)] += 1
    if leading:
        return leading.most_common(1)[0][0]
    # Not a v4-style collection: fall back to the environment variable the collection mentions.
    text = json.dumps(collection)
    names = [v["key"] for v in (environment or {}).get("values", []) if "key" in v]
    used = [name for name in names if "{{" + name + "}}" in text]
    if len(used) == 1:
        return used[0]
    raise KitError("cannot tell which variable holds the API root; pass --url-variable NAME")


def with_headers(collection: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """A copy of the collection where every request sends `headers`, replacing same-named ones."""
    result = copy.deepcopy(dict(collection))
    wanted = {name.lower() for name in headers}
    for item in request_items(result):
        request = item["request"]
        if isinstance(request, str):  # the collection format allows a bare URL for a GET
            request = item["request"] = {"url": request, "method": "GET"}
        kept = [
            h for h in request.get("header") or [] if str(h.get("key", "")).lower() not in wanted
        ]
        request["header"] = kept + [{"key": k, "value": v} for k, v in headers.items()]
    return result


def _raw_url(request: str | Mapping[str, Any]) -> str:
    if isinstance(request, str):
        return request
    url = request.get("url", "")
    if isinstance(url, str):
        return url
    raw = url.get("raw")
    if isinstance(raw, str):
        return raw
    host = url.get("host") or [""]
    return str(host[0]) if isinstance(host, list) else str(host)
