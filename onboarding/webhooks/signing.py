"""Secrets and signatures, as the Standard Webhooks specification defines them.

A secret is "whsec_" and the base64 of 32 random bytes; the key is those bytes. A signature is
"v1," and the base64 of HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"); the
webhook-signature header holds one per secret, separated by spaces.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix the spec gives every secret)
SECRET_BYTES = 32


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    signed = f"{webhook_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    *, signing_secrets: list[str], webhook_id: str, timestamp: int, body: str
) -> str:
    return " ".join(
        signature(secret=s, webhook_id=webhook_id, timestamp=timestamp, body=body)
        for s in signing_secrets
    )
