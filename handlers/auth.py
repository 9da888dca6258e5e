"""Authentication and authorisation in front of every API: who calls, and may they.

Credentials: `X-API-Key: <key>` (a client made with `python -m admin clients create`), or
`Authorization: Bearer <JWT>` verified against the configured keys (`TMF_JWT_HS256_SECRET`, or
RS256 with `TMF_JWT_PUBLIC_KEY_FILE` or `TMF_JWT_JWKS_FILE`), with `exp` required and `aud` and
`iss` checked when configured; a request carrying both is refused. A token's roles are its
`roles` claim (a list or a space-separated string) and its party the `party_id` claim. Missing
or bad credentials: 401; an operation the roles do not allow: 403 (access.py has the matrix). A
client over its rate gets 429 with `Retry-After`, and so does an address after repeated failed
authentications, for any credential that cannot be valid (no key lookup for those): a bearer
token, a key known valid or a key that starts as a live client's still passes, so that others'
failures from the same address (a shared NAT) never lock a valid caller out.

The principal reaches the handlers as the `X-TMF-Principal` request header, set here after any
header of that name the client sent is dropped; handlers read it with `principal()`.
Swagger UI, the served specs, `/`, and `/health` need no credentials.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
import flask
import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

import errors
from handlers.access import Principal, check_roles, decide
from handlers.guards import is_public, refuse
from persistence import clients
from settings import Settings

log = logging.getLogger("tmf.auth")

PRINCIPAL_HEADER = "X-TMF-Principal"
_PRINCIPAL_KEY = PRINCIPAL_HEADER.lower().encode()
API_KEY_HEADER = "X-API-Key"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tmf", X-API-Key'}
_ACTIONS = {"GET": "read", "HEAD": "read", "POST": "create", "PATCH": "update", "DELETE": "delete"}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

MAX_CACHED_KEYS = 10_000
# Failed authentications allowed per client address and minute before 429 (bursts of a tenth).
FAILURES_PER_MINUTE = 60
# A list counts as one request plus one per this many items its `limit` allows.
LIST_ITEMS_PER_REQUEST = 100
MAX_LIST_COST_LIMIT = 10_000


class Authenticator:
    """Turns credentials into a Principal; raises errors.Unauthorized."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()
        # The first characters of live clients' keys, and until when that list is used.
        self._starts: tuple[frozenset[str], float] = (frozenset(), 0.0)
        self._hs256 = settings.jwt_hs256_secret
        self._public_key = _read(settings.jwt_public_key_file)
        self._jwks = (
            jwt.PyJWKSet.from_json(_read(settings.jwt_jwks_file))
            if settings.jwt_jwks_file
            else None
        )

    def may_be_valid(self, headers: dict[str, str]) -> bool:
        """Whether the credential could be a valid one, decided without looking a key up: a
        bearer token (verified on its own), a key known valid, or a key that starts like a live
        client's (guesses do not: keys are random). What an address whose failures are over
        its limit may still present, so that others' failures never lock a valid caller out."""
        key = headers.get(API_KEY_HEADER.lower())
        if key is None:
            return "authorization" in headers
        with self._lock:
            cached = self._keys.get(key)
        if cached is not None and cached[1] is not None:
            return True
        return key[: clients.KEY_START_LENGTH] in self._live_key_starts()

    def _live_key_starts(self) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            starts, expires = self._starts
        if expires < now:
            starts = frozenset(clients.live_key_starts())
            with self._lock:
                self._starts = (starts, now + max(self.settings.auth_cache_seconds, 1))
        return starts

    def needs_lookup(self, headers: dict[str, str]) -> bool:
        """Whether authenticating these headers reads the database (an API key not cached)."""
        key = headers.get(API_KEY_HEADER.lower())
        if key is None:
            return False
        with self._lock:
            cached = self._keys.get(key)
        return cached is None or cached[0] < time.monotonic()

    @property
    def takes_tokens(self) -> bool:
        return bool(self._hs256 or self._public_key or self._jwks)

    def authenticate(self, headers: dict[str, str]) -> Principal:
        key = headers.get(API_KEY_HEADER.lower())
        if key is not None and "authorization" in headers:
            # Which one would count is a guess a caller must not be able to play with.
            raise errors.Unauthorized(
                f"send one credential: an {API_KEY_HEADER} header or an Authorization header",
                reason="Ambiguous credentials",
                headers=_CHALLENGE,
            )
        if key is not None:
            return self._by_key(key)
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self._by_token(token.strip())
        raise errors.Unauthorized(
            f"credentials are required: an {API_KEY_HEADER} header or a bearer token",
            reason="Missing credentials",
            headers=_CHALLENGE,
        )

    def _by_key(self, key: str) -> Principal:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(key)
        if cached is None or cached[0] < now:
            client = clients.find_by_key(key)
            principal = (
                Principal(
                    client.name,
                    frozenset(client.roles),
                    client.party_id,
                    subject=f"key:{client.client_id}",
                )
                if client is not None
                else None
            )
            cached = (now + self.settings.auth_cache_seconds, principal)
            with self._lock:
                if len(self._keys) > MAX_CACHED_KEYS:
                    # Unknown keys go first: a caller trying many cannot push valid ones out.
                    self._keys = {k: v for k, v in self._keys.items() if v[1] is not None}
                    if len(self._keys) > MAX_CACHED_KEYS:
                        self._keys.clear()
                self._keys[key] = cached
        if cached[1] is None:
            raise errors.Unauthorized(
                "the API key is not valid (unknown or revoked)",
                reason="Invalid credentials",
                headers=_CHALLENGE,
            )
        return cached[1]

    def _by_token(self, token: str) -> Principal:
        if not self.takes_tokens:
            raise errors.Unauthorized(
                "this server takes no bearer tokens; use an API key",
                reason="Invalid credentials",
                headers=_CHALLENGE,
            )
        try:
            claims = self._decode(token)
        except jwt.PyJWTError as error:
            raise errors.Unauthorized(
                f"the bearer token is not valid: {error}",
                reason="Invalid credentials",
                headers=_CHALLENGE,
            ) from None
        lifetime = _lifetime(claims)
        if lifetime > self.settings.jwt_max_lifetime_seconds:
            raise errors.Unauthorized(
                f"the bearer token lives {int(lifetime)} s; tokens may live at most "
                f"{self.settings.jwt_max_lifetime_seconds} s",
                reason="Invalid credentials",
                headers=_CHALLENGE,
            )
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        party = claims.get("party_id")
        party = party if isinstance(party, str) and party else None
        if not isinstance(roles, list) or check_roles([str(r) for r in roles], party):
            raise errors.Unauthorized(
                "the bearer token names no usable roles (or a party-scoped role without party_id)",
                reason="Invalid credentials",
                headers=_CHALLENGE,
            )
        subject = claims.get("sub")
        unique = (
            f"jwt:{claims.get('iss') or ''}:{subject}"
            if subject
            else "jwt:" + hashlib.sha256(token.encode()).hexdigest()[:24]
        )
        return Principal(str(subject or "token"), frozenset(map(str, roles)), party, unique)

    def _decode(self, token: str) -> dict[str, Any]:
        options = {"require": ["exp"]}
        common: dict[str, Any] = {"options": options}
        if self.settings.jwt_audience:
            common["audience"] = self.settings.jwt_audience
        else:
            options["verify_aud"] = False  # type: ignore[assignment]
        if self.settings.jwt_issuer:
            common["issuer"] = self.settings.jwt_issuer
        algorithm = jwt.get_unverified_header(token).get("alg")
        if algorithm == "HS256" and self._hs256:
            return dict(jwt.decode(token, self._hs256, algorithms=["HS256"], **common))
        if algorithm == "RS256" and self._jwks is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            matching = [k for k in self._jwks.keys if kid is None or k.key_id == kid]
            if not matching:
                raise jwt.InvalidKeyError(f"no key {kid!r} in the configured key set")
            return dict(jwt.decode(token, matching[0].key, algorithms=["RS256"], **common))
        if algorithm == "RS256" and self._public_key:
            return dict(jwt.decode(token, self._public_key, algorithms=["RS256"], **common))
        raise jwt.InvalidAlgorithmError(f"algorithm {algorithm!r} is not accepted here")


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursts up to a tenth of it."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1.0, per_minute / 10)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str) -> float:
        """The seconds until `client` has a request left (0: it has one), using none."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def wait_for(self, client: str, cost: float = 1.0) -> float:
        """0 when a request costing `cost` may go now, else the seconds until it may."""
        cost = min(cost, self.burst)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[client] = (tokens - cost, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (cost - tokens) / self.rate


class AccessGuard:
    """ASGI middleware: authenticates every API request, checks the matrix, limits the rate."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        apis: Iterable[tuple[str, str]],  # (base path, TMF number)
        rate_per_minute: int,
        enforce: bool = True,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.apis = [(base.rstrip("/") + "/", tmf) for base, tmf in apis]
        # An open server only drops principal headers: handlers must never trust a client's.
        self.enforce = enforce
        self.limiter = RateLimiter(rate_per_minute) if rate_per_minute > 0 else None
        self.failures = RateLimiter(FAILURES_PER_MINUTE) if rate_per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The WSGI bridge reads `X_TMF_Principal` as the same header: both spellings go.
        headers = [(k, v) for k, v in scope["headers"] if k.replace(b"_", b"-") != _PRINCIPAL_KEY]
        scope = {**scope, "headers": headers}
        path: str = scope["path"]
        api = next(((base, tmf) for base, tmf in self.apis if path.startswith(base)), None)
        if not self.enforce or api is None or is_public(path[len(api[0]) :]):
            await self.app(scope, receive, send)
            return
        base, tmf = api
        address = str((scope.get("client") or ("?",))[0])
        given = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
        if self.failures is not None and self.failures.blocked(address):
            # Over its failures: only credentials that may be valid are looked at any more.
            plausible = await anyio.to_thread.run_sync(self.authenticator.may_be_valid, given)
            if not plausible:
                await refuse(scope, send, _too_many(address, self.failures.blocked(address)))
                return
        try:
            if self.authenticator.needs_lookup(given):
                # A database read: off the event loop, which serves every other request.
                principal = await anyio.to_thread.run_sync(self.authenticator.authenticate, given)
            else:
                principal = self.authenticator.authenticate(given)
        except errors.TmfError as refusal:
            if self.failures is not None:
                self.failures.wait_for(address)
            await refuse(scope, send, refusal)
            return
        try:
            self._check(principal, tmf, path[len(base) :], scope["method"])
        except errors.TmfError as refusal:
            await refuse(scope, send, refusal)
            return
        if self.limiter is not None:
            cost = _cost(scope, path[len(base) :], self.authenticator.settings.max_page_size)
            wait = self.limiter.wait_for(principal.subject or principal.name, cost)
            if wait > 0:
                await refuse(scope, send, _too_many(f"client {principal.name!r}", wait))
                return
        headers.append((_PRINCIPAL_KEY, json.dumps(principal.to_json()).encode()))
        await self.app(scope, receive, send)

    @staticmethod
    def _check(principal: Principal, tmf: str, rest: str, method: str) -> None:
        resource = rest.split("/", 1)[0]
        action = _ACTIONS.get(method, "read")
        if rest.startswith("hub/") and rest.endswith("/delivery"):
            action = "read"
        decision = decide(principal, tmf, resource, action)
        # Deeper paths (a bill's document) are not scoped by their handlers: only for the
        # unscoped.
        deeper = rest.count("/") >= 2 and resource != "hub"
        if not decision.allowed or (deeper and decision.scope_role is not None):
            raise errors.Forbidden(
                f"{principal.name!r} (roles {', '.join(sorted(principal.roles))}) may not "
                f"{action} {tmf} {resource}",
                reason="Not allowed",
            )


def _cost(scope: Scope, rest: str, max_page_size: int) -> float:
    """What a request counts against its client's rate: 1, and a list one more per 100 items it
    may return (a page of 1,000 costs 11; without `limit`, the configured page size counts), for
    a list costs the server that much more."""
    if scope["method"] != "GET" or "/" in rest.strip("/"):
        return 1.0
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    try:
        limit = int(query.get("limit", [max_page_size])[0])
    except ValueError:
        return 1.0  # refused by validation, at the cost of one request
    return 1.0 + max(0, min(limit, MAX_LIST_COST_LIMIT)) / LIST_ITEMS_PER_REQUEST


def _lifetime(claims: dict[str, Any]) -> float:
    """Seconds from the token's issue (`iat`, else now) to its expiry (`exp`, required)."""
    issued = claims.get("iat")
    start = issued if isinstance(issued, int | float) else time.time()
    return float(claims["exp"]) - float(start)


def _too_many(who: str, wait: float) -> errors.TooManyRequests:
    return errors.TooManyRequests(
        f"{who} is over its request rate; retry later",
        headers={"Retry-After": str(max(1, round(wait + 0.5)))},
    )


def principal() -> Principal | None:
    """The caller of the current request, or None when the server runs open."""
    raw = flask.request.headers.get(PRINCIPAL_HEADER)
    return Principal.from_json(json.loads(raw)) if raw else None


def auth_required(settings: Settings) -> bool:
    """Whether requests must authenticate; raises ValueError for an open server that listens
    beyond loopback (it refuses to start)."""
    mode = settings.auth.lower()
    if mode not in ("auto", "required", "off"):
        raise ValueError(f"TMF_AUTH must be auto, required or off, got {settings.auth!r}")
    loopback = settings.host in LOOPBACK_HOSTS
    if mode == "off" and not loopback:
        raise ValueError(
            f"TMF_AUTH=off on {settings.host}: an open server listens on loopback only; "
            "configure authentication (API keys, TMF_JWT_*) or bind TMF_HOST=127.0.0.1"
        )
    return mode == "required" or (mode == "auto" and not loopback)


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8") if path else ""
