"""Server settings: every knob read once from `TMF_*` environment variables, with typed defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "TMF_"


@dataclass(frozen=True)
class Settings:
    """Typed configuration; tests build one directly instead of editing `os.environ`."""

    host: str = "127.0.0.1"
    port: int = 8080
    # A MongoDB URI (standalone, replica set or sharded cluster). Empty: start the embedded one.
    mongo_uri: str = ""
    # Set by `python app.py` when it started the embedded database that `mongo_uri` points to.
    embedded_db: bool = False
    # How long a request waits for an unreachable database before it is answered 503.
    mongo_timeout_ms: int = 5000
    # Database used when the URI names none.
    mongo_database: str = "tmf"
    # Where the embedded database keeps its files; ":memory:" for a throwaway store.
    data_dir: str = "data/secantus"
    # Where catalog export jobs write their files, and the only place import jobs read from.
    export_dir: str = "data/exports"
    # Public base URL of every `href` (e.g. https://api.example.com). Empty: from each request,
    # whose Host must then be one of `allowed_hosts` when the server listens beyond loopback.
    public_url: str = ""
    # Host names (host or host:port, comma-separated) requests may name; beyond loopback and
    # without a public URL one is required, so that no client decides the links others receive.
    allowed_hosts: str = ""
    # Addresses of the reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated
    # IPs, or * for any); empty: none, the connection's own address counts.
    trusted_proxies: str = ""
    # The most items one list response may hold; a larger `limit` is refused with 400.
    max_page_size: int = 1000
    max_body_bytes: int = 1_048_576
    # The most bytes a request's line and headers may take (431 beyond), checked before anything
    # else reads them.
    max_header_bytes: int = 65_536
    # Response validation costs up to 4x on lists, so it is for tests and conformance runs only.
    validate_responses: bool = False
    # Event delivery to hub listeners (notifications/). The worker runs inside the server unless
    # this is off, for deployments that run `python -m notifications` beside several servers.
    delivery_worker: bool = True
    # `python -m notifications` serves its own /metrics on this port (0: none).
    worker_metrics_port: int = 0
    # Callbacks on private, loopback or link-local addresses are refused unless this is on.
    callback_allow_private: bool = False
    delivery_timeout_ms: int = 5000
    # A failing event is retried with backoff (from the first to the longest wait) for this
    # long, then kept as a dead letter that the hub's replay sends again.
    delivery_give_up_seconds: int = 86400
    delivery_first_retry_ms: int = 1000
    delivery_max_retry_ms: int = 300_000
    delivery_poll_ms: int = 1000
    # Delivered events are kept this long (for the delivery state and for audits), then removed.
    event_retention_hours: int = 168
    # Events are numbered in this many partitions (1 to 64). One keeps every event of an API in
    # one order; several let writers on several processes number events without waiting for one
    # another, keeping only each resource's events in order. Read when a database is first used;
    # it keeps its count.
    event_partitions: int = 1
    # How often scheduled work (cancellations requested for a later date) is looked for.
    scheduler_poll_ms: int = 5000
    # The APIs served, as TMF numbers (e.g. "TMF620,TMF622"); empty serves every one.
    apis: str = ""
    # How long the effects of completed order items (products, charges) are left to the request
    # that completed them before a background sweep runs them (a process that died meanwhile).
    completion_grace_ms: int = 10000
    # Billing (TMF678): tax percent by kind of charge, for charges whose price names no rate.
    billing_tax_rates: str = (
        "appliedBillingCharge=20,appliedBillingCredit=20,appliedPenaltyCharge=20,"
        "partnerRevenueShare=0"
    )
    # A channel partner's share, in percent of the tax-excluded amount of what it sold:
    # `partner:<party id>=15,offering:<offering id>=20,default=10` (the first that applies).
    settlement_shares: str = "default=10"
    # Days between a bill's date and its payment due date, for accounts whose cycle names none.
    bill_payment_days: int = 14
    # Whether the server starts each billing cycle's bill run when its period ends (each period
    # once, whatever the processes: tmf_apis/tmf678/schedule.py); off: runs are posted.
    bill_cycles_auto: bool = False
    # Authentication (handlers/auth.py): `auto` requires it when the server listens beyond
    # loopback and leaves a loopback server open; `required`; `off` (loopback only).
    auth: str = "auto"
    jwt_hs256_secret: str = ""
    jwt_public_key_file: str = ""
    jwt_jwks_file: str = ""
    jwt_audience: str = ""
    jwt_issuer: str = ""
    # The longest a bearer token may live (from `iat`, else from now, to `exp`): a leaked
    # long-lived token cannot be revoked.
    jwt_max_lifetime_seconds: int = 86_400
    # How long an API key's lookup is reused: a revoked key stops working within this time.
    auth_cache_seconds: int = 30
    # Requests a minute per authenticated client; 0 for no limit.
    rate_limit_per_minute: int = 6000
    # How long the outcome of a POST sent with an `Idempotency-Key` is replayed to its retries.
    idempotency_hours: int = 24
    # How long a request holds its key before a retry may take it over (the holder's process
    # presumably gone): longer than any POST runs.
    idempotency_lease_seconds: int = 60
    # Stored documents whose JSON, as each edition shows them, a process keeps so that reads map
    # and write each revision once (handlers/wire_cache.py); 0 keeps none.
    wire_cache: int = 10000
    log_level: str = "INFO"
    workers: int = 1
    specs_dir: Path = field(default=Path(__file__).parent / "specs")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `TMF_<FIELD>` variables, converting each to its field's type; overrides win."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(raw, f.type, f.name)
        values.update(overrides)
        return cls(**values)


def _convert(raw: str, kind: Any, name: str) -> Any:
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(
                f"{ENV_PREFIX}{name.upper()} must be an integer, got {raw!r}"
            ) from None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be true or false, got {raw!r}")
        return lowered in {"1", "true", "yes", "on"}
    if kind == "Path":
        return Path(raw)
    return raw
