"""One POST to an endpoint: to the address the SSRF guard checked, no redirects followed, short
timeouts, and at most RESPONSE_KEEP_BYTES of the answer read."""

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


def _pool(target: Target, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    address = f"[{target.address}]" if ":" in target.address else target.address
    if target.scheme == "https":
        # Connect to the checked address; verify the certificate against the name.
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=timeout, retries=False, maxsize=1
    )


def _budget() -> float:
    """The longest an attempt may take, however a receiver trickles its answer."""
    return settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS + settings.WEBHOOKS_READ_TIMEOUT_SECONDS


def _excerpt(response, *, deadline: float) -> bytes:
    """Up to RESPONSE_KEEP_BYTES of the body, read as it arrives until the deadline: a receiver
    sending a byte at a time (each within the read timeout) cannot hold the worker past it, nor
    past the delivery's lease (another worker would send it again)."""
    kept = b""
    while len(kept) < RESPONSE_KEEP_BYTES and time.monotonic() < deadline:
        chunk = response.read1(RESPONSE_KEEP_BYTES - len(kept))
        if not chunk:
            break
        kept += chunk
    return kept


def post(*, target: Target, body: bytes, headers: dict[str, str]) -> SendResult:
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS,
        read=settings.WEBHOOKS_READ_TIMEOUT_SECONDS,
    )
    pool = _pool(target, timeout)
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
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
            status = response.status
            excerpt = _excerpt(response, deadline=started + _budget()).decode("utf-8", "replace")
        finally:
            # Never drain the rest: a receiver cannot make us read more than we keep.
            response.close()
    except urllib3.exceptions.TimeoutError as exc:
        error = f"timed out ({type(exc).__name__})"
    except urllib3.exceptions.HTTPError as exc:
        error = f"could not connect: {type(exc).__name__}"
    except OSError as exc:
        error = f"network error: {type(exc).__name__}"
    finally:
        pool.close()
    if status is not None and 300 <= status < 400:
        error = "redirects are not followed"
    return SendResult(
        status_code=status,
        excerpt=excerpt,
        error=error[:300],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
