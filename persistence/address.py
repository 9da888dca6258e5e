"""Where command-line tools find the database of the server running on this machine.

With `TMF_MONGO_URI` set, that is the database. Otherwise the server started its embedded
database on a free port and writes the address down while it runs: in its data directory
(`<TMF_DATA_DIR>/uri`), or, for a throwaway store (`TMF_DATA_DIR=:memory:`), which has no
directory, in a per-user directory of the system's temporary files under the port the server
answers on (`tmf-bss-<uid>/port-<TMF_PORT>.uri`), so that several such servers can run at once.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

URI_FILE = "uri"
IN_MEMORY = ":memory:"


def published_at(data_dir: str, port: int) -> Path:
    if data_dir != IN_MEMORY:
        return Path(data_dir) / URI_FILE
    return Path(tempfile.gettempdir()) / f"tmf-bss-{os.getuid()}" / f"port-{port}.uri"


def publish(data_dir: str, port: int, uri: str) -> Callable[[], None]:
    """Write the embedded database's address down; the returned function removes it."""
    path = published_at(data_dir, port)
    if data_dir == IN_MEMORY:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        if path.parent.stat().st_uid != os.getuid():
            # Another user's directory: an address read from it could name their database.
            raise PermissionError(f"{path.parent} belongs to another user")
    path.write_text(uri)
    return lambda: path.unlink(missing_ok=True)


def database_uri(settings_uri: str, data_dir: str, port: int) -> str:
    """The database a command-line tool works on: `TMF_MONGO_URI`, else the embedded database
    of the server running with this data directory (and, in memory, this port)."""
    if settings_uri:
        return settings_uri
    path = published_at(data_dir, port)
    if not path.exists():
        where = f"TMF_DATA_DIR={data_dir}" + (f", TMF_PORT={port}" if data_dir == IN_MEMORY else "")
        raise SystemExit(
            f"no database: set TMF_MONGO_URI, or start the server (make run) with {where}, "
            f"which writes its embedded database's address to {path}"
        )
    return path.read_text().strip()
