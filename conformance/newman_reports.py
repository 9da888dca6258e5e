"""Read newman's JSON reporter output into CTK counts, per-request rows and failures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.collection import item_paths
from conformance.results import CtkFailure, CtkRequest


@dataclass(frozen=True, slots=True)
class NewmanSummary:
    """The parts of a newman JSON report a CTK result needs."""

    collection: str
    requests: int
    requests_failed: int
    assertions: int
    assertions_failed: int
    failures: tuple[CtkFailure, ...]
    executions: tuple[CtkRequest, ...]
    error: str | None


def read_newman_json(path: Path) -> NewmanSummary:
    """Parse the file newman writes with `-r json --reporter-json-export PATH`."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    collection = document.get("collection") or {}
    run = document.get("run") or {}
    stats = run.get("stats") or {}
    # Ids are generated per run when the collection has none, so map them from this same report.
    names = item_paths(collection)
    error = run.get("error")
    return NewmanSummary(
        collection=str((collection.get("info") or {}).get("name", "")),
        requests=_stat(stats, "requests", "total"),
        requests_failed=_stat(stats, "requests", "failed"),
        assertions=_stat(stats, "assertions", "total"),
        assertions_failed=_stat(stats, "assertions", "failed"),
        failures=tuple(_failure(f, names) for f in run.get("failures") or []),
        executions=tuple(_execution(e, names) for e in run.get("executions") or []),
        error=None if error is None else str(_field(error, "message") or error),
    )


def _stat(stats: dict[str, Any], group: str, key: str) -> int:
    return int((stats.get(group) or {}).get(key, 0))


def _field(value: object, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _request_name(source: dict[str, Any] | None, names: dict[str, str]) -> str:
    source = source or {}
    return names.get(str(source.get("id")), str(source.get("name", "?")))


def _failure(failure: dict[str, Any], names: dict[str, str]) -> CtkFailure:
    error = failure.get("error") or {}
    at = str(failure.get("at", ""))
    source = failure.get("source") or {}
    request = _request_name(source, names)
    method = str((source.get("request") or {}).get("method", ""))
    message = str(error.get("message", ""))
    if at.startswith("assertion:"):
        return CtkFailure(request, str(error.get("test", at)), message, "assertion", method)
    if at == "request":  # no response at all: connection refused, timeout, bad URL
        return CtkFailure(request, "request", message, "request", method)
    # A test or pre-request script threw, e.g. JSONError on a body that is not JSON.
    return CtkFailure(request, at, f"{error.get('name', 'Error')}: {message}", "script", method)


def _execution(execution: dict[str, Any], names: dict[str, str]) -> CtkRequest:
    request = execution.get("request") or {}
    response = execution.get("response")
    assertions = execution.get("assertions") or []
    return CtkRequest(
        name=_request_name(execution.get("item"), names),
        method=str(request.get("method", "")),
        url=_url(request.get("url")),
        status_code=int(response["code"]) if isinstance(response, dict) else None,
        assertions=len(assertions),
        failed=sum(1 for a in assertions if a.get("error") is not None),
    )


def _url(url: object) -> str:
    """Rebuild the URL newman sent from the structured form its report stores."""
    if isinstance(url, str):
        return url
    if not isinstance(url, dict):
        return ""
    host = ".".join(url.get("host") or [])
    port = f":{url['port']}" if url.get("port") else ""
    path = "/".join(url.get("path") or [])
    query = "&".join(
        f"{q.get('key')}={q.get('value')}" if q.get("value") is not None else str(q.get("key"))
        for q in url.get("query") or []
        if not q.get("disabled")
    )
    protocol = url.get("protocol") or "http"
    return f"{protocol}://{host}{port}/{path}" + (f"?{query}" if query else "")
