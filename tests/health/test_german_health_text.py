"""Health text built from the score's records, in the reader's language (docs/i18n.md, issue 20).

The score records each factor's explanation in English and, beside it, its parts (codes and
numbers, scoring.py); explain.py words the parts for a German reader. English is the recorded
text byte for byte; a score recorded before the parts (no "parts") is shown as recorded."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from onboarding.accounts.models import User
from onboarding.core.errors import Conflict
from onboarding.health.explain import PARTS, factor_explanation, red_reason
from onboarding.health.models import Factor, HealthReview, HealthSettings
from onboarding.health.scoring import (
    AcceptanceInputs,
    CardInputs,
    ContractInputs,
    EngagementInputs,
    HealthInputs,
    PaymentInputs,
    ServiceInputs,
    factor_score,
)
from onboarding.notifications.models import Notification
from onboarding.risk.models import RiskEvent, RiskType
from tests.acceptance.conftest import active_contract
from tests.core.test_german_staff_console import german_client, main_text
from tests.health.shown import EXPLAINED, a_customer, scored
from tests.health.test_reviews import fall_into_red

TODAY = dt.date(2026, 12, 5)

# One input per wording: together they reach every code explain.py knows.
INPUTS = {
    Factor.PAYMENT: [
        PaymentInputs(
            overdue_count=1,
            oldest_overdue_days=34,
            failed_count=2,
            action_required_count=1,
            uncollectible_count=1,
        ),
        PaymentInputs(overdue_count=3, oldest_overdue_days=1, failed_count=1),
        PaymentInputs(open_count=2),
        PaymentInputs(open_count=1),
        PaymentInputs(),
    ],
    Factor.ACCEPTANCE: [
        AcceptanceInputs(worst="red"),
        AcceptanceInputs(worst="yellow"),
        AcceptanceInputs(worst="red", unacknowledged_days=9),
        AcceptanceInputs(worst="yellow", unacknowledged_days=1),
        AcceptanceInputs(),
    ],
    Factor.CONTRACT: [
        ContractInputs(),
        ContractInputs(has_any=True, ended_on=TODAY),
        ContractInputs(has_any=True),
        ContractInputs(
            has_any=True,
            in_force=True,
            unacknowledged_days=0,
            cancel_at_period_end=True,
            days_to_expiry=20,
        ),
        ContractInputs(has_any=True, in_force=True, unacknowledged_days=1, days_to_expiry=1),
        ContractInputs(has_any=True, in_force=True),
    ],
    Factor.SERVICE: [
        ServiceInputs(critical=1, high=2, low=1, breaches_90_days=1),
        ServiceInputs(normal=1, breaches_90_days=2),
        ServiceInputs(high=1, low=3),
        ServiceInputs(),
    ],
    Factor.CARD: [
        CardInputs(invoices_to_pay=2),
        CardInputs(invoices_to_pay=1),
        CardInputs(),
        CardInputs(on_file=True, days_to_expiry=200),
        CardInputs(on_file=True, days_to_expiry=-3, expires_on=TODAY),
        CardInputs(on_file=True, days_to_expiry=-3),
        CardInputs(on_file=True, days_to_expiry=0),
        CardInputs(on_file=True, days_to_expiry=1),
        CardInputs(on_file=True, days_to_expiry=12),
    ],
    Factor.ENGAGEMENT: [
        EngagementInputs(days_since_joined=40, unread_notices=12),
        EngagementInputs(days_since_sign_in=61, unread_notices=3),
        EngagementInputs(days_since_sign_in=2),
    ],
}
ATTRIBUTE = {f: f.value for f in Factor}

# English words of the explanations; none may be left in a German one.
ENGLISH_WORDS = (
    "invoice", "overdue", "day", "days", "payment", "failed", "dunning", "waiting", "customer",
    "written", "uncollectible", "open", "due", "Nothing", "owed", "Acceptance", "manager",
    "unacknowledged", "yellow", "red", "contract", "Contract", "sent", "today", "acknowledged",
    "yet", "force", "ended", "cancel", "period", "ends", "critical", "high", "low", "request",
    "requests", "breach", "breaches", "Card", "card", "file", "pay", "valid", "expired",
    "expires", "never", "signed", "joined", "ago", "last", "notices", "unread", "Signed",
    "within", "and", "the", "of", "on", "by", "for", "No", "no", "Health",
)  # fmt: skip


def explained(factor, inputs) -> dict:
    health_inputs = HealthInputs(**{ATTRIBUTE[factor]: inputs})
    return factor_score(factor, health_inputs, HealthSettings()).as_dict()


def english_in(text: str) -> list[str]:
    words = set(text.replace(";", " ").replace(",", " ").replace(".", " ").split())
    return sorted(words & set(ENGLISH_WORDS))


def test_every_explanation_is_english_as_recorded_and_german_without_an_english_word():
    codes = set()
    for factor, cases in INPUTS.items():
        for inputs in cases:
            entry = explained(factor, inputs)
            codes |= {part["code"] for part in entry["parts"]}
            with translation.override("en"):
                assert factor_explanation(entry) == entry["explanation"]
            with translation.override("de"):
                german = factor_explanation(entry)
            assert german and german != entry["explanation"], entry
            assert english_in(german) == [], (entry["explanation"], german)
            assert german[:1] == german[:1].upper()
    assert codes == set(PARTS)


def test_german_explanations_say_what_the_english_one_says():
    with translation.override("de"):
        payment = factor_explanation(explained(Factor.PAYMENT, INPUTS[Factor.PAYMENT][0]))
        service = factor_explanation(explained(Factor.SERVICE, INPUTS[Factor.SERVICE][0]))
        card = factor_explanation(explained(Factor.CARD, INPUTS[Factor.CARD][4]))
        contract = factor_explanation(explained(Factor.CONTRACT, INPUTS[Factor.CONTRACT][1]))
    assert payment == (
        "1 Rechnung seit 34 Tagen überfällig; Zahlung für 2 Rechnungen fehlgeschlagen, im "
        "Mahnverfahren; 1 Zahlung wartet auf die Bestätigung des Kunden; 1 Rechnung als "
        "uneinbringlich abgeschrieben"
    )
    assert (
        service == "Offene Anfragen: 1 kritisch, 2 hoch und 1 niedrig; 1 SLA-Verletzung in 90 Tagen"
    )
    assert card == "Karte am 5. Dezember 2026 abgelaufen"
    assert contract == "Kein Vertrag in Kraft, der letzte endete am 5. Dezember 2026"


def test_a_factor_recorded_before_its_parts_is_shown_as_recorded():
    old = {"factor": "payment", "cost": 30, "weight": 30, "explanation": EXPLAINED["payment"]}
    unknown = {**old, "parts": [{"code": "from_a_later_version"}]}
    with translation.override("de"):
        assert factor_explanation(old) == EXPLAINED["payment"]
        assert factor_explanation(unknown) == EXPLAINED["payment"]
        assert red_reason(60, [old], recorded="Health 60 (red). …") == "Health 60 (red). …"


@pytest.mark.django_db
def test_the_review_page_the_card_and_the_queue_word_the_explanations_in_german(manager):
    contract = active_contract()
    review = fall_into_red(contract)
    payment = next(f for f in review.snapshot.factors if f["factor"] == "payment")
    assert payment["parts"][0] == {"code": "overdue_one", "days": 34}
    client = german_client(manager)

    page = main_text(client.get(reverse("health:review", args=[review.pk])))
    assert "Gesundheit 60 (rot). Zahlung -30: 1 Rechnung seit 34 Tagen überfällig" in page
    assert review.reason not in page and payment["explanation"] not in page

    queue = main_text(client.get(reverse("health:queue") + "?band=red"))
    assert "1 Rechnung seit 34 Tagen überfällig" in queue
    assert payment["explanation"] not in queue

    # The customer view's health card.
    overview = main_text(client.get(reverse("sysops:customer", args=[contract.customer_id])))
    assert "1 Rechnung seit 34 Tagen überfällig" in overview


@pytest.mark.django_db
def test_english_staff_read_the_recorded_english(manager):
    review = fall_into_red(active_contract())
    client = Client()
    client.force_login(manager)  # console language English (the default)
    text = main_text(client.get(reverse("health:review", args=[review.pk])))
    assert review.reason in text
    assert review.reason.startswith("Health 60 (red). Payment -30: 1 invoice overdue by 34 days")


@pytest.mark.django_db
def test_an_old_score_and_review_keep_their_recorded_english_on_german_pages(manager):
    worst = a_customer("Alt AG")
    scored(worst, costs={"payment": 30})  # recorded without parts, as before them
    client = german_client(manager)
    queue = main_text(client.get(reverse("health:queue")))
    assert EXPLAINED["payment"] in queue

    review = fall_into_red(active_contract())
    HealthReview.objects.filter(pk=review.pk).update(reason="Health 60 (red). Old words")
    snapshot = review.snapshot
    snapshot.factors = [{k: v for k, v in f.items() if k != "parts"} for f in snapshot.factors]
    snapshot.save(update_fields=["factors"])
    page = main_text(client.get(reverse("health:review", args=[review.pk])))
    assert "Health 60 (red). Old words" in page


@pytest.mark.django_db
def test_the_health_notice_and_the_health_risks_are_german_for_german_readers(manager, sysops):
    User.objects.filter(pk=manager.pk).update(staff_language="de")
    contract = active_contract()
    review = fall_into_red(contract)
    notice = Notification.objects.get(recipient=manager, kind="health.red")
    assert notice.language == "de"
    reason = "Gesundheit 60 (rot). Zahlung -30: 1 Rechnung seit 34 Tagen überfällig"
    assert reason in notice.body_text and reason in notice.body_html
    assert review.reason not in notice.body_text
    # notifications/generic has no English of its own left around the German body.
    before_links = notice.body_text.split("http", 1)[0]
    assert english_in(before_links) == [], before_links

    risk = RiskEvent.objects.get(contract=contract, type=RiskType.HEALTH_RED)
    assert risk.reason == review.reason  # the record (stream, API, audit) stays English
    assert risk.as_message()["reason"] == review.reason
    board = main_text(german_client(sysops).get(reverse("risk:board")))
    assert reason in board and review.reason not in board
    with translation.override("en"):
        assert risk.reason_shown == risk.reason


@pytest.mark.django_db
def test_an_unacknowledged_fall_into_red_is_worded_in_german_on_the_board(sysops):
    from django.utils import timezone

    from onboarding.health.reviews import health_review_unacknowledged

    contract = active_contract()
    review = fall_into_red(contract)
    assert health_review_unacknowledged(review_id=review.pk, now=timezone.now()) == 1
    risk = RiskEvent.objects.get(contract=contract, type=RiskType.HEALTH_UNACKNOWLEDGED)
    assert risk.reason.startswith(f"{contract.customer.reference} fell into red")
    board = main_text(german_client(sysops).get(reverse("risk:board")))
    assert f"{contract.customer.reference} ist auf Rot gefallen, und keine Führungskraft" in board
    assert risk.reason not in board


@pytest.mark.django_db
def test_a_refused_review_move_names_the_states_as_labelled_in_german_and_lower_case_in_english():
    review = HealthReview(state="closed")
    with translation.override("de"), pytest.raises(Conflict) as german:
        review.move_to("open")
    with translation.override("en"), pytest.raises(Conflict) as english:
        review.move_to("open")
    # German quotes the label as written (nouns keep their capital); English lower-cases it.
    assert "„Offen“" in str(german.value.message)
    assert "it cannot become open." in str(english.value.message)
