"""`python -m bench.floor` at tiny scale, and the summary `bench --profile` writes of py-spy's
recordings."""

from __future__ import annotations

import os
from pathlib import Path

from bench import floor
from bench.params import Params
from bench.profiles import Recorder, layer_of, parse
from tests.conftest import URI_VARIABLE


def test_the_floor_times_server_bare_services_and_raw_driver_alike(worker_id: str) -> None:
    params = Params(
        customers=50,
        concurrency=2,
        duration_s=0.3,
        warmup_s=0.1,
        repeat=1,
        mongo_uri=os.environ[URI_VARIABLE],
        database=f"bench_floor_{worker_id}_{os.getpid()}",
    )

    windows = floor.measure(params, lambda _line: None)

    assert list(windows) == ["retrieve", "create"]
    for sides in windows.values():
        assert list(sides) == list(floor.SIDES)
        for found in sides.values():
            assert found[0].requests > 0 and found[0].errors == 0
        # Each HTTP side's own process is metered; the raw side has none.
        assert all("server" in sides[side][0].cpu_ms_per_request for side in ("server", "asgi"))
        assert "server" not in sides["raw"][0].cpu_ms_per_request
    table = floor.report(windows)
    assert table.count("\n| retrieve |") + table.count("\n| create |") == 8


# py-spy's raw format: the frames of one stack, root first, and how many samples had it.
RECORDED = "\n".join(
    [
        "<module> (app.py:400);main (app.py:380);Server.serve (uvicorn/server.py:60) 3",
        "<module> (app.py:400);Flask.wsgi_app (flask/app.py:1500);"
        "create_resource (handlers/resources.py:90);"
        "ResourceStore.insert (persistence/store.py:120);"
        "Collection.insert_one (pymongo/synchronous/collection.py:800) 5",
        "Thread.run (threading.py:900);dispatch (secantus/commands.py:10);"
        "_insert (secantus/commands.py:300);Storage.insert (secantus/storage.py:20) 2",
    ]
)


def test_a_recording_is_summed_by_layer_and_by_function(tmp_path: Path) -> None:
    profile = parse(RECORDED.splitlines())

    assert profile.samples == 10
    assert profile.by_layer == {
        "http server (uvicorn, asyncio, httptools)": 3,
        "driver, BSON (pymongo, bson)": 5,
        "database: storage, oplog, documents": 2,
    }
    # Our functions with all they call; flask's app.py is not ours; the database's commands.
    assert profile.inclusive["create_resource (handlers/resources.py)"] == 5
    assert profile.inclusive["<module> (app.py)"] == 8
    assert not any("flask" in name for name in profile.inclusive)
    assert profile.inclusive["_insert (secantus/commands.py)"] == 2
    assert layer_of("something/else.py") == "other"

    recorder = Recorder(tmp_path)
    (tmp_path / "create.server.txt").write_text(RECORDED)
    recorder.recorded["create.server"] = 5
    summary = recorder.summary()
    # 10 samples at 4 ms over 5 requests: 8 ms a request, 4 of them in the driver.
    assert "## create.server: 10 samples over 5 requests, 8.00 ms/request" in summary
    assert "| driver, BSON (pymongo, bson) | 4.000 | 50% |" in summary
    assert (tmp_path / "summary.md").read_text() == summary
