from django.http import Http404

from onboarding.accounts.models import Contact, Customer, User
from onboarding.core.access import visible_to
from onboarding.core.roles import Role


def customer_of_user(*, user: User) -> Customer:
    """The signed-in customer's own record; anyone else (staff included) gets a 404 here."""
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        raise Http404("This page is for customers.")
    customer = visible_to(user, Customer.objects.select_related("user")).filter(user=user).first()
    if customer is None:
        raise Http404("No customer record for this account.")
    return customer


def contacts_of(*, customer: Customer) -> list[Contact]:
    return list(customer.contacts.all())
