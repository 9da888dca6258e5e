"""POSTs events to hub callback URLs without letting a callback reach an address it must not."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

SIGNATURE_HEADER = "X-TMF-Signature"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_RESPONSE_BYTES = 64 * 1024
_RETRYABLE_STATUSES = frozenset({HTTPStatus.REQUEST_TIMEOUT, HTTPStatus.TOO_MANY_REQUESTS})
# DNS64 answers with these for IPv4-only hosts; what counts is the IPv4 address inside.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Set from the URL and the body; a caller's value would contradict them.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# As getaddrinfo gives them: (family, (host, port[, flow info, scope id])).
_SocketAddress = tuple[
    socket.AddressFamily, tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]
]


class CallbackRefused(ValueError):
    """The URL is not a callback target this server will post to; the message says why, for an
    API client."""


class _Unresolved(CallbackRefused):
    """The host name does not resolve (yet): worth retrying at delivery."""


@dataclass(frozen=True)
class DeliveryResult:
    """How one POST to a callback ended."""

    delivered: bool  # a 2xx answer
    status: int | None  # HTTP status when one was received
    error: str | None  # a short human-readable reason when not delivered (no secrets in it)
    # Timeouts, connection errors, DNS failure, 5xx, 408 and 429 are retryable; redirects (3xx,
    # never followed) and other 4xx are not; a refused target is not.
    retryable: bool


class _Target(NamedTuple):
    scheme: str
    host: str  # ASCII (IDNA) form, without IPv6 brackets
    port: int
    host_header: str  # host[:port] as the URL gave it
    path: str  # path and query, never empty
    literal: bool  # the host is an IP address: no DNS involved


def check_callback(
    url: str,
    *,
    allow_private: bool,
    require_resolvable: bool = True,
    lookup_timeout: float | None = None,
) -> None:
    """Raise CallbackRefused unless `url` is an allowed target: scheme http or https only; a host
    present; no userinfo (user:pass@); the host name resolves (socket.getaddrinfo), and unless
    allow_private, none of its addresses is private, loopback, link-local, multicast, reserved,
    unspecified or otherwise not globally routable. IPv6 addresses that embed an IPv4 one
    (IPv4-mapped, NAT64, 6to4) are judged by the IPv4 address; 'localhost' and '*.localhost'
    are refused by name. A name that does not resolve is refused too, unless not
    `require_resolvable` (a listener may register before its name is published; every delivery
    checks the addresses again). A name lookup that takes longer than `lookup_timeout` seconds
    counts as one that does not resolve: a request waits no longer on a slow resolver."""
    try:
        _resolve(_parse(url), allow_private=allow_private, lookup_timeout=lookup_timeout)
    except _Unresolved:
        if require_resolvable:
            raise


def signature(secret: str, body: bytes) -> str:
    """'sha256=' + hex HMAC-SHA256 of body keyed with secret (utf-8)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_event(
    url: str, body: bytes, headers: Mapping[str, str], *, allow_private: bool, timeout: float
) -> DeliveryResult:
    """POST `body` (JSON) to `url` with Content-Type application/json plus `headers` (which may
    replace Content-Type but not Host, Content-Length, Transfer-Encoding or Connection: ValueError).

    Resolves the host once, checks every address as check_callback does (so DNS rebinding between
    registration and delivery cannot reach a private address), then connects to the checked
    address itself; for https the TLS handshake still uses the host name for SNI and certificate
    verification, and the Host header is the original host[:port]. `timeout` applies to connect,
    to the TLS handshake and to each read; the name lookup is the system resolver's and has its
    own limits. Never follows redirects. Reads and discards at most 64 KiB of the response body.
    Never raises for network problems: returns a DeliveryResult instead."""
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    for name in headers:
        if name.lower() in _OWN_HEADERS:
            raise ValueError(f"header {name!r} is set by post_event itself")
    try:
        target = _parse(url)
        addresses = _resolve(target, allow_private=allow_private)
    except _Unresolved as exc:
        return _failed(str(exc), retryable=True)
    except CallbackRefused as exc:
        return _failed(str(exc), retryable=False)
    try:
        sock = _connect(target, addresses, timeout)
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or "verification failed"
        return _failed(
            f"TLS certificate of '{target.host}' not accepted: {reason}", retryable=False
        )
    except TimeoutError:
        return _failed(f"connecting to '{target.host}' timed out", retryable=True)
    except OSError as exc:
        return _failed(f"could not connect to '{target.host}': {_describe(exc)}", retryable=True)
    connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection.sock = sock  # http.client uses a socket it is given instead of connecting
    try:
        connection.request("POST", target.path, body=body, headers=_headers(target, headers))
        response = connection.getresponse()
        _drain(response, timeout)
    except TimeoutError:
        return _failed(f"'{target.host}' did not answer in time", retryable=True)
    except http.client.HTTPException as exc:
        # Before OSError: RemoteDisconnected is both.
        reason = f"'{target.host}' sent no valid HTTP response ({type(exc).__name__})"
        return _failed(reason, retryable=True)
    except OSError as exc:
        return _failed(f"connection to '{target.host}' failed: {_describe(exc)}", retryable=True)
    finally:
        connection.close()
    return _outcome(response.status)


def _parse(url: str) -> _Target:
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise CallbackRefused("callback URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        explicit_port = parts.port
    except ValueError as exc:
        raise CallbackRefused(f"callback URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise CallbackRefused("callback URL has no scheme; use http or https")
    if scheme not in _DEFAULT_PORTS:
        raise CallbackRefused(f"callback URL scheme '{scheme}' is not allowed; use http or https")
    if "@" in parts.netloc:
        raise CallbackRefused("callback URL must not carry user information (user:password@)")
    if not parts.hostname:
        raise CallbackRefused("callback URL has no host")
    host = parts.hostname
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise CallbackRefused(f"callback host '{host}' is not a valid host name") from None
    if explicit_port == 0:
        raise CallbackRefused("callback URL port 0 is not a port")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if not path.isascii():
        # An IRI path: sent percent-encoded as UTF-8, as a browser would; a lone surrogate
        # cannot be encoded and is refused.
        try:
            path = quote(path, safe="/?#[]@!$&'()*+,;=:%~-._")
        except UnicodeEncodeError:
            raise CallbackRefused("callback URL path is not valid text") from None
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    host_header = f"[{host}]" if ":" in host else host
    if explicit_port is not None:
        host_header += f":{explicit_port}"
    port = explicit_port or _DEFAULT_PORTS[scheme]
    return _Target(scheme, host, port, host_header, path, literal)


def _lookup(host: str, port: int, flags: int, timeout: float | None) -> list[Any]:
    """getaddrinfo's answers, none when it fails or has not answered within `timeout`."""

    def ask() -> list[Any]:
        try:
            return socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=flags
            )
        except (OSError, UnicodeError):
            return []

    if timeout is None:
        return ask()
    answers: list[list[Any]] = []
    # getaddrinfo cannot be interrupted: a lookup past its time goes on in a daemon thread,
    # which neither this request nor the process's exit waits for.
    lookup = threading.Thread(target=lambda: answers.append(ask()), daemon=True)
    lookup.start()
    lookup.join(timeout)
    return answers[0] if answers else []


def _resolve(
    target: _Target, *, allow_private: bool, lookup_timeout: float | None = None
) -> list[_SocketAddress]:
    """The addresses to connect to, every one of them checked."""
    name = target.host.rstrip(".")
    if not allow_private and (name == "localhost" or name.endswith(".localhost")):
        raise CallbackRefused(f"callback host '{target.host}' is a loopback name; {_ONLY_PUBLIC}")
    flags = socket.AI_NUMERICHOST if target.literal else 0
    found = _lookup(target.host, target.port, flags, None if target.literal else lookup_timeout)
    if not found:
        raise _Unresolved(f"callback host '{target.host}' does not resolve")
    addresses: list[_SocketAddress] = []
    for family, _, _, _, socket_address in found:
        if not allow_private:
            address = ipaddress.ip_address(socket_address[0])
            kind = _non_public_kind(address)
            if kind is not None:
                where = "is" if target.literal else f"resolves to {address},"
                raise CallbackRefused(
                    f"callback host '{target.host}' {where} {kind}; {_ONLY_PUBLIC}"
                )
        addresses.append((family, socket_address))
    return addresses


# Names the setting, so that whoever runs the server for tests knows how to allow a local
# listener.
_ONLY_PUBLIC = (
    "only public addresses are allowed (a server started with TMF_CALLBACK_ALLOW_PRIVATE=true "
    "allows private ones, for tests)"
)


def _non_public_kind(address: _Address) -> str | None:
    """Why `address` is unfit for a callback ('a private address'), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return "a site-local address"
        embedded = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if embedded is not None:
            address = embedded
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "an address that is not globally routable"
    return None


def _connect(target: _Target, addresses: list[_SocketAddress], timeout: float) -> socket.socket:
    """A socket connected to the first checked address that answers, wrapped in TLS for https."""
    error: OSError | None = None
    for family, socket_address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(socket_address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        if target.scheme != "https":
            return sock
        context = ssl.create_default_context()
        try:
            return context.wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise
    assert error is not None  # getaddrinfo answers with at least one address
    raise error


def _headers(target: _Target, extra: Mapping[str, str]) -> dict[str, str]:
    headers = {"Host": target.host_header, "Connection": "close"}
    if not any(name.lower() == "content-type" for name in extra):
        headers["Content-Type"] = "application/json"
    headers.update(extra)
    return headers


def _drain(response: http.client.HTTPResponse, timeout: float) -> None:
    """Read and discard up to 64 KiB of the body, for no longer than `timeout` in all; the status
    is what counts, so a body that breaks off changes nothing."""
    deadline = time.monotonic() + timeout
    remaining = _MAX_RESPONSE_BYTES
    try:
        while remaining > 0 and time.monotonic() < deadline:
            chunk = response.read1(remaining)
            if not chunk:
                break
            remaining -= len(chunk)
    except (OSError, http.client.HTTPException):
        pass


def _outcome(status: int) -> DeliveryResult:
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return DeliveryResult(delivered=True, status=status, error=None, retryable=False)
    try:
        answer = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        answer = str(status)
    if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
        return _failed(f"callback answered {answer}; redirects are not followed", False, status)
    retryable = status in _RETRYABLE_STATUSES or HTTPStatus.INTERNAL_SERVER_ERROR <= status < 600
    return _failed(f"callback answered {answer}", retryable, status)


def _failed(error: str, retryable: bool, status: int | None = None) -> DeliveryResult:
    return DeliveryResult(delivered=False, status=status, error=error, retryable=retryable)


def _describe(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__
