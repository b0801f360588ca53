"""The customer portal's account pages: overview, profile and contacts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onboarding.accounts.forms import ContactForm, ProfileForm
from onboarding.accounts.language import session_language_remember
from onboarding.accounts.selectors import contacts_of, customer_of_user
from onboarding.accounts.services import (
    contact_add,
    contact_remove,
    contact_update,
    customer_profile_update,
)
from onboarding.billing.selectors import invoices_action_required, subscriptions_of
from onboarding.contracts.selectors import contracts_at_a_glance
from onboarding.core.access import get_visible_or_404
from onboarding.core.forms import refusals_on
from onboarding.core.redirects import requested_next_url
from onboarding.journey.selectors import journey_of
from onboarding.journey.steps import Progress, after_journey, journey_rows
from onboarding.portal.selectors import AccountFacts, account_facts_of


def _ref(pk: int, number: str | None) -> tuple[int, str]:
    return (pk, number or "being prepared")


def _ref_of(row) -> tuple[int, str] | None:
    return _ref(row.pk, row.number) if row is not None else None


# While the next step waits on us (the first invoice, its charge, the contract), the journey asks
# again every POLL_SECONDS, at most POLL_LIMIT times (about two minutes), then says it stopped.
POLL_SECONDS = 3
POLL_LIMIT = 40


def _poll_count(request: HttpRequest) -> int:
    """How many times the page asked by itself so far (its `poll` parameter; 0 for a person)."""
    try:
        return max(0, int(request.GET.get("poll", "0")))
    except ValueError:
        return 0


def _journey(request: HttpRequest, facts: AccountFacts, card) -> dict:
    """The journey block's context: its rows, what follows them, and whether it asks again."""
    contracts = contracts_at_a_glance(user=request.user)
    progress = Progress(
        email_verified=facts.email_verified,
        has_card=card is not None,
        invoice_to_pay=_ref(*facts.invoice_to_pay) if facts.invoice_to_pay else None,
        contract=_ref_of(contracts.newest),
        contract_to_acknowledge=_ref_of(contracts.to_acknowledge),
    )
    rows = journey_rows(journey=journey_of(customer=facts.customer), progress=progress)
    waiting = any(row.is_next and row.action and row.action.waiting_note for row in rows)
    polls = _poll_count(request)
    return {
        "journey": rows,
        "after_journey": after_journey(rows=rows, progress=progress),
        "poll_next": polls + 1 if waiting and polls < POLL_LIMIT else None,
        "poll_stopped": waiting and polls >= POLL_LIMIT,
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    facts = account_facts_of(user=request.user)
    customer, card = facts.customer, facts.card
    if request.htmx and "poll" in request.GET:  # the journey asking again: that block alone
        return render(request, "portal/_journey.html", _journey(request, facts, card))
    return render(
        request,
        "portal/account_home.html",
        {
            "customer": customer,
            # The company, else the person: an email address is not a page title.
            "title": customer.company or request.user.get_full_name() or _("Your account"),
            **_journey(request, facts, card),
            "card": card,
            "action_required": invoices_action_required(customer=customer),
            "subscriptions": subscriptions_of(customer=customer),
            "contact_count": facts.contact_count,
            "unread_count": facts.unread_count,
        },
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    initial = {"preferred_inbox": request.user.preferred_inbox}
    form = ProfileForm(request.POST or None, instance=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form) as outcome:
            customer_profile_update(
                customer=customer,
                actor=request.user,
                profile=form.profile_data(),
                preferred_inbox=form.cleaned_data["preferred_inbox"],
            )
        if outcome.ok:
            session_language_remember(request, form.cleaned_data["language"])
            translation.activate(form.cleaned_data["language"])  # the message in the new one
            messages.success(request, _("Your profile is saved."))
            return redirect(requested_next_url(request) or "accounts:home")
    return render(
        request,
        "portal/profile_form.html",
        {"form": form, "customer": customer, "next": requested_next_url(request)},
    )


def _contacts_page(request: HttpRequest, customer, form: ContactForm, status: int = 200):
    template = "portal/_contacts.html" if request.htmx else "portal/contacts.html"
    return render(
        request,
        template,
        {"customer": customer, "contacts": contacts_of(customer=customer), "form": form},
        status=status,
    )


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form) as outcome:
            contact_add(customer=customer, actor=request.user, details=form.cleaned_data)
        if outcome.ok:
            messages.success(request, gettext("Contact added."))
            if not request.htmx:  # a page posted without JavaScript: a reload must not add again
                return redirect("accounts:contacts")
            form = ContactForm()
    status = 422 if form.errors else 200
    return _contacts_page(request, customer, form, status)


@login_required
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    contact = get_visible_or_404(request.user, customer.contacts.all(), pk=contact_id)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form) as outcome:
            contact_update(contact=contact, actor=request.user, details=form.cleaned_data)
        if outcome.ok:
            messages.success(request, gettext("Contact saved."))
            return redirect("accounts:contacts")
    return render(request, "portal/contact_form.html", {"form": form, "contact": contact})


@require_POST
@login_required
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    contact = get_visible_or_404(request.user, customer.contacts.all(), pk=contact_id)
    with refusals_on(request=request) as outcome:
        contact_remove(contact=contact, actor=request.user)
    if outcome.ok:
        messages.success(request, gettext("{name} removed.").format(name=contact.name))
    if not request.htmx:
        return redirect("accounts:contacts")
    return _contacts_page(request, customer, ContactForm())
