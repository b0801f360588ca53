from allauth.account import app_settings as allauth_settings
from allauth.account.internal.stagekit import unstash_login
from allauth.account.models import EmailAddress, EmailConfirmation
from django.core import signing
from django.http import Http404, HttpRequest
from django.utils.translation import gettext

from onboarding.accounts.models import Contact, Customer, User
from onboarding.core.access import visible_to
from onboarding.core.roles import STAFF_ROLES, Role


def customer_of_user(*, user: User) -> Customer:
    """The signed-in customer's own record; anyone else (staff included) gets a 404 here."""
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        raise Http404(gettext("This page is for customers."))
    customer = visible_to(user, Customer.objects.all()).filter(user=user).first()
    if customer is None:
        raise Http404(gettext("No customer record for this account."))
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


def email_confirmation_key_confirmed(*, key: str) -> bool:
    """Whether an email confirmation link's key, one allauth no longer takes, is for an address
    that is confirmed already (the link opened a second time), rather than expired or forged."""
    try:
        # allauth's HMAC keys sign the address's id, whatever became of the address since.
        pk = signing.loads(
            key,
            max_age=60 * 60 * 24 * allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
            salt=allauth_settings.SALT,
        )
    except signing.BadSignature:  # SignatureExpired is one too
        return EmailConfirmation.objects.filter(
            key=key.lower(), email_address__verified=True
        ).exists()
    return isinstance(pk, int) and EmailAddress.objects.filter(pk=pk, verified=True).exists()


def pending_signup_confirmed(*, request: HttpRequest) -> bool:
    """Whether the address this browser's sign-up waits to have confirmed ("Check your email")
    has been confirmed since, in another tab or on another device."""
    if request.user.is_authenticated:
        # Confirmed in another tab of this browser: that signed this session in.
        return EmailAddress.objects.filter(user=request.user, verified=True).exists()
    login = unstash_login(request, peek=True)
    if login is None or login.user is None:
        return False
    addresses = EmailAddress.objects.filter(user=login.user, verified=True)
    if login.email:
        addresses = addresses.filter(email__iexact=login.email)
    return addresses.exists()
