"""What each onboarding step asks the customer to do, and where they do it: the one place that maps
a journey step to a page. The account page shows the first step not done as a button and the
others as links.

The facts that pick a step's page (a card on file, the invoice to pay, the contract to read) belong
to apps that build on this one, so the caller collects them into a Progress and passes it in.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from onboarding.journey.models import JourneyStep, Step, StepState


@dataclass(frozen=True)
class Progress:
    """What the customer has so far, as far as their next step depends on it."""

    email_verified: bool = True
    has_card: bool = False
    invoice_to_pay: tuple[int, str] | None = None  # (id, number) of the oldest payable invoice
    contract: tuple[int, str] | None = None  # (id, number) of the newest contract
    contract_to_acknowledge: tuple[int, str] | None = None  # (id, number)


@dataclass(frozen=True)
class StepAction:
    label: str  # the button's words: what the customer does
    url: str
    # The step waits on us (an invoice or contract being prepared): the link shows where it
    # appears, and a note says there is nothing to do yet.
    waiting_note: str = ""


@dataclass(frozen=True)
class JourneyRow:
    step: JourneyStep
    action: StepAction | None  # None once done
    is_next: bool  # the first step not done: shown as the prominent button


def _waiting(label: str, url: str, note: str) -> StepAction:
    return StepAction(label=label, url=url, waiting_note=note)


def step_action(step: Step, state: str, progress: Progress) -> StepAction:
    """The page where the customer does `step` (in `state`), given their progress."""
    if step == Step.ACCOUNT:
        return StepAction(_("Complete your billing details"), reverse("accounts:profile"))
    if step == Step.CARD_AND_CYCLE:
        if state == StepState.FAILED:
            return StepAction(_("Add another card"), reverse("payments:card"))
        if not progress.has_card:
            return StepAction(_("Add a card"), reverse("payments:card"))
        return StepAction(_("Choose a plan and billing cycle"), reverse("catalog:pricing"))
    if step == Step.FIRST_INVOICE:
        return _waiting(
            _("See your invoices"),
            reverse("billing:invoices"),
            _("We are preparing your first invoice; it appears with your invoices shortly."),
        )
    if step == Step.FIRST_PAYMENT:
        if progress.invoice_to_pay:
            invoice_id, number = progress.invoice_to_pay
            url = reverse("billing:invoice", args=[invoice_id]) + "#pay"
            return StepAction(_("Pay invoice %(number)s") % {"number": number}, url)
        return _waiting(
            _("See your invoices"),
            reverse("billing:invoices"),
            _("Your first invoice is not ready to pay yet; we charge your card when it is."),
        )
    if step == Step.CONTRACT:
        if not progress.email_verified:
            return StepAction(_("Verify your email address"), reverse("account_email"))
        if progress.contract:
            contract_id, _unused = progress.contract
            return StepAction(
                _("Read your contract"), reverse("contracts:detail", args=[contract_id])
            )
        return _waiting(
            _("See your contracts"),
            reverse("contracts:list"),
            _("We are preparing your contract; it appears here once your first invoice is paid."),
        )
    raise ValueError(f"No action for journey step {step!r}")


def acknowledge_action(progress: Progress) -> StepAction | None:
    """After the five steps: a delivered contract still waits for the customer's acknowledgement."""
    if progress.contract_to_acknowledge is None:
        return None
    contract_id, number = progress.contract_to_acknowledge
    url = reverse("contracts:detail", args=[contract_id]) + "#acknowledge"
    return StepAction(_("Acknowledge contract %(number)s") % {"number": number}, url)


def journey_rows(*, journey: list[JourneyStep], progress: Progress) -> list[JourneyRow]:
    """The customer's steps in order, each not done with its action; the first not done is next."""
    rows, next_found = [], False
    for row in journey:
        if row.state == StepState.DONE:
            rows.append(JourneyRow(step=row, action=None, is_next=False))
            continue
        action = step_action(Step(row.step), row.state, progress)
        rows.append(JourneyRow(step=row, action=action, is_next=not next_found))
        next_found = True
    return rows


def after_journey(*, rows: list[JourneyRow], progress: Progress) -> StepAction | None:
    """Once every step is done: acknowledging a delivered contract, if one still waits for it."""
    if any(row.is_next for row in rows):
        return None
    return acknowledge_action(progress)
