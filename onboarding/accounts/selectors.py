from django.http import Http404

from onboarding.accounts.models import Contact, Customer, User
from onboarding.core.access import visible_to
from onboarding.core.roles import STAFF_ROLES, Role


def customer_of_user(*, user: User) -> Customer:
    """The signed-in customer's own record; anyone else (staff included) gets a 404 here."""
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        raise Http404("This page is for customers.")
    customer = visible_to(user, Customer.objects.all()).filter(user=user).first()
    if customer is None:
        raise Http404("No customer record for this account.")
    # The signed-in user is the record's user, already loaded for this request: no join.
    Customer.user.field.set_cached_value(customer, user)
    return customer


def contacts_of(*, customer: Customer) -> list[Contact]:
    return list(customer.contacts.all())


def contact_count_of(*, customer: Customer) -> int:
    return customer.contacts.count()


def staff_assignees() -> list[User]:
    """The active staff users a request, requirement or remediation can be assigned to."""
    return list(
        User.objects.filter(role__in=STAFF_ROLES, is_active=True)
        .order_by("email")
        .only("id", "email", "first_name", "last_name", "role")
    )


def greeting_name_of(*, user: User) -> str:
    """Whom an email to `user` greets: their own name; else the name of the customer's contact
    who has their address; else the company; else nobody ("Hello,"): an email address is not a
    name."""
    name = user.get_full_name().strip()
    if name:
        return name
    try:
        customer = user.customer
    except Customer.DoesNotExist:
        return ""
    contact = (
        Contact.objects.filter(customer=customer, email__iexact=user.email)
        .order_by("id")
        .values_list("name", flat=True)
        .first()
    )
    return (contact or customer.company or "").strip()
