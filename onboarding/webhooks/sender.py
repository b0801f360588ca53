"""One POST to an endpoint: to the address the SSRF guard checked, no redirects followed, short
timeouts, and at most RESPONSE_KEEP_BYTES of the answer read, all within one deadline."""

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from onboarding.webhooks.guard import Target

RESPONSE_KEEP_BYTES = 4096
USER_AGENT = "Onboarding-Webhooks/1"


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Deadline:
    """Shuts the request's socket down when the attempt's time is up. The read timeout bounds
    each wait for a byte, not the whole answer: a receiver trickling its status line and headers
    (each byte within the read timeout) would otherwise hold a sending thread, and its lease,
    for as long as it liked."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                self._shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            # Wakes a thread blocked reading from it, which close() alone does not.
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _watched(connection_class: type, deadline: _Deadline) -> type:
    """The pool's connection class, handing its socket to the deadline once connected."""

    class Watched(connection_class):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


def _pool(
    target: Target, timeout: urllib3.Timeout, deadline: _Deadline
) -> urllib3.HTTPConnectionPool:
    address = f"[{target.address}]" if ":" in target.address else target.address
    if target.scheme == "https":
        # Connect to the checked address; verify the certificate against the name.
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            address, target.port, timeout=timeout, retries=False, maxsize=1
        )
    pool.ConnectionCls = _watched(pool.ConnectionCls, deadline)
    return pool


def attempt_budget() -> float:
    """The longest an attempt may take, however a receiver trickles its answer."""
    return settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS + settings.WEBHOOKS_READ_TIMEOUT_SECONDS


def _excerpt(response, *, deadline: float) -> bytes:
    """Up to RESPONSE_KEEP_BYTES of the body, read as it arrives until the deadline: a receiver
    sending a byte at a time (each within the read timeout) cannot hold the worker past it, nor
    past the delivery's lease (another worker would send it again)."""
    kept = b""
    while len(kept) < RESPONSE_KEEP_BYTES and time.monotonic() < deadline:
        try:
            chunk = response.read1(RESPONSE_KEEP_BYTES - len(kept))
        except (urllib3.exceptions.HTTPError, OSError):
            break  # cut at the deadline, or the receiver hung up: the status stands
        if not chunk:
            break
        kept += chunk
    return kept


def post(*, target: Target, body: bytes, headers: dict[str, str]) -> SendResult:
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS,
        read=settings.WEBHOOKS_READ_TIMEOUT_SECONDS,
    )
    budget = attempt_budget()
    deadline = _Deadline(budget)
    pool = _pool(target, timeout, deadline)
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
        with deadline:
            status, excerpt = _exchange(pool, target, body, headers, until=started + budget)
    except urllib3.exceptions.TimeoutError as exc:
        error = f"timed out ({type(exc).__name__})"
    except urllib3.exceptions.HTTPError as exc:
        error = f"could not connect: {type(exc).__name__}"
    except OSError as exc:
        error = f"network error: {type(exc).__name__}"
    finally:
        pool.close()
    if status is None and deadline.fired:
        error = f"timed out (no complete answer within {budget:g} s)"
    if status is not None and 300 <= status < 400:
        error = "redirects are not followed"
    return SendResult(
        status_code=status,
        excerpt=excerpt,
        error=error[:300],
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _exchange(
    pool: urllib3.HTTPConnectionPool,
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    until: float,
) -> tuple[int, str]:
    """The request, then the status and the kept part of the body."""
    response = pool.urlopen(
        "POST",
        target.path,
        body=body,
        headers={
            **headers,
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        },
        redirect=False,
        retries=False,
        preload_content=False,
        assert_same_host=False,
    )
    try:
        return response.status, _excerpt(response, deadline=until).decode("utf-8", "replace")
    finally:
        # Never drain the rest: a receiver cannot make us read more than we keep.
        response.close()
