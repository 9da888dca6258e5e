"""Callbacks go only where they may, carry the event and its signature, and say how they ended."""

from __future__ import annotations

import hashlib
import hmac
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from notifications.callbacks import (
    SIGNATURE_HEADER,
    CallbackRefused,
    DeliveryResult,
    check_callback,
    post_event,
    signature,
)

BODY = b'{"eventType": "ProductOrderCreateEvent", "event": {"productOrder": {"id": "42"}}}'
TIMEOUT = 2.0


@dataclass
class Received:
    path: str
    headers: Message  # names match whatever their case
    body: bytes


@dataclass
class Answer:
    status: int = HTTPStatus.CREATED
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hold: float = 0.0  # seconds to wait before answering (or, with a body, before closing)


class CallbackServer(ThreadingHTTPServer):
    """A listener on 127.0.0.1 that records what it receives and answers as told."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tls = tls
        self.answer = Answer()
        self.received: list[Received] = []
        self.server_names: list[str | None] = []
        self.released = threading.Event()
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _context: self.server_names.append(name)

    def url(self, host: str = "127.0.0.1", path: str = "/listener") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.server_port}{path}"

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake runs in the handler's thread, not in the accepting one.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: object, client_address: object) -> None:
        """Failed handshakes and clients that hang up are what some tests cause on purpose."""


class _Handler(BaseHTTPRequestHandler):
    server: CallbackServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(Received(self.path, self.headers, body))
        answer = self.server.answer
        if not answer.body:
            self.server.released.wait(answer.hold)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if not answer.body:
            self.send_header("Content-Length", "0")
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()
        if answer.body:
            self.server.released.wait(answer.hold)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def start_server() -> Iterator[Callable[..., CallbackServer]]:
    servers: list[CallbackServer] = []

    def start(tls: ssl.SSLContext | None = None) -> CallbackServer:
        server = CallbackServer(tls)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.released.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(start_server: Callable[..., CallbackServer]) -> CallbackServer:
    return start_server()


@pytest.fixture(scope="module")
def localhost_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the name 'localhost' (and no IP address), with its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command makes the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "localhost.pem", folder / "localhost.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
            "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


@pytest.fixture
def tls_server(
    start_server: Callable[..., CallbackServer], localhost_certificate: tuple[Path, Path]
) -> CallbackServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*localhost_certificate)
    return start_server(context)


def post(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    allow_private: bool = True,
    timeout: float = TIMEOUT,
) -> DeliveryResult:
    return post_event(url, BODY, headers or {}, allow_private=allow_private, timeout=timeout)


# check_callback


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/events", "scheme 'ftp' is not allowed; use http or https"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("gopher://example.com/", "scheme 'gopher' is not allowed"),
        ("example.com/events", "has no scheme"),
        ("http:///events", "has no host"),
        ("https://user:secret@example.com/events", "must not carry user information"),
        ("https://user@example.com/events", "must not carry user information"),
        ("http://example.com\r\nX-Injected: 1/", "spaces or control characters"),
        ("http://example.com:99999/", "malformed"),
        ("http://127.0.0.1/", "'127.0.0.1' is a loopback address; only public addresses"),
        ("http://127.1:8080/", "'127.1' resolves to 127.0.0.1, a loopback address"),
        (
            "http://localhost:8080/",
            "'localhost' is a loopback name; only public addresses are "
            "allowed (a server started with TMF_CALLBACK_ALLOW_PRIVATE=true allows private ones",
        ),
        ("http://api.localhost/", "'api.localhost' is a loopback name"),
        ("http://10.0.0.5/", "'10.0.0.5' is a private address; only public addresses"),
        ("http://192.168.1.20/", "a private address"),
        ("http://172.16.0.1/", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://0.0.0.0/", "an unspecified address"),
        ("http://100.64.0.1/", "not globally routable"),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://240.0.0.1/", "a reserved address"),
        ("http://[::1]:8080/", "'::1' is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "'::ffff:127.0.0.1' is a loopback address"),
        ("http://[::ffff:a9fe:a9fe]/", "a link-local address"),
        ("http://[64:ff9b::a00:5]/", "a private address"),  # NAT64 of 10.0.0.5
        ("http://[2002:c0a8:114::]/", "a private address"),  # 6to4 of 192.168.1.20
        ("http://[fe80::1]/", "a link-local address"),
        ("http://[fc00::1]/", "a private address"),
        ("http://[fec0::1]/", "a site-local address"),
        ("http://[ff02::1]/", "a multicast address"),
        ("http://no-such-listener.invalid/events", "'no-such-listener.invalid' does not resolve"),
    ],
)
def test_check_callback_refuses_what_the_server_must_not_post_to(url: str, reason: str) -> None:
    with pytest.raises(CallbackRefused) as refused:
        check_callback(url, allow_private=False)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/listener",
        "http://localhost/listener",
        "https://[::1]/listener",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.5/",
    ],
)
def test_check_callback_accepts_private_addresses_when_allowed(url: str) -> None:
    check_callback(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.215.14/listener?token=x",
        "HTTP://93.184.215.14:8443",
        "https://[2606:4700::1]/listener",
        "http://[::ffff:93.184.215.14]/",
    ],
)
def test_check_callback_accepts_public_ip_literals_without_dns(url: str) -> None:
    check_callback(url, allow_private=False)


def test_check_callback_still_refuses_bad_urls_when_private_is_allowed() -> None:
    for url in ("ftp://127.0.0.1/", "http://u:p@127.0.0.1/", "http://no-such-listener.invalid/"):
        with pytest.raises(CallbackRefused):
            check_callback(url, allow_private=True)


def test_a_refusal_is_a_value_error() -> None:
    assert issubclass(CallbackRefused, ValueError)


# signature


def test_signature_is_the_rfc_4231_hmac_sha256_with_a_prefix() -> None:
    expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert signature("Jefe", b"what do ya want for nothing?") == expected


def test_signature_keys_with_the_utf8_secret() -> None:
    expected = hmac.new("clé secrète".encode(), BODY, hashlib.sha256).hexdigest()
    assert signature("clé secrète", BODY) == f"sha256={expected}"


# post_event


def test_a_2xx_answer_is_delivered(server: CallbackServer) -> None:
    assert post(server.url()) == DeliveryResult(
        delivered=True, status=201, error=None, retryable=False
    )


def test_the_request_carries_the_body_content_type_and_given_headers(
    server: CallbackServer,
) -> None:
    secret = "hub-secret"
    headers = {SIGNATURE_HEADER: signature(secret, BODY), "X-Event-Id": "e-1"}

    assert post(server.url(path="/listener?tenant=7"), headers=headers).delivered

    [request] = server.received
    assert request.path == "/listener?tenant=7"
    assert request.body == BODY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Host"] == f"127.0.0.1:{server.server_port}"
    assert request.headers["X-Event-Id"] == "e-1"
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers[SIGNATURE_HEADER], expected)


def test_a_path_beyond_ascii_is_sent_percent_encoded(server: CallbackServer) -> None:
    assert post(server.url(path="/événements?lieu=Zürich")).delivered
    [request] = server.received
    assert request.path == "/%C3%A9v%C3%A9nements?lieu=Z%C3%BCrich"


def test_the_caller_may_replace_the_content_type(server: CallbackServer) -> None:
    post(server.url(), headers={"content-type": "application/json; charset=utf-8"})
    [request] = server.received
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"


def test_headers_the_request_sets_itself_cannot_be_given(server: CallbackServer) -> None:
    with pytest.raises(ValueError, match="Host"):
        post(server.url(), headers={"Host": "internal.example"})
    assert server.received == []


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_server_errors_and_throttling_are_retryable(server: CallbackServer, status: int) -> None:
    server.answer = Answer(status=status)
    result = post(server.url())
    assert (result.delivered, result.status, result.retryable) == (False, status, True)
    assert result.error is not None and str(status) in result.error


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_not_retryable(server: CallbackServer, status: int) -> None:
    server.answer = Answer(status=status)
    result = post(server.url())
    assert (result.delivered, result.status, result.retryable) == (False, status, False)


def test_a_redirect_is_never_followed(start_server: Callable[..., CallbackServer]) -> None:
    elsewhere = start_server()
    server = start_server()
    server.answer = Answer(status=302, headers={"Location": elsewhere.url()})

    result = post(server.url())

    assert (result.delivered, result.status, result.retryable) == (False, 302, False)
    assert result.error is not None and "redirects are not followed" in result.error
    assert len(server.received) == 1
    assert elsewhere.received == []


def test_a_listener_slower_than_the_timeout_is_a_retryable_timeout(server: CallbackServer) -> None:
    server.answer = Answer(hold=5.0)
    started = time.monotonic()
    result = post(server.url(), timeout=0.2)
    assert time.monotonic() - started < 1.5
    assert (result.delivered, result.status, result.retryable) == (False, None, True)
    assert result.error is not None and "did not answer in time" in result.error


def test_a_closed_port_is_a_retryable_connection_error() -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        result = post(f"http://127.0.0.1:{port}/listener")
    assert (result.delivered, result.status, result.retryable) == (False, None, True)
    assert result.error is not None and "could not connect" in result.error


def test_a_name_that_does_not_resolve_is_retryable() -> None:
    result = post("http://no-such-listener.invalid/events", allow_private=False)
    assert (result.delivered, result.status, result.retryable) == (False, None, True)
    assert result.error is not None and "does not resolve" in result.error


def test_a_private_target_is_refused_without_a_request(server: CallbackServer) -> None:
    result = post(server.url(), allow_private=False)
    assert (result.delivered, result.status, result.retryable) == (False, None, False)
    assert result.error is not None and "loopback address" in result.error
    assert server.received == []


def test_a_refused_scheme_is_not_retryable() -> None:
    result = post("ftp://example.com/events", allow_private=False)
    assert (result.delivered, result.retryable) == (False, False)


def test_errors_do_not_repeat_the_url_query(server: CallbackServer) -> None:
    server.answer = Answer(status=500)
    result = post(server.url(path="/listener?token=hush"))
    assert result.error is not None and "hush" not in result.error


def test_a_large_answer_is_read_only_so_far(server: CallbackServer) -> None:
    """The listener sends 1 MiB with no length and keeps the connection open."""
    server.answer = Answer(status=200, body=b"x" * (1 << 20), hold=5.0)
    started = time.monotonic()
    result = post(server.url())
    assert time.monotonic() - started < 1.5
    assert result.delivered


def test_https_verifies_the_url_host_name_on_the_pinned_address(
    tls_server: CallbackServer,
    localhost_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(localhost_certificate[0]))

    result = post(tls_server.url(host="localhost"))

    assert result.delivered
    assert tls_server.server_names == ["localhost"]
    [request] = tls_server.received
    assert request.headers["Host"] == f"localhost:{tls_server.server_port}"


def test_https_refuses_a_certificate_for_another_name(
    tls_server: CallbackServer,
    localhost_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(localhost_certificate[0]))

    result = post(tls_server.url(host="127.0.0.1"))

    assert (result.delivered, result.status, result.retryable) == (False, None, False)
    assert result.error is not None and "certificate" in result.error
    assert tls_server.received == []


def test_https_refuses_an_untrusted_certificate(tls_server: CallbackServer) -> None:
    result = post(tls_server.url(host="localhost"))
    assert (result.delivered, result.retryable) == (False, False)
    assert result.error is not None and "certificate" in result.error
    assert tls_server.received == []


def test_a_resolver_that_does_not_answer_counts_as_a_name_not_yet_published(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, answered = threading.Event(), threading.Event()

    def silent_resolver(*args: object, **kwargs: object) -> list[object]:
        release.wait(30)
        answered.set()
        return []

    monkeypatch.setattr(socket, "getaddrinfo", silent_resolver)
    try:
        # Registration goes on without the answer; delivery looks the name up again.
        check_callback(
            "https://slow.example/listener",
            allow_private=False,
            require_resolvable=False,
            lookup_timeout=0.05,
        )
        with pytest.raises(CallbackRefused, match="does not resolve"):
            check_callback(
                "https://slow.example/listener", allow_private=False, lookup_timeout=0.05
            )
        # Neither waited for the resolver, which has still not answered.
        assert not answered.is_set()
    finally:
        release.set()
