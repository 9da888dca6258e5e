"""API clients: the keys third parties authenticate with, their roles and party.

A key is shown once, when it is created; the database keeps its SHA-256 only (and its first
characters, to tell keys apart in listings). A revoked client stays listed with its revocation
date and no longer authenticates.

    python -m persistence.clients create --name "Acme CRM" --roles channel --party acme
    python -m persistence.clients list
    python -m persistence.clients revoke <client id>

The command reaches the database at `TMF_MONGO_URI`, or, when it is not set, the embedded
database of the server running from this directory (its address is in `<TMF_DATA_DIR>/uri`).
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from mongoengine import DateTimeField, Document, ListField, StringField

from persistence.subscriptions import MONGOENGINE_ALIAS

KEY_PREFIX = "tmf_"
# How many first characters of a key are kept in the clear, to tell keys apart.
KEY_START_LENGTH = 10
URI_FILE = "uri"


class ApiClient(Document):  # type: ignore[misc]  # mongoengine has no type information
    meta = {
        "collection": "api_clients",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": [{"fields": ["key_hash"], "unique": True}, "client_id"],
    }
    client_id = StringField(required=True)
    name = StringField(required=True)
    key_hash = StringField(required=True)
    key_start = StringField(required=True)
    roles = ListField(StringField(), required=True)
    party_id = StringField()
    created = DateTimeField(required=True)
    revoked = DateTimeField()


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(name: str, roles: Iterable[str], party_id: str | None) -> tuple[ApiClient, str]:
    """A new client and its key (the only time the key is available)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        client_id=str(uuid.uuid4()),
        name=name,
        key_hash=key_hash(key),
        key_start=key[:KEY_START_LENGTH],
        roles=sorted(set(roles)),
        party_id=party_id or None,
        created=datetime.now(UTC),
    )
    client.save()
    return client, key


def find_by_key(key: str) -> ApiClient | None:
    """The live client holding this key, or None."""
    found = ApiClient.objects(key_hash=key_hash(key), revoked=None).first()
    return found if isinstance(found, ApiClient) else None


def live_key_starts() -> list[str]:
    """The kept first characters of every live client's key."""
    return [str(c.key_start) for c in ApiClient.objects(revoked=None).only("key_start")]


def holds_role(party_id: str, role: str) -> bool:
    """Whether a live client acts for `party_id` with `role`."""
    found = ApiClient.objects(party_id=party_id, roles=role, revoked=None).first()
    return found is not None


def everyone() -> list[ApiClient]:
    return list(ApiClient.objects.order_by("created"))


def revoke(client_id: str) -> bool:
    updated = ApiClient.objects(client_id=client_id, revoked=None).update(
        set__revoked=datetime.now(UTC)
    )
    return bool(updated)


def database_uri(settings_uri: str, data_dir: str) -> str:
    """The database a command-line tool works on: `TMF_MONGO_URI`, else the embedded database
    of the server running from this directory."""
    if settings_uri:
        return settings_uri
    path = Path(data_dir) / URI_FILE
    if not path.exists():
        raise SystemExit(
            "no database: set TMF_MONGO_URI, or start the server (make run) so that its embedded "
            f"database's address is in {path}"
        )
    return path.read_text().strip()


def main(argv: list[str] | None = None) -> int:
    from persistence.database import Database
    from settings import Settings

    parser = argparse.ArgumentParser(prog="python -m persistence.clients")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("create", help="create a client and print its key (once)")
    made.add_argument("--name", required=True)
    made.add_argument("--roles", required=True, help="comma-separated, e.g. channel")
    made.add_argument("--party", default="", help="the party a channel or partner acts for")
    commands.add_parser("list", help="list clients (never their keys)")
    gone = commands.add_parser("revoke", help="revoke a client's key")
    gone.add_argument("client_id")
    args = parser.parse_args(argv)

    from handlers.access import check_roles

    settings = Settings.from_env()
    database = Database(
        database_uri(settings.mongo_uri, settings.data_dir), settings.mongo_database
    )
    try:
        if args.command == "create":
            roles = [r.strip() for r in args.roles.split(",") if r.strip()]
            problem = check_roles(roles, args.party or None)
            if problem:
                print(problem, file=sys.stderr)
                return 2
            client, key = create(args.name, roles, args.party or None)
            print(f"client {client.client_id} ({client.name}): X-API-Key: {key}")
            print("the key is not stored and cannot be shown again", file=sys.stderr)
        elif args.command == "list":
            for client in everyone():
                state = f"revoked {client.revoked:%Y-%m-%d}" if client.revoked else "active"
                party = f" party={client.party_id}" if client.party_id else ""
                print(
                    f"{client.client_id}  {client.name}  roles={','.join(client.roles)}{party}  "
                    f"key={client.key_start}...  {state}"
                )
        elif not revoke(args.client_id):
            print(f"no active client {args.client_id}", file=sys.stderr)
            return 2
        return 0
    finally:
        database.close()


if __name__ == "__main__":
    sys.exit(main())
