"""Which audit log entries become which public event types, and the JSON body of each.

An event is an audit entry seen from outside: its id is the entry's id ("evt_<id>"), so a replay
of any period reads the audit log again and sends the very same events. Only the actions listed
here leave the system; refusals never do. The body is a "thin" event: what changed and which
object, never a secret (the audit log has scrubbed secrets and card numbers already, and keys
naming links or addresses are dropped here too); an integrator reads the rest from the API.

A body's shape is versioned per type (`version`): adding a key keeps the version, renaming or
removing one raises it. docs/events.md lists them.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import REDACTED, REDACTED_CARD, is_sensitive_key

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    actions: tuple[str, ...]
    # A failure is an event for some types (a declined payment); refusals never are.
    outcomes: frozenset[str] = field(default=frozenset({Outcome.SUCCESS}))
    version: int = PAYLOAD_VERSION


_FAILED = frozenset({Outcome.SUCCESS, Outcome.FAILURE})
_MANAGER_ACTIONS = tuple(
    f"acceptance.review_{state}"
    for state in (
        "acknowledged",
        "remediation",
        "escalated",
        "accepted",
        "accepted_with_conditions",
        "contract_cancelled",
    )
)

EVENT_TYPES: tuple[EventType, ...] = (
    EventType("customer.created", "A customer record was created.", ("customer.created",)),
    EventType("customer.updated", "A customer's profile changed.", ("customer.profile_updated",)),
    EventType("subscription.purchased", "A plan was bought.", ("subscription.purchased",)),
    EventType(
        "subscription.changed",
        "A subscription's plan or billing cycle changed, or it was set to end.",
        (
            "subscription.plan_changed",
            "subscription.cycle_changed",
            "subscription.cancel_at_period_end",
        ),
    ),
    EventType("subscription.cancelled", "A subscription ended.", ("subscription.cancelled",)),
    EventType("invoice.issued", "An invoice was issued.", ("invoice.issued",)),
    EventType("invoice.paid", "An invoice was paid in full.", ("invoice.paid",)),
    EventType(
        "invoice.uncollectible",
        "An invoice was marked uncollectible.",
        ("invoice.uncollectible",),
        # Billing records giving up on an invoice as a failure: without this it never left.
        outcomes=_FAILED,
    ),
    EventType("invoice.voided", "An invoice was voided.", ("invoice.voided",)),
    EventType("payment.succeeded", "A charge succeeded.", ("payment.succeeded",)),
    EventType(
        "payment.failed",
        "A charge was declined or failed.",
        ("payment.declined", "payment.failed"),
        outcomes=_FAILED,
    ),
    EventType(
        "payment.action_required",
        "The customer's bank asks them to confirm a charge (strong customer authentication).",
        ("invoice.action_required",),
    ),
    EventType(
        "payment.disputed",
        "The cardholder's bank opened or closed a dispute about a payment.",
        ("payment.disputed", "payment.dispute_closed"),
    ),
    EventType(
        "invoice.dunning_held",
        "A failed renewal waits for a manager's decision instead of going past due.",
        ("invoice.dunning_held",),
    ),
    EventType("refund.issued", "A payment was refunded.", ("payment.refunded",)),
    EventType("credit_note.issued", "A credit note was issued.", ("credit_note.issued",)),
    EventType("contract.issued", "A contract was issued.", ("contract.issued",)),
    EventType("contract.sent", "A contract was sent to the customer.", ("contract.sent",)),
    EventType(
        "contract.acknowledged", "The customer acknowledged a contract.", ("contract.acknowledged",)
    ),
    EventType(
        "contract.expiring",
        "A contract's expiry reminder went out.",
        ("contract.expiry_reminder_sent",),
    ),
    EventType("contract.renewed", "A contract was renewed.", ("contract.renewed",)),
    EventType("contract.cancelled", "A contract was cancelled.", ("contract.cancelled",)),
    EventType(
        "requirement.rated", "A requirement was rated Red, Yellow or Green.", ("acceptance.rated",)
    ),
    EventType(
        "acceptance.status_changed",
        "A contract's acceptance status changed.",
        ("acceptance.logged", "acceptance.review_superseded", "acceptance.requirements_unknown"),
        outcomes=_FAILED,
    ),
    EventType(
        "manager_action.taken",
        "A manager acted on an acceptance review or on a customer's fall into red (health "
        "review), decided a held renewal's dunning or a service credit.",
        (
            *_MANAGER_ACTIONS,
            "health.review_acknowledged",
            "health.review_acted",
            "invoice.dunning_decided",
            "service_credit.approved",
            "service_credit.declined",
        ),
    ),
    EventType("risk.raised", "A risk event was raised.", ("risk.raised",)),
    EventType("risk.resolved", "A risk event was acknowledged and resolved.", ("risk.resolved",)),
    EventType("repair_request.opened", "A repair request was opened.", ("service_request.opened",)),
    EventType(
        "repair_request.updated",
        "A repair request was assigned or changed status.",
        ("service_request.assigned", "service_request.status_changed"),
    ),
    EventType(
        "sla_clock.started",
        "A request's SLA clocks started, with each deadline.",
        ("sla.clocks_started",),
    ),
    EventType(
        "sla_clock.changed",
        "A request's SLA deadlines moved: new terms after a severity change, or a reopening; "
        "or a breach withdrawn (claimed after the review's contract had ended).",
        ("sla.clocks_retermed", "sla.clock_restarted", "sla.breach_withdrawn"),
    ),
    EventType(
        "sla_clock.stopped",
        "An SLA clock stopped (first response or resolution), met or missed.",
        ("sla.clock_stopped",),
    ),
    EventType(
        "sla_clock.warned", "80% of an SLA clock's service time is used.", ("sla.clock_warned",)
    ),
    EventType("sla_clock.breached", "An SLA clock ran past its deadline.", ("sla.clock_breached",)),
    EventType(
        "customer.health_changed",
        "A customer's health band changed (red, yellow, green) or was first set, with the "
        "score and the factors that cost the most.",
        ("health.band_changed",),
    ),
    EventType("alert.raised", "An admin alert was raised.", ("alert.raised",), outcomes=_FAILED),
)

EVENT_TYPE_NAMES: tuple[str, ...] = tuple(event.name for event in EVENT_TYPES)
BY_ACTION: dict[str, EventType] = {
    action: event for event in EVENT_TYPES for action in event.actions
}
MAPPED_ACTIONS: tuple[str, ...] = tuple(BY_ACTION)

# Keys that may name a link (perhaps a signed one) or a network address: never sent out.
_DROPPED_KEY = re.compile(r"(?i)url|link|href|(^|_)ip($|_)|address")


def event_type_for(entry: AuditEntry) -> EventType | None:
    """The public event an audit entry is, or None for an entry that stays inside."""
    event = BY_ACTION.get(entry.action)
    if event is None or entry.outcome not in event.outcomes:
        return None
    return event


def webhook_id_for(entry_id: int) -> str:
    return f"evt_{entry_id}"


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            str(key): _public(item)
            for key, item in value.items()
            if not is_sensitive_key(str(key))
            and not _DROPPED_KEY.search(str(key))
            and item not in (REDACTED, REDACTED_CARD)
        }
    if isinstance(value, list):
        return [_public(item) for item in value if item not in (REDACTED, REDACTED_CARD)]
    return value


def event_payload(entry: AuditEntry, event: EventType) -> dict[str, Any]:
    """The JSON body of `entry` as event `event` (its versioned shape, see docs/events.md).

    An entry written under a test clock (docs/test-clocks.md) also says the clock and its
    simulated moment, in `data.test_clock`; `timestamp` stays the real time."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    payload = {
        "id": webhook_id_for(entry.pk),
        "type": event.name,
        "version": event.version,
        "timestamp": entry.occurred_at.isoformat(),
        "data": {
            "audit_entry_id": entry.pk,
            "action": entry.action,
            "outcome": entry.outcome,
            "object": {"type": entry.object_type, "id": entry.object_id},
            "customer_id": entry.customer_id,
            "changes": _public(changes),
        },
    }
    if "simulated_at" in changes:
        payload["data"]["test_clock"] = {
            "id": changes.get("test_clock_id"),
            "simulated_at": changes["simulated_at"],
        }
    return payload


def event_body(entry: AuditEntry, event: EventType) -> str:
    """The exact text signed and sent: compact JSON, keys in a stable order."""
    return json.dumps(event_payload(entry, event), separators=(",", ":"), sort_keys=True)


def event_catalog() -> list[dict[str, Any]]:
    """Every event type with its version and description, as the API publishes them."""
    return [
        {"type": e.name, "version": e.version, "description": e.description} for e in EVENT_TYPES
    ]
