"""The command line's parser: each module of admin/ adds its commands (`register`) and each
command names the function that carries it out (`run`), which returns the exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pymongo.errors import PyMongoError

from admin import clients, events, maintenance, operations
from settings import Settings

MODULES = (clients, events, maintenance, operations)


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        prog="python -m admin",
        description="Operate the TMF server: API clients, event delivery, migrations, bill "
        "runs and demo data. The environment's TMF_* settings say which server and database "
        "(TMF_MONGO_URI, else the embedded database of the server running with TMF_DATA_DIR, "
        "and with :memory: its TMF_PORT).",
    )
    commands = made.add_subparsers(dest="command", required=True, metavar="command")
    for module in MODULES:
        module.register(commands)
    return made


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args, Settings.from_env())
    except PyMongoError as error:
        # A server stopped without removing its address, or a database gone: one line.
        print(f"the database does not answer: {error}", file=sys.stderr)
        return 2
    return code
