"""One transitions helper: every state machine refuses a move its table does not list with one
error type (a 409 Conflict) and one message shape."""

import pytest

from onboarding.acceptance.models import Rating, Review
from onboarding.alerts.models import AdminAlert
from onboarding.billing.models import CreditNote, Invoice, Subscription
from onboarding.contracts.models import Contract
from onboarding.core.errors import Conflict
from onboarding.core.transitions import IllegalTransition, check_move, move_allowed
from onboarding.payments.models import PaymentAttempt
from onboarding.sysops.models import RequestStatus, ServiceRequest

MOVES = {
    RequestStatus.NEW: frozenset({RequestStatus.IN_PROGRESS}),
    RequestStatus.IN_PROGRESS: frozenset(),
}


def test_a_listed_move_is_allowed_and_passes():
    assert move_allowed(MOVES, "new", "in_progress")
    check_move(MOVES, "new", "in_progress", what="request", states=RequestStatus)


def test_a_move_the_table_does_not_list_is_refused_in_one_shape():
    assert not move_allowed(MOVES, "in_progress", "new")
    with pytest.raises(IllegalTransition) as refused:
        check_move(MOVES, "in_progress", "new", what="request", states=RequestStatus)
    assert refused.value.message == "A request that is in progress cannot become new."
    assert isinstance(refused.value, Conflict)
    assert refused.value.status_code == 409
    assert refused.value.field is None


def test_a_state_missing_from_the_table_allows_no_move():
    assert not move_allowed(MOVES, "closed", "new")


def test_a_row_in_a_state_the_choices_no_longer_name_is_refused_not_a_500():
    with pytest.raises(IllegalTransition) as refused:
        check_move(MOVES, "archived", "new", what="request", states=RequestStatus)
    assert refused.value.message == "A request that is archived cannot become new."


def test_an_unknown_target_is_refused_on_the_given_field():
    with pytest.raises(IllegalTransition) as refused:
        check_move(MOVES, "new", "lost", what="request", states=RequestStatus, field="status")
    assert refused.value.message == "'lost' is not a request status."
    assert refused.value.field == "status"


@pytest.mark.parametrize(
    ("row", "target", "message"),
    [
        (Subscription(status="cancelled"), "active", "A subscription that is cancelled"),
        (Invoice(status="paid"), "open", "An invoice that is paid cannot become open."),
        (CreditNote(status="issued"), "draft", "A credit note that is issued"),
        (Contract(state="sent"), "draft", "A contract that is sent cannot become draft."),
        (Review(rating=Rating.GREEN, state="open"), "acknowledged", "A review that is waiting for"),
        (ServiceRequest(status="closed"), "resolved", "A request that is closed"),
        (PaymentAttempt(status="succeeded"), "pending", "A payment that is succeeded"),
        (AdminAlert(state="resolved"), "open", "An alert that is resolved cannot become open."),
    ],
)
def test_every_state_machine_refuses_with_the_one_error(row, target, message):
    field = "status" if hasattr(row, "status") else "state"
    before = getattr(row, field)
    with pytest.raises(IllegalTransition, match=f"^{message}"):
        row.move_to(target)
    assert getattr(row, field) == before


def test_a_green_review_only_waits_for_its_acknowledgement():
    green, red = Review(rating=Rating.GREEN, state="open"), Review(rating=Rating.RED, state="open")
    assert not green.can_move_to("acknowledged")
    assert red.can_move_to("acknowledged")
    green.move_to("accepted")
    assert green.state == "accepted" and green.closed_at is not None


def test_each_choices_class_is_checked_against_its_own_states():
    """The states each choices class names are read once per class: a second class sharing some
    values still refuses what only the first one names."""
    from django.db import models

    class Narrow(models.TextChoices):
        NEW = "new", "Fresh"

    check_move(MOVES, "new", "in_progress", what="request", states=RequestStatus)
    with pytest.raises(IllegalTransition) as refused:
        check_move(MOVES, "new", "in_progress", what="request", states=Narrow)
    assert refused.value.message == "'in_progress' is not a request status."
    with pytest.raises(IllegalTransition) as refused:
        check_move(MOVES, "in_progress", "new", what="request", states=RequestStatus)
    assert refused.value.message == "A request that is in progress cannot become new."


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "'lost' is not a request status."),
        ("de", "'lost' ist kein gültiger Status für eine Anfrage."),
        ("fr", "'lost' n\u2019est pas un état valide pour une demande."),
    ],
)
def test_an_unknown_target_is_refused_in_the_readers_language(language, message):
    from django.utils import translation

    with translation.override(language), pytest.raises(IllegalTransition) as refused:
        ServiceRequest(status="new").move_to("lost")
    assert refused.value.message == message


def test_every_state_machine_names_an_unknown_target_in_german():
    """Each kind of object has its own German sentence, none left in English."""
    from django.utils import translation

    rows = [
        Subscription(status="active"),
        Invoice(status="open"),
        CreditNote(status="issued"),
        Contract(state="sent"),
        Review(rating=Rating.GREEN, state="open"),
        ServiceRequest(status="new"),
        PaymentAttempt(status="pending"),
        AdminAlert(state="open"),
    ]
    with translation.override("de"):
        for row in rows:
            with pytest.raises(IllegalTransition) as refused:
                row.move_to("lost")
            assert refused.value.message.startswith("'lost' ist kein gültiger Status für "), row
    with pytest.raises(IllegalTransition, match=r"^'lost' is not an invoice status\.$"):
        Invoice(status="open").move_to("lost")
