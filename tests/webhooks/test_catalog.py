"""The public event types: published in docs/events.md, one type per audit action."""

import re
from pathlib import Path

from onboarding.webhooks.catalog import BY_ACTION, EVENT_TYPES, event_catalog

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_every_event_type_is_documented_with_its_version():
    text = DOCS.read_text()
    missing = [e.name for e in EVENT_TYPES if f"| `{e.name}` | {e.version} |" not in text]
    assert not missing, f"add to docs/events.md (Webhook events): {missing}"


def test_each_audit_action_is_one_event_type_only():
    actions = [action for e in EVENT_TYPES for action in e.actions]
    assert len(actions) == len(set(actions)) == len(BY_ACTION)
    assert len({e["type"] for e in event_catalog()}) == len(EVENT_TYPES)


def test_nothing_about_sign_in_or_refusals_leaves():
    assert not [a for a in BY_ACTION if a.startswith(("auth.", "access.", "webhook"))]


def test_every_sla_clock_action_leaves_as_an_sla_clock_event():
    # The clocks' audit actions, read from the one file that writes them (sla/events.py).
    source = (DOCS.parents[1] / "onboarding" / "sla" / "events.py").read_text()
    actions = set(re.findall(r'action="(sla\.clocks?_[a-z_]+)"', source))
    assert actions == {
        "sla.clocks_started",
        "sla.clock_stopped",
        "sla.clock_restarted",
        "sla.clocks_retermed",
        "sla.clock_warned",
        "sla.clock_breached",
    }
    assert {action: BY_ACTION[action].name.split(".")[0] for action in actions} == dict.fromkeys(
        actions, "sla_clock"
    )


def test_a_health_band_change_leaves_as_customer_health_changed_with_score_and_factors(customer):
    import datetime as dt

    from django.utils import timezone

    from onboarding.audit.models import AuditEntry
    from onboarding.health.models import HealthSettings
    from onboarding.health.services import customer_health_recompute
    from onboarding.webhooks.catalog import event_payload, event_type_for

    HealthSettings.objects.create(pk=1, red_below=97, green_from=99)
    customer.last_login = timezone.now() - dt.timedelta(days=100)
    customer.save(update_fields=["last_login"])
    customer_health_recompute(customer_id=customer.pk)  # engagement 80% of 5: 96, red
    entry = AuditEntry.objects.get(action="health.band_changed")
    event = event_type_for(entry)
    assert event is not None and event.name == "customer.health_changed"
    data = event_payload(entry, event)["data"]
    assert data["customer_id"] == customer.pk
    assert data["changes"] == {
        "band": [None, "red"],  # the first score is a change too
        "score": 96,
        "costliest": [
            {"factor": "engagement", "cost": 4, "explanation": "Last signed in 100 days ago"}
        ],
    }
    # The settings' edits and the re-score they start stay inside.
    assert not {"health.healthsettings_updated", "health.rescore_started"} & set(BY_ACTION)
