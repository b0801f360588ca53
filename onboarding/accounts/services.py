"""Writes for the customer record: creation at sign-up, profile and contact changes.

Each runs in one transaction with its audit entry ("Log creation", "Log update") and the journey
step it moves. An unexpected failure in one that a page or the API calls is reported at its
boundary (alerts.failures.failure_reported) with the notice defined here.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts import events
from onboarding.accounts.language import (
    language_or_default,
    staff_languages,
    supported_languages,
)
from onboarding.accounts.models import Contact, Customer, PreferredInbox, TestClock, User
from onboarding.accounts.validators import validate_vat_number, vat_number_normalize
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.alerts.services import admin_alerts_resolve_for
from onboarding.audit.services import audit_diff, model_snapshot
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import DomainError, NotFound
from onboarding.core.money import SUPPORTED_CURRENCIES
from onboarding.core.roles import Role
from onboarding.journey.models import Step
from onboarding.journey.services import journey_start, journey_step_complete
from onboarding.tax.vies import ViesAnswer, ViesUnavailable, vies_applies, vies_check

UPDATE_FAILED = gettext_lazy(
    "Your changes could not be saved because of a problem on our side. "
    "Nothing was changed, and our team has been told."
)
PROFILE_UPDATE_FAILED = FailureNotice("profile_update_failed", UPDATE_FAILED)
CONTACT_UPDATE_FAILED = FailureNotice("contact_update_failed", UPDATE_FAILED)

CONTACT_FIELDS = ("name", "role", "email", "phone")
# Fields a person types freely (the others are validated: VAT number, phone, country, email).
# A card number typed into one would reach invoices, contracts and mail: it keeps its last four.
FREE_TEXT_PROFILE_FIELDS = (
    "company",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
)
FREE_TEXT_CONTACT_FIELDS = ("name", "role")


def _masked(values: dict[str, Any], free_text: tuple[str, ...]) -> dict[str, Any]:
    return {
        name: mask_card_numbers(value) if name in free_text and isinstance(value, str) else value
        for name, value in values.items()
    }


def _account_step_if_ready(customer: Customer) -> None:
    if not customer.missing_for_purchase:
        journey_step_complete(customer=customer, step=Step.ACCOUNT)


@transaction.atomic
def customer_create(
    *, user: User, test_clock: TestClock | None = None, language: str | None = None
) -> Customer:
    """The customer record for a newly signed-up user; calling it again returns the same one.
    `test_clock`: a test customer bound to that clock for good (docs/test-clocks.md).
    `language`: the one they chose or their browser's (accounts.language); unsupported: English."""
    if user.role != Role.CUSTOMER:
        raise DomainError(gettext("Only customer accounts have a customer record."))
    customer, created = Customer.objects.get_or_create(
        user=user,
        defaults={"test_clock": test_clock, "language": language_or_default(language)},
    )
    if created:
        journey_start(customer=customer)
        events.customer_created(actor=user, customer=customer)
    return customer


@failure_reported(PROFILE_UPDATE_FAILED, target="customer")
@transaction.atomic
def customer_profile_update(
    *, customer: Customer, actor: User, profile: dict[str, Any], preferred_inbox: str | None = None
) -> Customer:
    """Update profile fields (and the preferred inbox); audit exactly the fields that changed."""
    unknown = set(profile) - set(Customer.PROFILE_FIELDS)
    if unknown:
        raise DomainError(
            gettext("Unknown profile fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    profile = _masked(profile, FREE_TEXT_PROFILE_FIELDS)
    confirmed = _vat_number_confirmed(customer=customer, number=profile.get("vat_number"))
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer.pk)
    before = model_snapshot(customer, profile.keys())
    for name, value in profile.items():
        setattr(customer, name, value)
    customer.full_clean(exclude=["user"])
    customer.save()
    changes = audit_diff(before=before, after=model_snapshot(customer, profile.keys()))
    if confirmed is not None:
        # The register's answer is the evidence the reverse charge rests on.
        changes["vat_number_vies"] = [
            "",
            f"registered ({confirmed.request_date}, request {confirmed.request_identifier})",
        ]
    user = customer.user
    if preferred_inbox is not None and preferred_inbox != user.preferred_inbox:
        if preferred_inbox not in PreferredInbox.values:
            raise DomainError(gettext("Choose email or in-app inbox."), field="preferred_inbox")
        changes["preferred_inbox"] = [user.preferred_inbox, preferred_inbox]
        user.preferred_inbox = preferred_inbox
        user.save(update_fields=["preferred_inbox"])
    if changes:
        events.customer_profile_updated(actor=actor, customer=customer, changes=changes)
    admin_alerts_resolve_for(
        success="profile_updated",
        customer_id=customer.pk,
        target=customer,
        because=f"the profile of {customer.reference} was saved.",
    )
    _account_step_if_ready(customer)
    return customer


@transaction.atomic
def customer_language_set(*, customer: Customer, actor: User, language: str) -> Customer:
    """The language switcher used while signed in: the profile's language changes with it
    (audited like any profile change); an unsupported code is a field error."""
    if language not in supported_languages():
        raise DomainError(gettext("Choose one of the languages offered."), field="language")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.language != language:
        changes = {"language": [customer.language, language]}
        customer.language = language
        customer.save(update_fields=["language", "updated_at"])
        events.customer_profile_updated(actor=actor, customer=customer, changes=changes)
    return customer


def staff_language_set(*, user: User, language: str) -> User:
    """A member of staff chooses the console's language (the switcher, while signed in): their
    pages and the mail sent to them follow it; audited as a change of the user. A language the
    console does not speak is a field error and changes nothing."""
    if not user.is_staff_role or language not in staff_languages():
        raise DomainError(gettext("Choose one of the languages offered."), field="language")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.staff_language != language:
        changes = {"staff_language": [user.staff_language, language]}
        user.staff_language = language
        user.save(update_fields=["staff_language"])
        events.user_updated(actor=user, user=user, changes=changes)
    return user


def _vat_number_confirmed(*, customer: Customer, number: str | None) -> ViesAnswer | None:
    """A new EU VAT number confirmed with VIES when that check is on (settings.TAX_VIES_ENABLED):
    the answer, or None when there is nothing to ask. A number VIES does not know, or a VIES
    that cannot answer, refuses the change: the reverse charge needs a registered number."""
    number = vat_number_normalize(number or "")
    if not number or number == customer.vat_number or not vies_applies(number):
        return None
    try:
        validate_vat_number(number)
    except ValidationError:
        return None  # full_clean says what is wrong with it; VIES is not asked
    try:
        answer = vies_check(number)
    except ViesUnavailable:
        raise DomainError(
            gettext(
                "The EU's VAT register (VIES) cannot confirm your VAT number just now. Try again "
                "in a few minutes, or save your profile without the VAT number for now."
            ),
            field="vat_number",
        ) from None
    if not answer.valid:
        raise DomainError(
            gettext(
                "The EU's VAT register (VIES) does not know this VAT number. Check it against "
                "your VAT registration."
            ),
            field="vat_number",
        )
    return answer


@transaction.atomic
def customer_currency_fix(*, customer: Customer, currency: str, actor: User) -> str:
    """The customer's currency for good: set at the first purchase, and the same currency
    afterwards (any other is refused: a customer's money is never mixed). Returns it."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.currency:
        if currency != locked.currency:
            raise DomainError(
                gettext("Your account pays in %(currency)s; it cannot change.")
                % {"currency": locked.currency},
                field="currency",
            )
        return locked.currency
    if currency not in SUPPORTED_CURRENCIES:
        raise DomainError(
            gettext("Choose a currency: %(currencies)s.")
            % {"currencies": ", ".join(SUPPORTED_CURRENCIES)},
            field="currency",
        )
    locked.currency = customer.currency = currency
    locked.save(update_fields=["currency", "updated_at"])
    events.customer_currency_fixed(actor=actor, customer=locked)
    return currency


@failure_reported(CONTACT_UPDATE_FAILED, target="customer")
@transaction.atomic
def contact_add(*, customer: Customer, actor: User, details: dict[str, Any]) -> Contact:
    details = _masked(details, FREE_TEXT_CONTACT_FIELDS)
    contact = Contact(customer=customer, **{k: details.get(k, "") for k in CONTACT_FIELDS})
    contact.full_clean()
    contact.save()
    events.contact_added(
        actor=actor,
        contact=contact,
        changes=audit_diff(before={}, after=model_snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


@failure_reported(CONTACT_UPDATE_FAILED, target="contact")
@transaction.atomic
def contact_update(*, contact: Contact, actor: User, details: dict[str, Any]) -> Contact:
    details = _masked(details, FREE_TEXT_CONTACT_FIELDS)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    before = model_snapshot(contact, CONTACT_FIELDS)
    for name in CONTACT_FIELDS:
        if name in details:
            setattr(contact, name, details[name])
    contact.full_clean()
    contact.save()
    changes = audit_diff(before=before, after=model_snapshot(contact, CONTACT_FIELDS))
    if changes:
        events.contact_updated(actor=actor, contact=contact, changes=changes)
    return contact


@failure_reported(CONTACT_UPDATE_FAILED, target="contact")
@transaction.atomic
def contact_remove(*, contact: Contact, actor: User) -> None:
    deleted, _ = Contact.objects.filter(pk=contact.pk).delete()
    if not deleted:
        raise NotFound(gettext("That contact no longer exists."))
    events.contact_removed(
        actor=actor,
        contact=contact,
        changes=audit_diff(before=model_snapshot(contact, CONTACT_FIELDS), after={}),
    )
