"""The indexes the server creates at start are there while it serves: without them every lookup
by id and every read of new events scans its whole collection."""

from __future__ import annotations

from tmf_apis import APIS


def test_the_running_server_has_its_indexes(live_server, database) -> None:
    # live_server first: the database fixture, set up after it, must not take its indexes away.
    assert live_server.client.get("/health").status_code == 200
    for api in APIS:
        for resource in api.resources:
            names = set(database.db[resource.collection].index_information())
            expected = {"id_unique", "pending_events"} | {f"{f}_1" for f in resource.indexes}
            assert expected <= names, (resource.collection, expected - names)
    events = set(database.db["events"].index_information())
    assert {"eventId_unique", "api_sequence"} <= events
