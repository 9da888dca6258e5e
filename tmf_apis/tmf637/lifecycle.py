"""A product's lifecycle (TMF637): the statuses and the moves between them.

    created        -> pendingActive, active, cancelled, aborted
    pendingActive  -> active, cancelled, aborted
    active         -> suspended, pendingTerminate, terminated
    suspended      -> active, pendingTerminate, terminated
    pendingTerminate -> terminated, active
    terminated, cancelled, aborted: final

A product an order creates starts `active` (the order item completed: the service is on); one
written directly (an operator's migration) may start anywhere but a final status. A move off
the graph is 409.
"""

from __future__ import annotations

from tmf_apis.lifecycles import Lifecycle

CREATED = "created"
PENDING_ACTIVE = "pendingActive"
ACTIVE = "active"
SUSPENDED = "suspended"
PENDING_TERMINATE = "pendingTerminate"
TERMINATED = "terminated"
CANCELLED = "cancelled"
ABORTED = "aborted"

MOVES: dict[str, frozenset[str]] = {
    CREATED: frozenset({PENDING_ACTIVE, ACTIVE, CANCELLED, ABORTED}),
    PENDING_ACTIVE: frozenset({ACTIVE, CANCELLED, ABORTED}),
    ACTIVE: frozenset({SUSPENDED, PENDING_TERMINATE, TERMINATED}),
    SUSPENDED: frozenset({ACTIVE, PENDING_TERMINATE, TERMINATED}),
    PENDING_TERMINATE: frozenset({TERMINATED, ACTIVE}),
    TERMINATED: frozenset(),
    CANCELLED: frozenset(),
    ABORTED: frozenset(),
}
STATUSES = frozenset(MOVES)
FINAL = frozenset(s for s, moves in MOVES.items() if not moves)
# What a modify or delete order item may name: a product in service.
IN_SERVICE = frozenset({ACTIVE, SUSPENDED})


LIFECYCLE = Lifecycle("a product", "status", MOVES)
move_problem = LIFECYCLE.move_problem
