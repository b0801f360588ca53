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
