"""The hash chain's arithmetic: which fields an entry's hash covers and how they are encoded.

Pure functions, shared by the sealer (services) and the verifier (selectors) so the two can never
disagree. Both always hash the values as read back from the database, never the values a caller
passed in, because a round trip may normalise JSON (PostgreSQL's jsonb rewrites numbers and key
order); hashing what is stored is what makes a later re-read reproduce the same digest.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

# Bumped if the encoding below ever changes, so old and new hashes cannot be confused.
CHAIN_VERSION = "audit-chain-v1"
GENESIS_HASH = "0" * 64

# Every content column of AuditEntry. The chain columns (seq, prev_hash, hash) are not content;
# seq and prev_hash enter the digest separately.
HASHED_FIELDS: tuple[str, ...] = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "customer_id",
    "changes",
    "message",
    "request_id",
    "client_ip",
)


def _encode_datetime(value: datetime) -> str:
    # A fixed format with microseconds: isoformat() drops them when they are zero.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(content: dict[str, Any]) -> bytes:
    """One byte string per entry content: sorted keys, no spaces, UTF-8."""
    document = {}
    for name in HASHED_FIELDS:
        value = content[name]
        if isinstance(value, datetime):
            value = _encode_datetime(value)
        document[name] = value
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(*, seq: int, prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 over the chain version, the position, the previous hash and the content."""
    digest = hashlib.sha256()
    digest.update(f"{CHAIN_VERSION}\n{seq}\n{prev_hash}\n".encode())
    digest.update(canonical_content(content))
    return digest.hexdigest()
