"""Reads of the audit log: the staff list and detail, a customer's timeline, chain verification."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from onboarding.audit.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from onboarding.audit.models import AuditChainHead, AuditEntry
from onboarding.core.access import get_visible_or_404, visible_to

PAGE_SIZE = 50

# --- Browsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What staff can narrow the log by; every field optional. Validated by the form/schema."""

    customer_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    action: str = ""  # a prefix: "auth." matches every auth event
    actor_email: str = ""
    outcome: str = ""
    date_from: date | None = None  # inclusive, UTC
    date_to: date | None = None  # inclusive, UTC

    @property
    def active(self) -> bool:
        return any(getattr(self, name) not in (None, "") for name in self.__dataclass_fields__)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_entry_list(*, user, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """The entries `user` may see that match `filters`, newest first."""
    filters = filters or AuditFilters()
    queryset = visible_to(user, AuditEntry.objects.all())
    if filters.customer_id is not None:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if filters.object_type:
        queryset = queryset.filter(object_type=filters.object_type)
    if filters.object_id:
        queryset = queryset.filter(object_id=filters.object_id)
    if filters.action:
        queryset = queryset.filter(action__startswith=filters.action)
    if filters.actor_email:
        # Stored as the user's (lower-cased) address; match what staff type, whatever its case.
        queryset = queryset.filter(actor_email=filters.actor_email.strip().lower())
    if filters.outcome:
        queryset = queryset.filter(outcome=filters.outcome)
    if filters.date_from:
        queryset = queryset.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(occurred_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return queryset.order_by("-id")


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    older_than: int | None  # pass as ?before= for the next (older) page
    newer_than: int | None  # pass as ?after= for the previous (newer) page


def audit_entry_page(
    *,
    user,
    filters: AuditFilters | None = None,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the list by keyset on id: no OFFSET and no COUNT, fast at any depth."""
    queryset = audit_entry_list(user=user, filters=filters)
    if after is not None:
        rows = list(queryset.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        entries = list(reversed(rows[:size]))
        has_older = bool(entries) and queryset.filter(id__lt=entries[-1].id).exists()
    else:
        if before is not None:
            queryset = queryset.filter(id__lt=before)
        rows = list(queryset[: size + 1])
        has_older = len(rows) > size
        entries = rows[:size]
        has_newer = before is not None and bool(entries)
    return AuditPage(
        entries=entries,
        older_than=entries[-1].id if entries and has_older else None,
        newer_than=entries[0].id if entries and has_newer else None,
    )


def audit_entry_get(*, user, entry_id: int) -> AuditEntry:
    """One entry `user` may see, or Http404."""
    return get_visible_or_404(user, AuditEntry, pk=entry_id)


def audit_timeline_for_customer(*, customer_id: int, limit: int = 50) -> list[AuditEntry]:
    """The newest `limit` entries about one customer (for the full customer view)."""
    return list(AuditEntry.objects.filter(customer_id=customer_id).order_by("-id")[:limit])


@dataclass(frozen=True)
class ChainStatus:
    head_seq: int | None
    unsealed: int
    oldest_unsealed_at: datetime | None


def audit_chain_status() -> ChainStatus:
    """How far sealing has got: the head's seq and what still waits for the sealer."""
    head = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values("seq").first()
    pending = AuditEntry.objects.filter(seq__isnull=True)
    oldest = pending.order_by("id").values_list("occurred_at", flat=True).first()
    return ChainStatus(
        head_seq=head["seq"] if head else None,
        unsealed=pending.count(),
        oldest_unsealed_at=oldest,
    )


# --- Verification --------------------------------------------------------------------------

# An unsealed entry may legitimately sit behind sealed ones only briefly (its transaction
# committed after a later id was sealed; the sealer picks it up within seconds). Backdating
# beyond this is reported as an entry inserted out of order.
DEFAULT_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # edited|deleted|broken_link|malformed|out_of_order|rewritten|truncated|head_missing
    entry_id: int | None
    seq: int | None
    detail: str

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"seq {self.seq}" if self.seq is not None else "",
                f"id {self.entry_id}" if self.entry_id is not None else "",
            )
            if part
        )
        return f"{self.kind} at {where or 'end of chain'}: {self.detail}"


@dataclass(frozen=True)
class ChainAnchor:
    """A head recorded outside the entries table: seq and its hash. The sealer keeps one in
    AuditChainHead and logs each one (a copy outside the database, passed as --anchor)."""

    seq: int
    hash: str


@dataclass
class ChainReport:
    entries_verified: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    recorded_head: ChainAnchor | None = None
    unsealed: int = 0
    problem: ChainProblem | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.problem is None


_WALK_FIELDS = ("seq", "prev_hash", "hash", *HASHED_FIELDS)


def _check_sealed_entry(
    row: dict, *, expected_seq: int, expected_prev: str, high_water: datetime | None, grace
) -> ChainProblem | None:
    entry_id, seq = row["id"], row["seq"]
    if seq != expected_seq:
        missing = (
            f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}-{seq - 1}"
        )
        return ChainProblem(
            "deleted",
            entry_id,
            seq,
            f"{missing} missing: the chain jumps from seq {expected_seq - 1} to seq {seq}, "
            "so an entry was deleted",
        )
    if not row["hash"] or not row["prev_hash"]:
        return ChainProblem(
            "malformed", entry_id, seq, "has a seq but no hash: it was not sealed by the sealer"
        )
    if row["prev_hash"] != expected_prev:
        return ChainProblem(
            "broken_link",
            entry_id,
            seq,
            f"its prev_hash does not match the hash of seq {seq - 1}: the entry at seq "
            f"{seq - 1} was altered or inserted, or an entry before this one was deleted",
        )
    if entry_hash(seq=seq, prev_hash=row["prev_hash"], content=row) != row["hash"]:
        return ChainProblem(
            "edited",
            entry_id,
            seq,
            "its content does not match its hash: it was edited (or inserted with a forged hash)",
        )
    if high_water is not None and row["occurred_at"] < high_water - grace:
        return ChainProblem(
            "out_of_order",
            entry_id,
            seq,
            f"occurred at {row['occurred_at']:%Y-%m-%d %H:%M:%S}, long before entries sealed "
            f"ahead of it (up to {high_water:%Y-%m-%d %H:%M:%S}): inserted out of order",
        )
    return None


def _check_unsealed(
    *, max_sealed_id: int | None, high_water: datetime | None, grace: timedelta
) -> ChainProblem | None:
    pending = AuditEntry.objects.filter(seq__isnull=True)
    half_sealed = (
        pending.filter(Q(hash__isnull=False) | Q(prev_hash__isnull=False))
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if half_sealed is not None:
        return ChainProblem(
            "malformed", half_sealed, None, "has a hash but no seq: it does not fit the chain"
        )
    conditions = []
    if max_sealed_id is not None:
        # Behind sealed entries and older than any in-flight transaction could explain.
        conditions.append(Q(id__lt=max_sealed_id, occurred_at__lt=timezone.now() - grace))
    if high_water is not None:
        conditions.append(Q(occurred_at__lt=high_water - grace))
    if not conditions:
        return None
    suspicious = conditions[0]
    for condition in conditions[1:]:
        suspicious |= condition
    row = pending.filter(suspicious).order_by("id").values("id", "occurred_at").first()
    if row is None:
        return None
    return ChainProblem(
        "out_of_order",
        row["id"],
        None,
        f"unsealed, occurred at {row['occurred_at']:%Y-%m-%d %H:%M:%S}, positioned before "
        "entries sealed long after it: inserted out of order",
    )


# Where an anchor came from, as its problems name it: (source, "<source> ... seq N").
_GIVEN_ANCHOR = ("the anchor given", "the anchor records seq {seq}")
_RECORDED_HEAD = ("the recorded head", "the recorded head is seq {seq}")


def _recorded_head() -> ChainAnchor | None:
    row = (
        AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_ID)
        .values_list("seq", "hash")
        .first()
    )
    return ChainAnchor(seq=row[0], hash=row[1]) if row else None


def _check_anchor(row: dict, anchor: ChainAnchor, source: str) -> ChainProblem | None:
    if row["hash"] == anchor.hash:
        return None
    return ChainProblem(
        "rewritten",
        row["id"],
        row["seq"],
        f"its hash differs from {source}: the chain was rebuilt from here or earlier",
    )


def _check_end(head_seq: int | None, anchor: ChainAnchor, claim: str) -> ChainProblem | None:
    """The chain must reach the anchored seq: a tail cut off, or every entry removed (TRUNCATE
    with the trigger dropped), leaves a chain that is valid on its own."""
    if (head_seq or 0) >= anchor.seq:
        return None
    if head_seq:
        found, meaning = f"the table's chain ends at seq {head_seq}", "deleted from the end"
    else:
        found, meaning = "the table holds no sealed entries", "deleted (the log was emptied)"
    return ChainProblem(
        "truncated",
        None,
        anchor.seq,
        f"{found} but {claim.format(seq=anchor.seq)}: entries were {meaning}",
    )


def audit_verify_chain(
    *,
    grace: timedelta = DEFAULT_GRACE,
    anchor: ChainAnchor | None = None,
    chunk_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> ChainReport:
    """Walk the chain in seq order, recompute every hash, and report the first problem.

    Finds an edited entry (hash mismatch), a deleted one (a gap in seq, or a prev_hash that
    does not link), one inserted out of order (a seq or hash that does not fit, or an entry
    backdated by more than `grace` behind entries sealed before it), and, against the recorded
    head (and `anchor`, when given), a rewritten or removed tail or an emptied table.
    """
    # Read before the walk: a sealer running meanwhile only moves it past what the walk sees.
    report = ChainReport(recorded_head=_recorded_head())
    anchors = [
        (checked, source)
        for checked, source in ((anchor, _GIVEN_ANCHOR), (report.recorded_head, _RECORDED_HEAD))
        if checked is not None
    ]
    expected_seq, expected_prev = 1, GENESIS_HASH
    high_water: datetime | None = None
    max_sealed_id: int | None = None
    rows = (
        AuditEntry.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values(*_WALK_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for row in rows:
        problem = _check_sealed_entry(
            row,
            expected_seq=expected_seq,
            expected_prev=expected_prev,
            high_water=high_water,
            grace=grace,
        )
        for checked, (source, _) in anchors:
            if problem is None and row["seq"] == checked.seq:
                problem = _check_anchor(row, checked, source)
        if problem is not None:
            report.problem = problem
            return report
        report.entries_verified += 1
        report.head_seq, report.head_hash = row["seq"], row["hash"]
        expected_seq, expected_prev = row["seq"] + 1, row["hash"]
        if high_water is None or row["occurred_at"] > high_water:
            high_water = row["occurred_at"]
        if max_sealed_id is None or row["id"] > max_sealed_id:
            max_sealed_id = row["id"]
        if progress is not None and report.entries_verified % progress_every == 0:
            progress(report.entries_verified)

    for checked, (_, claim) in anchors:
        report.problem = _check_end(report.head_seq, checked, claim)
        if report.problem is not None:
            return report
    if report.recorded_head is None and report.head_seq is not None:
        report.recorded_head = _recorded_head()  # the first seal may have landed during the walk
        if report.recorded_head is None:
            report.problem = ChainProblem(
                "head_missing",
                None,
                None,
                f"the table's chain reaches seq {report.head_seq} but no head is recorded "
                "(audit_auditchainhead is empty): the recorded head was deleted",
            )
            return report

    report.problem = _check_unsealed(
        max_sealed_id=max_sealed_id, high_water=high_water, grace=grace
    )
    pending = AuditEntry.objects.filter(seq__isnull=True).aggregate(
        count=Count("id"), oldest=Min("occurred_at")
    )
    report.unsealed = pending["count"]
    if pending["oldest"] is not None and pending["oldest"] < timezone.now() - grace:
        report.warnings.append(
            f"{report.unsealed} entries await sealing, the oldest from "
            f"{pending['oldest']:%Y-%m-%d %H:%M:%S}: is the task worker running?"
        )
    return report
