"""`subscriptions` and `dead-letters`: the hub's listeners, how far each lags, and sending a
subscription's dead letters again (the delivery worker picks them up at its next pass)."""

from __future__ import annotations

import argparse
import sys

from admin.connection import database
from persistence import subscriptions
from settings import Settings

SHOWN_LETTERS = 50


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser(
        "subscriptions", help="hub subscriptions: callback, backlog, dead letters"
    ).set_defaults(run=listing)
    letters = commands.add_parser("dead-letters", help="a subscription's dead letters")
    letters.add_argument("subscription_id")
    letters.add_argument("--replay", action="store_true", help="queue them for delivery again")
    letters.set_defaults(run=dead_letters)


def listing(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as opened:
        lags = {lag.subscription_id: lag for lag in subscriptions.lags(opened.outbox)}
        for found in subscriptions.Subscription.objects.order_by("created"):
            lag = lags.get(found.subscription_id)
            waiting = f"backlog={lag.backlog}" if lag else "backlog=?"
            if lag and lag.oldest:
                waiting += f" since {lag.oldest}"
            dead = lag.dead_letters if lag else 0
            print(
                f"{found.subscription_id}  {found.api}  {found.callback}  {waiting}  "
                f"delivered={found.delivered or 0}  dead={dead}  owner={found.owner or '-'}"
            )
    return 0


def dead_letters(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings):
        found = subscriptions.Subscription.objects(subscription_id=args.subscription_id).first()
        if found is None:
            print(f"no hub subscription {args.subscription_id}", file=sys.stderr)
            return 2
        letters = subscriptions.dead_letters(found.subscription_id, SHOWN_LETTERS)
        for letter in letters:
            print(
                f"{letter.event_id}  {letter.event_type}  {letter.event_time}  "
                f"attempts={letter.attempts}  {letter.error}"
            )
        total = subscriptions.count_dead(found.subscription_id)
        if total > len(letters):
            print(f"... {total - len(letters)} more", file=sys.stderr)
        if args.replay:
            queued = subscriptions.queue_replay(found.subscription_id)
            print(f"{queued} dead letters queued for delivery again")
    return 0
