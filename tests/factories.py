import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from onboarding.accounts.models import Customer, User
from onboarding.accounts.services import customer_create
from onboarding.accounts.validators import POSTAL_CODE_FORMATS
from onboarding.catalog.models import BillingCycle, Plan, PlanPrice, Product
from onboarding.core.roles import Role

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = Role.CUSTOMER
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def customer_record(self, create, extracted, **kwargs):
        # Every customer account has its customer record, as sign-up makes it.
        if create and self.role == Role.CUSTOMER and extracted is not False:
            customer_create(user=self)


def add_totp(user: User) -> str:
    """Give `user` a TOTP authenticator; returns the secret so a test can compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def staff_user(role: str = Role.SYSOPS, **kwargs) -> User:
    user = UserFactory(role=role, **kwargs)
    add_totp(user)
    return user


def complete_profile(customer: Customer, **overrides) -> Customer:
    fields = {
        "company": "Acme Ltd",
        "address_line1": "1 High Street",
        "city": "Bristol",
        "postal_code": "BS1 4DJ",
        "country": "GB",
        **overrides,
    }
    if "country" in overrides and "postal_code" not in overrides:
        # A postal code of the country's own format (the profile checks it against the country).
        known = POSTAL_CODE_FORMATS.get(fields["country"])
        fields["postal_code"] = known[2] if known else "12345"
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()
    return customer


def plan_with_prices(
    slug: str = "business-care",
    *,
    monthly: int | None = 9900,
    quarterly: int | None = 27900,
    annual: int | None = 99000,
    currency: str = "EUR",
    also_in: dict[str, tuple[int | None, int | None, int | None]] | None = None,
) -> Plan:
    """A plan priced monthly/quarterly/annual in `currency`, and in each currency of `also_in`
    at its (monthly, quarterly, annual) amounts (None: not sold with that cycle)."""
    product, _ = Product.objects.get_or_create(
        slug="helpdesk-suite",
        defaults={"name": "Helpdesk Suite", "released_on": "2020-01-15"},
    )
    plan = Plan.objects.create(
        product=product,
        name=slug.replace("-", " ").title(),
        slug=slug,
        tier="business",
        summary="Business-hours support",
        includes="Email and phone support\nRemote troubleshooting",
        response_time_hours=8,
    )
    cycles = (BillingCycle.MONTHLY, BillingCycle.QUARTERLY, BillingCycle.ANNUAL)
    for code, amounts in {currency: (monthly, quarterly, annual), **(also_in or {})}.items():
        for cycle, amount in zip(cycles, amounts, strict=True):
            if amount is not None:
                PlanPrice.objects.create(plan=plan, cycle=cycle, currency=code, amount_minor=amount)
    return plan


__all__ = [
    "DEFAULT_PASSWORD",
    "Authenticator",
    "UserFactory",
    "add_totp",
    "complete_profile",
    "plan_with_prices",
    "staff_user",
]
