"""What the auth operation authenticates with: API keys made by persistence/clients.py, HS256 JWTs,
and a keep-alive HTTP client that sends one credential with every GET."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable

import jwt

from bench.api import TIMEOUT_S, UnexpectedStatus
from bench.database import Target
from handlers.auth import API_KEY_HEADER

Headers = dict[str, str]
_KEY = re.compile(r"X-API-Key: (\S+)")
# A keep-alive connection the server closed while idle fails on first use; one retry reconnects.
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def api_keys(database: Target, wanted: Iterable[tuple[str, list[str], str | None]]) -> list[str]:
    """One client per (name, roles, party) in the database's `api_clients`, made by
    `python -m admin clients create` as an operator makes them; their keys, in order.

    The command runs in a process of its own: its database connection (mongoengine's, one per
    process) must not take over the one of a server running inside this process (the tests')."""
    environment = {**os.environ, "TMF_MONGO_URI": database.uri, "TMF_MONGO_DATABASE": database.name}
    keys = []
    for name, roles, party in wanted:
        command = [sys.executable, "-m", "admin", "clients", "create", "--name", name]
        command += ["--roles", ",".join(roles), "--party", party or ""]
        made = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=60, check=False
        )
        found = _KEY.search(made.stdout)
        if made.returncode != 0 or found is None:
            raise RuntimeError(f"admin clients create failed: {made.stderr.strip()}")
        keys.append(found.group(1))
    return keys


def token(secret: str, roles: list[str], lifetime_s: float, subject: str = "bench") -> str:
    """An HS256 JWT as handlers/auth.py takes it: `roles`, `sub` and the required `exp`."""
    claims = {"sub": subject, "roles": roles, "exp": int(time.time() + lifetime_s)}
    return jwt.encode(claims, secret, algorithm="HS256")


def api_key_header(key: str) -> Headers:
    return {API_KEY_HEADER: key}


def bearer_header(encoded: str) -> Headers:
    return {"Authorization": f"Bearer {encoded}"}


class CredentialClient:
    """One HTTP/1.1 keep-alive connection whose every GET carries the same credential headers
    (none for the open server), so that all sides of the auth operation pay the same client
    cost; otherwise as bench/api.py's HttpClient."""

    def __init__(self, host: str, port: int, credential: Headers) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        self._headers = {"Accept": "application/json", **credential}

    def get(self, path: str, expected: int = 200) -> bytes:
        """One GET, the whole response read; UnexpectedStatus for any other status."""
        for attempt in (1, 2):
            try:
                self._connection.request("GET", path, headers=self._headers)
                response = self._connection.getresponse()
                data = response.read()
                break
            except _STALE_CONNECTION:
                self._connection.close()
                if attempt == 2:
                    raise
        if response.status != expected:
            raise UnexpectedStatus(f"GET {path}: {response.status} {data[:200]!r}")
        return data

    def close(self) -> None:
        self._connection.close()
