"""Writes to the audit log: record an entry (the hot path), and seal entries into the chain.

`audit_record` only inserts, so recording never waits on the chain. `audit_seal_pending` runs in
the background (every few seconds, see tasks.py) and gives unsealed entries their place in the
chain one batch at a time, under a lock so two sealers never interleave, moving the recorded head
(AuditChainHead) in the same transaction.
"""

import functools
import logging
import math
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from onboarding.audit.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from onboarding.audit.models import AuditChainHead, AuditEntry, Outcome
from onboarding.core import clock
from onboarding.core.cardmask import is_card_number, replace_card_numbers
from onboarding.core.cardmask import luhn_valid as luhn_valid  # re-exported for older callers
from onboarding.core.context import current_client_ip, current_request_id

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
REDACTED_CARD = "[redacted card number]"

# --- Scrubbing: nothing secret may reach the log ---------------------------------------------

# Keys whose values are secret whatever they hold, matched against the key with separators and
# case removed ("Card-Number" -> "cardnumber"), as a substring...
_SENSITIVE_KEY_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "cvc",
    "cvv",
    "cardnumber",
    "cardno",
    "cardnum",
    "ccnumber",
    "creditcard",
    "apikey",
    "privatekey",
    "authorization",
    "cookie",
    "recoverycode",
)
# ...or as a whole word of the key ("card_pan" but not "company")...
_SENSITIVE_KEY_WORDS = frozenset({"pan", "pin", "otp", "totp", "csc"})
# ...or as the whole key ("card" holds a card; "card_last4" and "card_brand" are safe to keep).
_SENSITIVE_KEYS = frozenset({"card"})
_KEY_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# "password=..." / "token: ..." inside free text; _SECRET_WORD is its cheap precheck.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(\w*(?:password|passwd|secret|token|cvc|cvv|api[_-]?key)\w*)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
)
_SECRET_WORD = re.compile(r"(?i)password|passwd|secret|token|cvc|cvv|api[_-]?key")


@functools.lru_cache(maxsize=4096)  # keys are few and repeat on every entry
def is_sensitive_key(key: str) -> bool:
    normalised = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(part in normalised for part in _SENSITIVE_KEY_PARTS):
        return True
    words = {word.lower() for word in _KEY_WORDS.findall(key)}
    return normalised in _SENSITIVE_KEYS or bool(words & _SENSITIVE_KEY_WORDS)


def scrub_text(text: str) -> str:
    """Redact card numbers and `secret=value` pairs in free text; drop NULs (PostgreSQL refuses
    them, and an audit write must not fail the change it records)."""
    text = text.replace("\x00", "")
    # Each pattern runs only where it could match: most entries hold neither a secret's name nor
    # 13 digits, and these checks cost far less than the patterns (the bill run writes three
    # entries per invoice). A `secret=value` pair needs its "=" or ":".
    if ("=" in text or ":" in text) and _SECRET_WORD.search(text):
        text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    # Card numbers as core.cardmask finds them (digits inside a hex digest are not one).
    text = replace_card_numbers(text, REDACTED_CARD)
    return text


def audit_scrub(value: Any) -> Any:
    """A copy of `value` (JSON-like) with secrets redacted, at any depth.

    Values under sensitive keys become "[redacted]"; any string or integer that looks like a card
    number (13-19 digits passing the Luhn check) becomes "[redacted card number]".
    """
    if isinstance(value, dict):
        return {
            str(key): REDACTED if is_sensitive_key(str(key)) else audit_scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [audit_scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and is_card_number(str(value)):
        return REDACTED_CARD
    return value


def audit_changes_safe(value: Any) -> Any:
    """`audit_scrub(json_safe(value))` in one walk: what an entry's `changes` column stores.

    A date, time or datetime becomes its ISO 8601 text unscrubbed: that text is composed here,
    and its digit groups (at most 8 digits joined by dashes, then "T", ":", "." or "+") can never
    hold a card number or a secret. Everything else is scrubbed as audit_scrub does.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, int):
        return REDACTED_CARD if is_card_number(str(value)) else value
    if isinstance(value, dict):
        safe = {}
        for key, item in value.items():
            name = str(key)
            safe[name] = REDACTED if is_sensitive_key(name) else audit_changes_safe(item)
        return safe
    if isinstance(value, list | tuple | set | frozenset):
        return [audit_changes_safe(item) for item in value]
    if isinstance(value, datetime | date | time):
        return json_safe(value)
    if isinstance(value, models.Model):
        return audit_changes_safe(value.pk)
    return audit_scrub(json_safe(value))


# --- Diffs ---------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """A JSON-serialisable form of a model field value: dates as ISO 8601, Decimal/UUID as str."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    if isinstance(value, models.Model):
        return json_safe(value.pk)
    return str(value)


def audit_diff(*, before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed; a missing side counts as None."""
    diff = {}
    for field in [*before, *(key for key in after if key not in before)]:
        old, new = before.get(field), after.get(field)
        if old != new or type(old) is not type(new):
            old_safe, new_safe = json_safe(old), json_safe(new)
            if old_safe != new_safe:
                diff[field] = [old_safe, new_safe]
    return diff


def model_snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `instance`, JSON-safe; a foreign key gives its id, not the object."""
    snapshot = {}
    for name in fields:
        field = instance._meta.get_field(name)
        snapshot[name] = json_safe(getattr(instance, getattr(field, "attname", name)))
    return snapshot


# --- Recording (the hot path) --------------------------------------------------------------


def audit_record(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
    outcome: str = Outcome.SUCCESS,
    message: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records.

    Only an INSERT: the entry joins the hash chain when the background sealer next runs.
    """
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        occurred_at=timezone.now(),
        actor=actor_user,
        actor_email=actor_user.email if actor_user else "",
        actor_role=getattr(actor_user, "role", "") if actor_user else "",
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        customer_id=customer_id,
        # Under a test clock the entry says when it happened in simulated time (the real time
        # is occurred_at); no column: the chain's hashed fields stay as they are.
        changes=audit_changes_safe({**(changes or {}), **clock.audit_stamp()}),
        message=scrub_text(message or ""),
        request_id=current_request_id(),
        client_ip=current_client_ip(),
    )


# --- Sealing (background) ------------------------------------------------------------------

# Any constant identifies the sealer's PostgreSQL advisory lock; this one spells "auditsea".
SEAL_LOCK_KEY = 0x6175646974736561


def _take_seal_lock() -> None:
    """Serialise sealers for the rest of the current transaction.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback. SQLite: the
    project opens transactions with BEGIN IMMEDIATE, which already holds the one write lock. On
    any backend the unique seq is the last line: a second sealer could fail, never fork the chain.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])


def _write_seals(rows: list[tuple[int, str, str, int]]) -> None:
    """One UPDATE per entry, sent as a batch (executemany pipelines them on psycopg 3); far
    cheaper than one CASE-per-row UPDATE. `seq IS NULL` makes a double seal impossible."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s "  # noqa: S608 (constant)
            "WHERE id = %s AND seq IS NULL",
            rows,
        )
        if cursor.rowcount not in (-1, len(rows)):
            # Someone sealed part of this batch under us: roll it all back rather than fork.
            raise RuntimeError(f"sealed {cursor.rowcount} of {len(rows)} audit entries")


class AuditChainBroken(Exception):
    """The entries' chain no longer ends where the recorded head says it does."""


def _chain_end() -> tuple[int, str, bool]:
    """Where the chain ends (seq, hash) and whether a head is recorded; refuses to go on when the
    entries table and the recorded head disagree.

    Sealing on from a cut tail would renumber new entries over the missing ones and, where no
    trigger guards the head (SQLite), move the head back over the evidence. The sealer stops
    instead, and the periodic task fails until someone has looked (verify_audit names it).
    """
    tail = (
        AuditEntry.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    recorded = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_ID).values_list(
        "seq", "hash"
    )
    head = recorded.first()
    if tail and head and tail[0] > head[0] and _holds(seq=head[0], hash=head[1]):
        # The table reaches past the head and still holds it: a sealer of an older release ran
        # while this one migrated (a rolling deploy). Nothing is missing; the head catches up.
        logger.warning(
            "audit head seq %d was behind the chain's end seq %d: moved", head[0], tail[0]
        )
        _record_head(seq=tail[0], hash=tail[1], exists=True)
        head = tail
    if tail != head:
        table_end = f"ends at seq {tail[0]}" if tail else "holds no sealed entries"
        recorded_end = f"is seq {head[0]}" if head else "is missing"
        raise AuditChainBroken(
            f"audit sealing stopped: the table's chain {table_end} but the recorded head "
            f"{recorded_end}; entries were removed or rewritten (run manage.py verify_audit)"
        )
    return (*(tail or (0, GENESIS_HASH)), head is not None)


def _holds(*, seq: int, hash: str) -> bool:
    return AuditEntry.objects.filter(seq=seq, hash=hash).exists()


def _record_head(*, seq: int, hash: str, exists: bool) -> None:
    """Move the recorded head to the batch's last entry: one statement per batch."""
    if exists:
        AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_ID).update(
            seq=seq, hash=hash, sealed_at=timezone.now()
        )
    else:
        AuditChainHead.objects.create(seq=seq, hash=hash, sealed_at=timezone.now())


def _seal_batch(batch_size: int) -> int:
    with transaction.atomic():
        _take_seal_lock()
        seq, prev_hash, head_recorded = _chain_end()
        # Read back from the database: the hash covers what is stored (see chain.py).
        pending = list(
            AuditEntry.objects.filter(seq__isnull=True)
            .order_by("id")
            .values(*HASHED_FIELDS)[:batch_size]
        )
        sealed = []
        for content in pending:
            seq += 1
            digest = entry_hash(seq=seq, prev_hash=prev_hash, content=content)
            sealed.append((seq, prev_hash, digest, content["id"]))
            prev_hash = digest
        if sealed:
            _write_seals(sealed)
            _record_head(seq=seq, hash=prev_hash, exists=head_recorded)
            # A second copy of the head, outside the database: the log stream. verify_audit
            # --anchor checks it, which catches a tail cut together with a head moved back.
            logger.info(
                "audit sealed %d entries, head seq=%d hash=%s",
                len(sealed),
                seq,
                prev_hash,
                extra={"audit_head_seq": seq, "audit_head_hash": prev_hash},
            )
        return len(sealed)


def audit_seal_pending(*, batch_size: int | None = None, max_batches: int | None = None) -> int:
    """Seal unsealed entries in order, batch by batch; returns how many were sealed.

    Order is the order this sealer sees them (by id among the committed, unsealed rows). On
    PostgreSQL a lower id can commit after a higher one was sealed; it is simply sealed later
    with a higher seq, so the chain follows seq, never id.
    """
    size = batch_size or settings.AUDIT_SEAL_BATCH_SIZE
    total = batches = 0
    while max_batches is None or batches < max_batches:
        count = _seal_batch(size)
        total += count
        batches += 1
        if count < size:
            break
    return total
