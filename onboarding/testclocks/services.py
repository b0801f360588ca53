"""Test clocks (docs/test-clocks.md): create one, bind test customers to it, advance it.

Admins only. A clock only moves forward; advancing runs in the background (tasks.py), one step
of at most STEP at a time (stepping.py), and records where it got so the page and the API can
show progress. Everything a test customer does through these services happens at the clock's
moment, inside clock.simulated().
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import Customer, TestClock, TestClockStatus, User
from onboarding.accounts.services import customer_create, customer_profile_update
from onboarding.alerts.failures import (
    FailureNotice,
    ServiceUnavailable,
    failure_reported,
    report_failure,
)
from onboarding.alerts.permissions import require_admin
from onboarding.billing.periods import add_months
from onboarding.billing.services import subscription_purchase
from onboarding.catalog.models import BillingCycle, Plan
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, NotFound
from onboarding.core.roles import Role
from onboarding.payments.gateways.base import CardDetails
from onboarding.payments.methods import (
    CardNeedsConfirmation,
    CardRefused,
    card_failure_severity,
    payment_method_add,
)
from onboarding.testclocks import events, stepping
from onboarding.testclocks.tasks import clock_advance_task
from onboarding.worker.selectors import task_key_unfinished
from onboarding.worker.services import enqueue_on_commit

# How far one advance may go: long enough for a year and its renewal, short enough to finish.
MAX_ADVANCE = timedelta(days=731)
# Where a clock may start: a simulated customer's life is a recent past or a near future.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START_AHEAD = timedelta(days=3653)
UNITS = ("hours", "days", "months")
# Told in the reader's language; the alert and the audit record the English (alerts/failures.py).
TEST_CUSTOMER_FAILED = FailureNotice(
    "test_customer_create_failed",
    gettext_lazy(
        "The test customer could not be created because of a problem on our side. Nothing was "
        "kept, and the admins have been told."
    ),
)


class ClockInputError(DomainError):
    """Input a person can fix: answered as a field-level 422."""

    status_code = 422


def testclocks_require_admin(actor, *, object_id: str = "") -> None:
    require_admin(actor, refused=events.test_clock_refused, object_id=object_id)


def _clock_get(clock_id: int | str, *, for_update: bool = False) -> TestClock:
    rows = TestClock.objects.select_for_update() if for_update else TestClock.objects
    try:
        found = rows.filter(pk=int(clock_id)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(gettext("No such test clock."))
    return found


def clock_create(*, actor, name: str, frozen_time: datetime | None = None) -> TestClock:
    """A new clock standing at `frozen_time` (now if not given)."""
    testclocks_require_admin(actor)  # before the transaction: the refusal stays recorded
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ClockInputError(
            gettext("Give the clock a name of 1 to 100 characters."), field="name"
        )
    if frozen_time is not None and timezone.is_naive(frozen_time):
        raise ClockInputError(
            gettext("Give the start time with its time zone."), field="frozen_time"
        )
    now = timezone.now()
    # Stored in UTC: an offset PostgreSQL cannot read (+16:12 is valid ISO) never reaches it.
    start = (frozen_time or now).astimezone(UTC).replace(microsecond=0)
    if not EARLIEST_START <= start <= now + LATEST_START_AHEAD:
        raise ClockInputError(
            gettext("Start the clock between %(earliest)s and ten years from now.")
            % {"earliest": f"{EARLIEST_START:%Y-%m-%d}"},
            field="frozen_time",
        )
    with transaction.atomic():
        test_clock = TestClock.objects.create(name=name, frozen_time=start, created_by=actor)
        events.test_clock_created(actor=actor, test_clock=test_clock)
    return test_clock


@dataclass(frozen=True)
class ClockCustomerIn:
    email: str
    first_name: str = "Test"
    last_name: str = "Customer"
    company: str = "Test customer"
    country: str = "GB"
    card_number: str = "4242424242424242"
    plan_slug: str = ""
    cycle: str = BillingCycle.ANNUAL
    currency: str | None = None


def _ready_clock(clock_id: int | str) -> TestClock:
    test_clock = _clock_get(clock_id)
    if test_clock.status == TestClockStatus.ADVANCING:
        raise Conflict(gettext("The clock is advancing; wait until it is ready."), field="clock")
    return test_clock


def clock_customer_create(*, actor, clock_id: int | str, data: ClockCustomerIn) -> Customer:
    """A customer bound to the clock, with a card on file (sandbox) and, if `plan_slug` is
    given, a subscription bought at the clock's moment; its first invoice, charge and contract
    are worked off at once (at that moment)."""
    testclocks_require_admin(actor, object_id=str(clock_id)[:64])
    test_clock = _ready_clock(clock_id)
    email = (data.email or "").strip().lower()
    if not email or "@" not in email:
        raise ClockInputError(gettext("Give the test customer an email address."), field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise ClockInputError(gettext("That email address is taken."), field="email")
    plan = None
    if data.plan_slug:
        plan = Plan.objects.filter(slug=data.plan_slug, is_active=True).first()
        if plan is None:
            raise ClockInputError(gettext("No plan on sale has that slug."), field="plan_slug")
    at = test_clock.frozen_time
    with clock.simulated(test_clock.pk, at):
        customer = _test_customer_make(
            actor=actor, test_clock=test_clock, email=email, data=data, plan=plan
        )
        stepping.clock_drain(clock_id=test_clock.pk, at=at)
    return customer


@failure_reported(TEST_CUSTOMER_FAILED, target="test_clock")
def _test_customer_make(
    *, actor, test_clock: TestClock, email: str, data: ClockCustomerIn, plan: Plan | None
) -> Customer:
    """The user, the customer, the card and the purchase in one transaction: a refused card or
    a refused purchase leaves nothing behind, not even its own audit entries and alerts (they
    are about a customer that never was). The card goes to the gateway inside the transaction,
    unlike on a customer's own card page: here it is the sandbox, for an admin's test, and a
    card kept outside would leave a half-made customer when it is refused."""
    try:
        with transaction.atomic():
            user = User.objects.create(
                email=email,
                role=Role.CUSTOMER,
                first_name=data.first_name[:150],
                last_name=data.last_name[:150],
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            customer = customer_create(user=user, test_clock=test_clock)
            customer = customer_profile_update(
                customer=customer,
                actor=user,
                profile={
                    "company": data.company,
                    "address_line1": "1 Test Street",
                    "city": "Bristol",
                    "postal_code": "BS1 4DJ",
                    "country": data.country,
                },
            )
            payment_method_add(
                customer=customer, actor=user, card=_card(data.card_number, test_clock.frozen_time)
            )
            if plan is not None:
                subscription_purchase(
                    customer=customer,
                    plan=plan,
                    cycle=data.cycle,
                    currency=data.currency,
                    actor=user,
                )
            events.test_customer_created(actor=actor, test_clock=test_clock, customer=customer)
    except CardNeedsConfirmation as pending:
        raise ClockInputError(
            gettext(
                "This sandbox card asks the bank to confirm it when it is put on file, which a "
                "test customer cannot do; choose another card."
            ),
            field="card_number",
        ) from pending
    except CardRefused as refused:
        if card_failure_severity(refused.code) == "warning":
            # A decline the admin chose (a sandbox decline card): input to correct, as a
            # customer's own decline is; no alert to the admins about their own test.
            raise ClockInputError(refused.message, field="card_number") from refused
        # The gateway failed (a timeout, a processing error): ours to look into.
        report_failure(
            reason=TEST_CUSTOMER_FAILED.reason,
            user_message=f"A test customer for clock {test_clock.name!r} could not be created",
            error=refused,
            target=test_clock,
            actor=actor,
            context={"card_failure": refused.code},
        )
        raise ServiceUnavailable(
            f"{refused.message} "
            + gettext("The test customer was not created; the admins have been told."),
            field="card_number",
        ) from refused
    return customer


def _card(number: str, at: datetime) -> CardDetails:
    return CardDetails(
        number=number.replace(" ", ""), exp_month=12, exp_year=at.year + 3, cvc="123"
    )


def clock_customer_card_replace(*, actor, customer_id: int, card_number: str) -> None:
    """Put another sandbox card on file for a test customer, at its clock's moment (a decline
    card makes its next charges fail: docs/payments.md)."""
    testclocks_require_admin(actor, object_id=str(customer_id)[:64])
    customer = Customer.objects.select_related("user").filter(pk=customer_id).first()
    if customer is None or customer.test_clock_id is None:
        raise NotFound(gettext("No such test customer."))
    test_clock = _ready_clock(customer.test_clock_id)
    at = test_clock.frozen_time
    with clock.simulated(test_clock.pk, at):
        payment_method_add(
            customer=customer,
            actor=customer.user,
            card=_card(card_number, at),
            identity_confirmed=True,  # an admin's test customer: no password to ask again
        )
        stepping.clock_drain(clock_id=test_clock.pk, at=at)


def advance_target(
    *, frozen: datetime, amount: int | None = None, unit: str | None = None, to=None
) -> datetime:
    """Where an advance by `amount` `unit`s, or to the moment `to`, ends; refused with a
    field-level error when it is not ahead of `frozen`, or more than MAX_ADVANCE ahead."""
    if to is not None:
        if timezone.is_naive(to):
            raise ClockInputError(gettext("Give the target time with its time zone."), field="to")
        target, field = to.astimezone(UTC), "to"
    else:
        if unit not in UNITS:
            raise ClockInputError(gettext("Advance by hours, days or months."), field="unit")
        if amount is None or amount < 1:
            raise ClockInputError(gettext("Advance by at least 1."), field="amount")
        if unit == "months":
            target = add_months(frozen, min(amount, 1000))
        else:
            target = frozen + timedelta(**{unit: min(amount, 100_000)})
        field = "amount"
    target = target.replace(microsecond=0)
    if target <= frozen:
        raise ClockInputError(
            gettext("A clock only moves forward: the target is not ahead."), field=field
        )
    if target - frozen > MAX_ADVANCE:
        raise ClockInputError(gettext("Advance at most two years at a time."), field=field)
    return target


def _advance_key(clock_id: int) -> str:
    return f"test-clock-advance:{clock_id}"


def clock_advance(
    *, actor, clock_id: int | str, amount: int | None = None, unit: str | None = None, to=None
) -> TestClock:
    """Start moving the clock to its target in the background; returns it, advancing."""
    testclocks_require_admin(actor, object_id=str(clock_id)[:64])
    with transaction.atomic():
        test_clock = _clock_get(clock_id, for_update=True)
        if test_clock.status == TestClockStatus.ADVANCING and task_key_unfinished(
            key=_advance_key(test_clock.pk)
        ):
            raise Conflict(gettext("The clock is already advancing."), field="clock")
        # An advance whose task ended for good without finishing (its worker killed on every
        # attempt) is taken up again: the clock stands at its last completed step.
        target = advance_target(frozen=test_clock.frozen_time, amount=amount, unit=unit, to=to)
        test_clock.status, test_clock.target_time, test_clock.failure = (
            TestClockStatus.ADVANCING,
            target,
            "",
        )
        test_clock.save(update_fields=["status", "target_time", "failure", "updated_at"])
        events.test_clock_advance_requested(actor=actor, test_clock=test_clock, target=target)
        enqueue_on_commit(
            clock_advance_task,
            key=_advance_key(test_clock.pk),
            kwargs={"clock_id": test_clock.pk},
        )
    return test_clock
