"""Catalog import and export jobs: real files, real background runs, restart safety."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pymongo import MongoClient

from settings import Settings
from tests.builders import category, product_offering, product_offering_price, unique
from tests.servers import server_process

ROOT = "/tmf-api/productCatalogManagement/v4"
ENTITIES = (
    "productSpecification",
    "productOfferingPrice",
    "productOffering",
    "category",
    "catalog",
)


def finished(client: httpx.Client, path: str, job_id: str) -> dict[str, Any]:
    # A bound for a machine the whole suite loads, not a speed: a job here takes seconds.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"{ROOT}/{path}/{job_id}").json()
        if job["status"] in ("Succeeded", "Failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"{path} {job_id} did not finish")


def run_job(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ROOT}/{path}", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] in ("Not Started", "Running", "Succeeded")
    return finished(client, path, response.json()["id"])


def catalog_content(client: httpx.Client, marker: str) -> dict[str, list[dict[str, Any]]]:
    return {
        path: client.get(
            f"{ROOT}/{path}", params={"name.regex": f"^{marker}", "sort": "name"}
        ).json()
        for path in ENTITIES
    }


def test_an_exported_catalog_reimports_identically(live_server, settings: Settings) -> None:
    marker = unique("export")
    client = live_server.client
    price = client.post(
        f"{ROOT}/productOfferingPrice", json=product_offering_price(name=f"{marker} fee")
    ).json()
    parent = client.post(f"{ROOT}/category", json=category(name=f"{marker} root")).json()
    client.post(f"{ROOT}/category", json=category(name=f"{marker} leaf", parentId=parent["id"]))
    client.post(
        f"{ROOT}/productOffering",
        json=product_offering(
            name=f"{marker} offer",
            productOfferingPrice=[{"id": price["id"], "name": price["name"]}],
            category=[{"id": parent["id"], "name": parent["name"]}],
        ),
    )
    before = catalog_content(client, marker)

    export = run_job(client, "exportJob", {"url": "http://ignored.example/export.json"})
    assert export["status"] == "Succeeded", export.get("errorLog")
    exported = Path(urlsplit(export["url"]).path)
    assert exported.parent == Path(settings.export_dir).resolve()
    assert json.loads(exported.read_text())["resources"]["productOffering"]

    empty = dataclasses.replace(settings, mongo_database=f"import_{uuid.uuid4().hex[:8]}")
    try:
        with server_process(empty) as (_, url), httpx.Client(base_url=url) as other:
            imported = run_job(other, "importJob", {"url": export["url"]})
            assert imported["status"] == "Succeeded", imported.get("errorLog")
            after = catalog_content(other, marker)
    finally:
        with MongoClient(settings.mongo_uri) as mongo:
            mongo.drop_database(empty.mongo_database)
    strip = lambda items: [{k: v for k, v in i.items() if k != "href"} for i in items]  # noqa: E731
    assert {p: strip(v) for p, v in after.items()} == {p: strip(v) for p, v in before.items()}
    assert all(before[p] for p in ("productOfferingPrice", "productOffering", "category"))


def test_an_export_selects_with_path_and_query(live_server) -> None:
    marker = unique("selected")
    client = live_server.client
    launched = client.post(
        f"{ROOT}/productOffering",
        json=product_offering(name=f"{marker} a", lifecycleStatus="Launched"),
    ).json()
    client.post(f"{ROOT}/productOffering", json=product_offering(name=f"{marker} b"))
    job = run_job(
        client,
        "exportJob",
        {"url": "file:///x", "path": "/productOffering", "query": f"name={launched['name']}"},
    )
    assert job["status"] == "Succeeded", job.get("errorLog")
    content = json.loads(Path(urlsplit(job["url"]).path).read_text())["resources"]
    assert list(content) == ["productOffering"]
    assert [o["id"] for o in content["productOffering"]] == [launched["id"]]


def test_an_import_from_outside_the_export_directory_fails(live_server) -> None:
    job = run_job(live_server.client, "importJob", {"url": "file:///etc/passwd"})
    assert job["status"] == "Failed"
    assert "outside the export directory" in job["errorLog"]
    assert job["completionDate"]


def test_an_import_of_a_broken_file_fails_with_an_error_log(live_server, settings) -> None:
    broken = Path(settings.export_dir) / f"broken-{uuid.uuid4().hex}.json"
    broken.write_text(
        '{"format": "tmf620-catalog-export/1", "resources": '
        '{"productOffering": [{"id": "x1", "name": 5}]}}'
    )
    job = run_job(live_server.client, "importJob", {"url": broken.resolve().as_uri()})
    assert job["status"] == "Failed"
    assert "productOffering/x1" in job["errorLog"]


def test_a_job_left_running_by_a_dead_process_is_run_again(live_server, database) -> None:
    marker = unique("orphan")
    client = live_server.client
    client.post(f"{ROOT}/productOffering", json=product_offering(name=f"{marker} a"))
    job_id = f"orphan-{uuid.uuid4().hex[:8]}"
    database.db["export_job"].insert_one(
        {
            "id": job_id,
            "url": "file:///x",
            "status": "Running",
            "creationDate": "2026-01-01T00:00:00.000Z",
            "path": "/productOffering",
            "query": f"name.regex=^{marker}",
            "_rev": 1,
        }
    )
    database.db["job_runs"].insert_one(
        {
            "_id": job_id,
            "kind": "ExportJob",
            "state": "Running",
            "worker": "dead-process",
            "lease_until": datetime(2026, 1, 1),
        }
    )
    # Any new job wakes the runner, which also takes up expired leases.
    run_job(client, "exportJob", {"url": "file:///y", "path": "/catalog"})
    job = finished(client, "exportJob", job_id)
    assert job["status"] == "Succeeded", job.get("errorLog")
