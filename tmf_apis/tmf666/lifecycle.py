"""An account's lifecycle (TMF666): the states and the moves between them.

The official files name the states in prose and examples only (`state` is free text there):
Active, Closed and Suspended in v4, Inactive beside Active and Suspended in v5's examples. The
server takes those four, spelled so:

    Inactive  -> Active, Closed        opened, not (or no longer) in use
    Active    -> Inactive, Suspended, Closed
    Suspended -> Active, Closed        on hold, e.g. for unpaid bills
    Closed: final

A new account is Active unless its creator names another state; it may start in any but
Closed (an operator migrating accounts from another system). A move off the graph is 409; a
state outside it, 422.
"""

from __future__ import annotations

from tmf_apis.lifecycles import Lifecycle

INACTIVE = "Inactive"
ACTIVE = "Active"
SUSPENDED = "Suspended"
CLOSED = "Closed"

MOVES: dict[str, frozenset[str]] = {
    INACTIVE: frozenset({ACTIVE, CLOSED}),
    ACTIVE: frozenset({INACTIVE, SUSPENDED, CLOSED}),
    SUSPENDED: frozenset({ACTIVE, CLOSED}),
    CLOSED: frozenset(),
}
STATES = tuple(MOVES)
FINAL = frozenset(s for s, moves in MOVES.items() if not moves)
INITIAL = ACTIVE


LIFECYCLE = Lifecycle("an account", "state", MOVES)
move_problem = LIFECYCLE.move_problem
