import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES


class Outcome(models.TextChoices):
    SUCCESS = "success", pgettext_lazy("audit outcome", "Success")
    FAILURE = "failure", pgettext_lazy("audit outcome", "Failure")
    REFUSED = "refused", pgettext_lazy("audit outcome", "Refused")


@access_rule(owner=None, staff=STAFF_ROLES)
class AuditEntry(models.Model):
    """One business event. Append-only; sealed into a SHA-256 chain by a background step.

    `audit_record` inserts with seq/prev_hash/hash NULL; `audit_seal_pending` later fills the
    three in one UPDATE (the only UPDATE the PostgreSQL trigger allows). Staff-only rows.
    """

    occurred_at = models.DateTimeField(db_index=True)
    # No database constraint and no cascade: deleting a user must neither fail on the
    # append-only trigger nor rewrite history; actor_email keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)

    # The chain: NULL until sealed, then set once and never again. NULL rather than "" so
    # "unsealed" is one state the check constraint and the trigger can test.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["customer_id", "id"], name="audit_customer_idx"),
            models.Index(fields=["actor_email", "id"], name="audit_actor_idx"),
            # The sealer's queue: small, because sealed rows leave it within seconds.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(seq__isnull=True, prev_hash__isnull=True, hash__isnull=True)
                    | models.Q(seq__gte=1, prev_hash__isnull=False, hash__isnull=False)
                ),
                name="audit_sealed_all_or_nothing",
            ),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_label}"

    @property
    def object_label(self) -> str:
        return f"{self.object_type}:{self.object_id}" if self.object_type else ""

    @property
    def is_sealed(self) -> bool:
        return self.seq is not None

    @property
    def change_rows(self) -> list[dict[str, Any]]:
        """`changes` as rows for display: a [before, after] pair, or a single recorded value."""
        if not isinstance(self.changes, dict):
            return [{"field": "", "pair": False, "value": _display(self.changes)}]
        rows = []
        for field, value in self.changes.items():
            if isinstance(value, list) and len(value) == 2:
                rows.append(
                    {
                        "field": field,
                        "pair": True,
                        "before": _display(value[0]),
                        "after": _display(value[1]),
                    }
                )
            else:
                rows.append({"field": field, "pair": False, "value": _display(value)})
        return rows


def _display(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class AuditChainHead(models.Model):
    """The chain's last sealed seq and hash, kept outside the entries table: one row.

    The sealer moves it forward in the transaction of each batch. A tail cut off the entries (or
    the whole table emptied) leaves a chain that still verifies on its own; this row says how far
    the chain reached, so verify_audit can tell. On PostgreSQL a trigger refuses to delete it or
    move it backwards (migration 0005).
    """

    SINGLETON_ID = 1

    id = models.SmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_is_one_row"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_chain_head_seq"),
        ]

    def __str__(self) -> str:
        return f"audit chain head seq {self.seq} hash {self.hash}"
