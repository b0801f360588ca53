"""A dunning hold's reason is recorded in English and worded in the reader's language: on the
customer view (a German member of staff) and in the manager's dunning-decision mail."""

import pytest
from django.utils import translation

from onboarding.billing.hold_texts import (
    acceptance_hold_reason,
    hold_reason_text,
    hold_reasons_text,
    request_hold_reason,
)


@pytest.mark.parametrize(
    ("recorded", "german"),
    [
        (
            acceptance_hold_reason(contract="CTR-2026-000007"),
            "die Abnahme des Vertrags CTR-2026-000007 ist rot",
        ),
        (
            request_hold_reason(severity="critical", request_id=12),
            "offene Anfrage REQ-000012 mit Schweregrad kritisch",
        ),
        ("a reason of another shape", "a reason of another shape"),
    ],
)
def test_a_hold_reason_is_worded_in_the_active_language(recorded, german):
    with translation.override("de"):
        assert hold_reason_text(recorded) == german
    with translation.override("en"):
        assert hold_reason_text(recorded) == recorded


def test_the_reasons_of_a_customer_read_as_one_phrase():
    reasons = [
        acceptance_hold_reason(contract="CTR-2026-000007"),
        request_hold_reason(severity="high", request_id=3),
    ]
    with translation.override("fr"):
        assert hold_reasons_text(reasons) == (
            "la réception du contrat CTR-2026-000007 est au rouge; "
            "demande REQ-000003 ouverte, de gravité élevée"
        )
    with translation.override("en"):
        assert hold_reasons_text(reasons) == "; ".join(reasons)
        assert hold_reasons_text([]) == "service trouble"
