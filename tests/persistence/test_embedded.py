"""The embedded SecantusDB: started on a free port, stopped cleanly, data kept across restarts."""

from __future__ import annotations

from pathlib import Path

from pymongo import MongoClient

from persistence.embedded import EmbeddedDatabase


def test_data_survives_a_restart(tmp_path: Path) -> None:
    storage = str(tmp_path / "db")
    with EmbeddedDatabase(storage) as first:
        with MongoClient(first.uri) as client:
            client.tmf.customer.insert_one({"id": "kept", "name": "Moon FC"})
    with EmbeddedDatabase(storage) as second:
        with MongoClient(second.uri) as client:
            assert client.tmf.customer.find_one({"id": "kept"}, {"_id": 0})["name"] == "Moon FC"


def test_stop_ends_the_child_process(tmp_path: Path) -> None:
    database = EmbeddedDatabase(":memory:").start()
    process = database._process
    assert process is not None and process.poll() is None
    database.stop()
    assert process.poll() is not None
