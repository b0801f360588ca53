"""Reads for the customer's account page: the small facts it shows, in as few queries as the
tables allow."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db.models import Count, Exists, FilteredRelation, IntegerField, OuterRef, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext

from onboarding.accounts.models import Contact, Customer, User
from onboarding.billing.models import Invoice
from onboarding.core.access import visible_to
from onboarding.core.roles import Role
from onboarding.notifications.models import InboxMessage
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus


@dataclass(frozen=True)
class AccountFacts:
    """The signed-in customer's record and the counts and flags the account page shows with it."""

    customer: Customer
    card: PaymentMethod | None  # the active card (at most one: one_active_card_per_customer)
    contact_count: int
    email_verified: bool  # the user has an address they proved they read
    invoice_to_pay: tuple[int, str | None] | None  # the oldest still to pay: id and number
    unread_count: int  # the user's inbox messages not read yet


def account_facts_of(*, user: User) -> AccountFacts:
    """The customer record of `user` with its active card, its contact count, whether the user
    has a verified address, the oldest invoice still to pay and the unread inbox count, in one
    query (they were six).

    The same answers as accounts.selectors.customer_of_user (a 404 for anyone but the record's
    customer), payments.selectors.payment_method_active, contact_count_of,
    notifications.selectors.acknowledged_email_of, billing.selectors.invoice_to_pay_of and
    notifications.selectors.inbox_unread_count; tests/portal/test_account_facts.py holds them
    equal."""
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        raise Http404(gettext("This page is for customers."))
    to_pay = Invoice.objects.finalized().payable().filter(customer=OuterRef("pk")).order_by("id")
    contacts = (
        Contact.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(count=Count("pk"))
        .values("count")
    )
    unread = (
        InboxMessage.objects.filter(recipient=OuterRef("user"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    customer = (
        visible_to(user, Customer.objects.all())
        .filter(user=user)
        .annotate(
            # A join, not a query: the database holds a customer to one active card.
            active_card=FilteredRelation(
                "payment_methods",
                condition=Q(payment_methods__status=PaymentMethodStatus.ACTIVE),
            ),
            contact_count=Subquery(contacts, output_field=IntegerField()),
            email_verified=Exists(
                EmailAddress.objects.filter(user=OuterRef("user"), verified=True).exclude(email="")
            ),
            invoice_to_pay_id=Subquery(to_pay.values("id")[:1]),
            invoice_to_pay_number=Subquery(to_pay.values("number")[:1]),
            unread_count=Subquery(unread, output_field=IntegerField()),
        )
        .select_related("active_card")
        .first()
    )
    if customer is None:
        raise Http404(gettext("No customer record for this account."))
    # The signed-in user is the record's user, already loaded for this request: no join.
    Customer.user.field.set_cached_value(customer, user)
    invoice_id = customer.invoice_to_pay_id
    return AccountFacts(
        customer=customer,
        # Django sets a joined reverse relation only when the join found a row.
        card=getattr(customer, "active_card", None),
        contact_count=customer.contact_count or 0,
        email_verified=customer.email_verified,
        invoice_to_pay=(
            (invoice_id, customer.invoice_to_pay_number) if invoice_id is not None else None
        ),
        unread_count=customer.unread_count or 0,
    )
