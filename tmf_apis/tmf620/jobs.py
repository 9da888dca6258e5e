"""Import and export jobs: catalog content to and from JSON files, run in the background.

A job is created "Not Started", moves to "Running" when a server process claims it, and ends
"Succeeded" or "Failed" (with `errorLog`). Claims are leases kept in the database, so a job whose
process died is taken up again by any process once its lease runs out, and several processes
never run one job at once.

Exports write `<export_dir>/export-<job id>.json` and report its `file:` URL in `url` (a client's
`url` is replaced: the server does not write where a client points it). `path` names the
collection to export (e.g. `/productOffering`; all catalog collections without it) and `query`
filters it with the usual attribute syntax (e.g. `lifecycleStatus=Launched`). Imports read such a
file, given as a `file:` URL inside the export directory, and create or replace each resource by
its id, after checking it against the resource schema.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema.exceptions import best_match
from mongoengine import DateTimeField, Document, StringField
from pymongo import ReturnDocument

import telemetry
from persistence import dates, query
from persistence.errors import PersistenceError
from persistence.store import ResourceStore
from persistence.subscriptions import MONGOENGINE_ALIAS
from settings import Settings
from tmf_apis.rules import Document as Resource
from tmf_apis.rules import RuleContext, Rules
from tmf_apis.schema import ResourceSchema

log = logging.getLogger("tmf.jobs")

NOT_STARTED, RUNNING, SUCCEEDED, FAILED = "Not Started", "Running", "Succeeded", "Failed"
# The collections an export covers, by path segment, and the order an import writes them in, so
# that what others refer to exists first.
CATALOG_PATHS = {
    "productSpecification": "ProductSpecification",
    "productOfferingPrice": "ProductOfferingPrice",
    "productOffering": "ProductOffering",
    "category": "Category",
    "catalog": "Catalog",
}
FORMAT = "tmf620-catalog-export/1"
LEASE = timedelta(minutes=5)
POLL_INTERVAL_S = 2.0


class JobRules(Rules):
    kind = ""

    def on_create(self, document: Resource, context: RuleContext) -> None:
        document["status"] = NOT_STARTED
        document["creationDate"] = context.now
        document.setdefault("contentType", "application/json")

    def after_create(self, document: Resource, context: RuleContext) -> None:
        JobRun(job_id=document["id"], kind=self.kind, state=NOT_STARTED).save(force_insert=True)
        RUNNERS.wake()


class ImportJobRules(JobRules):
    kind = "ImportJob"


class ExportJobRules(JobRules):
    kind = "ExportJob"


class JobRun(Document):  # type: ignore[misc]  # mongoengine has no type information
    """The server's own record of a job's execution: who holds it, until when."""

    job_id = StringField(primary_key=True)
    kind = StringField(required=True)
    state = StringField(required=True)
    worker = StringField()
    lease_until = DateTimeField()

    meta = {
        "collection": "job_runs",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": [("state", "lease_until")],
    }


@dataclass(frozen=True)
class CatalogAccess:
    """The stores and schemas a job reads and writes, by resource schema name."""

    stores: Mapping[str, ResourceStore]
    schemas: Mapping[str, ResourceSchema]
    export_dir: Path


class JobRunner:
    """Claims and runs jobs in a background thread of this process."""

    def __init__(self, access: CatalogAccess) -> None:
        self.access = access
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tmf-jobs", daemon=True)

    def start(self) -> None:
        self.access.export_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and self.run_one():
                    pass
                telemetry.went_round("tmf-jobs")
            except Exception:  # a broken database must not end the thread; it retries
                log.exception("job runner error")
                telemetry.went_round("tmf-jobs", failed=True)
            self._wake.wait(POLL_INTERVAL_S)
            self._wake.clear()

    def run_one(self) -> bool:
        """Claim one runnable job and run it; False when there is none."""
        now = datetime.now(UTC)
        claimed = JobRun._get_collection().find_one_and_update(
            {
                "$or": [
                    {"state": NOT_STARTED},
                    {"state": RUNNING, "lease_until": {"$lt": now}},
                ]
            },
            {"$set": {"state": RUNNING, "worker": self.worker, "lease_until": now + LEASE}},
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            return False
        job_id, kind = claimed["_id"], claimed["kind"]
        store = self.access.stores[kind]
        store.modify(job_id, lambda job: job.update(status=RUNNING))
        job = store.get(job_id)
        try:
            outcome = (self._export if kind == "ExportJob" else self._import)(job)
            outcome.update(status=SUCCEEDED)
        except JobFailed as failure:
            outcome = {"status": FAILED, "errorLog": str(failure)}
        except Exception as error:  # recorded on the job; the runner goes on
            log.exception("job %s failed", job_id)
            outcome = {"status": FAILED, "errorLog": f"internal error: {error}"}
        outcome["completionDate"] = dates.now()
        store.modify(job_id, lambda job: job.update(outcome))
        JobRun.objects(job_id=job_id, worker=self.worker).update_one(set__state=outcome["status"])
        log.info("job finished", extra={"job": job_id, "kind": kind, "status": outcome["status"]})
        return True

    def _export(self, job: Resource) -> dict[str, Any]:
        selected = _selected_paths(job.get("path"))
        where = _filter(job.get("query"), selected, self.access)
        content: dict[str, list[Resource]] = {}
        for path in selected:
            content[path] = list(self.access.stores[CATALOG_PATHS[path]].find_all(where))
        target = self.access.export_dir / f"export-{job['id']}.json"
        partial = target.with_suffix(".part")
        document = {"format": FORMAT, "exported": dates.now(), "resources": content}
        partial.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        partial.replace(target)  # readers never see a half-written export
        return {"url": target.resolve().as_uri()}

    def _import(self, job: Resource) -> dict[str, Any]:
        source = _local_file(job.get("url", ""), self.access.export_dir)
        try:
            document = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise JobFailed(f"cannot read {job.get('url')}: {error}") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise JobFailed(f"{job.get('url')} is not a catalog export ({FORMAT})")
        resources = document.get("resources", {})
        problems: list[str] = []
        written = 0
        for path, schema in CATALOG_PATHS.items():
            for item in resources.get(path, []):
                problem = self._import_one(schema, item)
                if problem:
                    problems.append(f"{path}/{item.get('id', '?')}: {problem}")
                else:
                    written += 1
        if problems:
            summary = f"{written} resources imported, {len(problems)} refused:"
            raise JobFailed("\n".join([summary, *problems]))
        return {}

    def _import_one(self, schema: str, item: Any) -> str | None:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return "not a resource with an id"
        store = self.access.stores[schema]
        resource_schema = self.access.schemas[schema]
        document = {k: v for k, v in item.items() if k != "href" and not k.startswith("_")}
        try:
            store.prepare(document)
        except PersistenceError as error:
            return error.message
        invalid = best_match(resource_schema.validator.iter_errors({**document, "href": "x"}))
        if invalid is not None:
            return invalid.message
        store.put(document)
        return None


class JobFailed(Exception):
    """The job cannot complete; the message becomes its `errorLog`."""


class _Runners:
    """The runner of this process, once the application has started one."""

    runner: JobRunner | None = None

    def wake(self) -> None:
        if self.runner is not None:
            self.runner.wake()


RUNNERS = _Runners()


def start_runner(
    stores: Mapping[str, ResourceStore],
    schemas: Mapping[str, ResourceSchema],
    settings: Settings,
    reactions: Mapping[str, object],
) -> Callable[[], None]:
    """Start this process's job runner; returns the function that stops it."""
    JobRun.ensure_indexes()
    runner = JobRunner(CatalogAccess(stores, schemas, Path(settings.export_dir)))
    runner.start()
    RUNNERS.runner = runner

    def stop() -> None:
        runner.stop()
        RUNNERS.runner = None

    return stop


def _selected_paths(path: Any) -> list[str]:
    if not path:
        return list(CATALOG_PATHS)
    name = str(path).strip("/").split("/")[-1]
    if name not in CATALOG_PATHS:
        raise JobFailed(f"path {path!r} is not one of: {', '.join(CATALOG_PATHS)}")
    return [name]


def _filter(text: Any, paths: list[str], access: CatalogAccess) -> dict[str, Any]:
    if not text:
        return {}
    if len(paths) != 1:
        raise JobFailed("a query needs a path naming the one collection it filters")
    types = access.schemas[CATALOG_PATHS[paths[0]]].field_types
    try:
        return query.build_filter(parse_qsl(str(text), keep_blank_values=True), types)
    except PersistenceError as error:
        raise JobFailed(f"query {text!r}: {error.message}") from None


def _local_file(url: str, directory: Path) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise JobFailed(f"url must be a file: URL inside the export directory, not {url!r}")
    candidate = Path(unquote(parts.path)).resolve()
    if not candidate.is_relative_to(directory.resolve()):
        raise JobFailed(f"{url!r} is outside the export directory; the server reads only there")
    return candidate
