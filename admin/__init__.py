"""The operator's command line: `python -m admin <command>` (or `make admin ARGS="<command>"`).

    clients create|list|revoke   API clients: keys, roles and party (admin/clients.py)
    subscriptions                hub subscriptions and how far their delivery lags
    dead-letters <id> [--replay] a subscription's dead letters, and sending them again
    migrate                      bring the database to this version's shape (resumable)
    backfill-products            products of orders completed before the inventory (TMF637)
    bill-run | bill-runs         start a bill run and follow it; the latest runs
    demo                         catalog, customers, orders, bills and payments, through the APIs

The database commands reach `TMF_MONGO_URI`, or the embedded database of the server running
here, in every mode (a data directory, or `TMF_DATA_DIR=:memory:` with its `TMF_PORT`;
persistence/address.py). The API commands talk to that server (`--url`, by default the address
`TMF_HOST`/`TMF_PORT` name); when it requires credentials they act as the operator through a key
made for the command and revoked when it ends (listed by `clients list` as "admin command line").
"""
