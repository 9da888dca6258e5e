"""Where a request's CPU goes: py-spy samples of the server and the database during a window.

`python -m bench --profile DIR` attaches py-spy (`--nonblocking`, so the sampled processes are not
paused) to the API server and to the embedded database for the first server window of each
operation, and to the database for the first raw-driver window. Each recording is kept as
py-spy's collapsed stacks (`DIR/<operation>.<side>.txt`, one line per distinct stack with its
sample count), and the run ends with `DIR/summary.md`: for each recording, CPU milliseconds per
request by layer (the layer of the frame the sample was taken in, its "self" time) and the
functions that hold most of it on their stack, with all they call: ours in the server, the
command handlers in the database.

Only samples of a thread holding the GIL count (`--gil`): both processes are Python, so that is
their CPU, less what C code does with the GIL released (socket writes, WiredTiger's own work).
Sampling costs the sampled process little but takes CPU of its own on a two-core machine, so a
profiled run's rates are not the figures to quote: run the figures without `--profile`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Samples a second: at a few hundred requests a second, some samples per request in a window.
RATE = 250
TOP_FUNCTIONS = 15
# Our own code's functions, and the database's command handlers, are listed with all they call
# ("inclusive").
OURS = re.compile(r"^(handlers|persistence|tmf_apis|notifications)/|^app\.py$")
DATABASE_COMMANDS = re.compile(
    r"^_(insert|update|find|find_and_modify|delete|aggregate|count|get_more) \(secantus/commands"
)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# The layer of a frame, by the first pattern its file matches: the HTTP stack, request handling
# by connexion and flask, the driver, JSON, our own packages, the database's parts.
LAYERS: Sequence[tuple[str, str]] = (
    ("http server (uvicorn, asyncio, httptools)", r"uvicorn/|asyncio/|httptools|uvloop|h11/"),
    ("asgi/wsgi bridge (starlette, a2wsgi)", r"starlette/|a2wsgi/|asgiref/|anyio/"),
    ("request validation (jsonschema)", r"jsonschema|referencing/|rpds"),
    ("connexion", r"connexion/"),
    ("flask, werkzeug", r"flask/|werkzeug/"),
    ("driver, BSON (pymongo, bson)", r"pymongo/|bson/"),
    ("json", r"(^|/)json/"),
    ("handlers/", r"(^|/)handlers/"),
    ("persistence/", r"(^|/)persistence/"),
    ("tmf_apis/", r"(^|/)tmf_apis/"),
    ("notifications/", r"(^|/)notifications/"),
    ("telemetry, metrics", r"(^|/)telemetry|prometheus_client/"),
    ("database: wire protocol", r"secantus/.*(wire|protocol|server|network|handler|command)"),
    ("database: queries and indexes", r"secantus/.*(query|match|index|plan|cursor|sort)"),
    ("database: storage, oplog, documents", r"secantus/"),
    ("database: WiredTiger bindings", r"wiredtiger/"),
    (
        "python: threads, sockets, logging",
        r"threading|socket|selectors|logging/|queue|ssl|concurrent/",
    ),
)
OTHER = "other"


def layer_of(file: str) -> str:
    for name, pattern in LAYERS:
        if re.search(pattern, file):
            return name
    return OTHER


@dataclass
class Profile:
    """One recording: samples by the layer they were taken in, and by function on the stack."""

    samples: int = 0
    by_layer: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)

    def add(self, frames: Sequence[tuple[str, str]], count: int) -> None:
        self.samples += count
        self.by_layer[layer_of(frames[-1][1]) if frames else OTHER] += count
        named = {f"{function} ({file})" for function, file in frames}
        for function in {f for f in named if OURS.search(f.rpartition("(")[2].rstrip(")"))}:
            self.inclusive[function] += count
        for command in {f for f in named if DATABASE_COMMANDS.search(f)}:
            self.inclusive[command] += count


def parse(lines: Iterable[str]) -> Profile:
    """py-spy's raw format: `frame;frame;...;frame count`, the root first."""
    profile = Profile()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for text in stack.split(";"):
            found = _FRAME.match(text)
            if found:
                frames.append((found["function"], found["file"]))
        profile.add(frames, int(count))
    return profile


class Recorder:
    """py-spy attached to some processes for one window, writing collapsed stacks."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.recorded: dict[str, int] = {}  # recording name -> requests in its window
        self._running: list[subprocess.Popen[bytes]] = []
        # Installed beside the interpreter running bench (the project's dev dependencies).
        found = shutil.which("py-spy") or shutil.which("py-spy", path=Path(sys.executable).parent)
        if found is None:
            raise RuntimeError("--profile needs py-spy (pip install py-spy)")
        self._py_spy = found

    def start(self, name: str, pid: int, seconds: float) -> None:
        self._running.append(
            subprocess.Popen(
                [
                    self._py_spy,
                    "record",
                    "--nonblocking",
                    "--gil",
                    "--subprocesses",
                    "--format",
                    "raw",
                    "--rate",
                    str(RATE),
                    "--duration",
                    str(max(1, round(seconds))),
                    "--pid",
                    str(pid),
                    "--output",
                    str(self.directory / f"{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def finish(self, names: Sequence[str], requests: int) -> None:
        for process in self._running:
            process.wait()
        self._running = []
        for name in names:
            self.recorded[name] = requests

    def summary(self) -> str:
        out = [
            "# Where the CPU goes (py-spy self samples, ms of CPU per request)",
            "",
            f"Sampled at {RATE} Hz; each sample is {1000 / RATE:.0f} ms of one thread's CPU.",
        ]
        for name, requests in self.recorded.items():
            path = self.directory / f"{name}.txt"
            if not path.exists() or not requests:
                continue
            profile = parse(path.read_text().splitlines())
            per_request = 1000 / RATE / requests
            out += [
                "",
                f"## {name}: {profile.samples} samples over {requests} requests, "
                f"{profile.samples * per_request:.2f} ms/request",
                "",
                "| layer (self) | ms/request | share |",
                "|---|--:|--:|",
            ]
            for layer, samples in profile.by_layer.most_common():
                share = samples / profile.samples
                out.append(f"| {layer} | {samples * per_request:.3f} | {share:.0%} |")
            out += ["", "| function, with what it calls | ms/request | share |", "|---|--:|--:|"]
            for function, samples in profile.inclusive.most_common(TOP_FUNCTIONS):
                share = samples / profile.samples
                shown = function.replace("|", "/")
                out.append(f"| `{shown}` | {samples * per_request:.3f} | {share:.0%} |")
        text = "\n".join(out) + "\n"
        (self.directory / "summary.md").write_text(text)
        return text
