"""Every operation bench times against the server and the raw driver: one module each, registered
here. Adding one is its module and a line below (and its place in `bench/params.py`'s run order).
The operations measured their own way (events, bill_run, bill_list, auth) are modules of `bench/`
that `bench/run.py` calls by name."""

from __future__ import annotations

from bench.operation import Paired
from bench.operations import (
    create,
    customer_list,
    offering_list,
    order_create,
    order_list,
    patch,
    retrieve,
)

PAIRED: dict[str, Paired] = {
    op.name: op
    for op in (
        retrieve.OPERATION,
        customer_list.OPERATION,
        offering_list.OPERATION,
        order_list.OPERATION,
        patch.OPERATION,
        create.OPERATION,
        order_create.OPERATION,
    )
}
