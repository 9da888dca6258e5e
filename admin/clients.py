"""`clients create|list|revoke`: the keys third parties authenticate with.

python -m admin clients create --name "Acme CRM" --roles channel --party acme
python -m admin clients list
python -m admin clients revoke <client id>
"""

from __future__ import annotations

import argparse
import sys

from admin.connection import database
from handlers.access import check_roles
from persistence import clients
from settings import Settings


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("clients", help="API clients: create, list, revoke")
    actions = group.add_subparsers(dest="action", required=True)
    made = actions.add_parser("create", help="create a client and print its key (once)")
    made.add_argument("--name", required=True)
    made.add_argument("--roles", required=True, help="comma-separated, e.g. channel")
    made.add_argument("--party", default="", help="the party a channel or partner acts for")
    made.set_defaults(run=create)
    actions.add_parser("list", help="every client (never its key)").set_defaults(run=listing)
    gone = actions.add_parser("revoke", help="revoke a client's key")
    gone.add_argument("client_id")
    gone.set_defaults(run=revoke)


def create(args: argparse.Namespace, settings: Settings) -> int:
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    problem = check_roles(roles, args.party or None)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with database(settings):
        client, key = clients.create(args.name, roles, args.party or None)
    print(f"client {client.client_id} ({client.name}): X-API-Key: {key}")
    print("the key is not stored and cannot be shown again", file=sys.stderr)
    return 0


def listing(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings):
        for client in clients.everyone():
            state = f"revoked {client.revoked:%Y-%m-%d}" if client.revoked else "active"
            party = f" party={client.party_id}" if client.party_id else ""
            print(
                f"{client.client_id}  {client.name}  roles={','.join(client.roles)}{party}  "
                f"key={client.key_start}...  {state}"
            )
    return 0


def revoke(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings):
        if not clients.revoke(args.client_id):
            print(f"no active client {args.client_id}", file=sys.stderr)
            return 2
    print(f"client {args.client_id} revoked")
    return 0
