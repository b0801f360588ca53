from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

from onboarding.accounts.addresses import address_lines
from onboarding.accounts.validators import (
    postal_code_normalize,
    validate_postal_code,
    validate_vat_number,
    vat_number_normalize,
)
from onboarding.core.access import access_rule
from onboarding.core.money import SUPPORTED_CURRENCIES, locale_for
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.core.time_zones import main_time_zone, validate_time_zone


class PreferredInbox(models.TextChoices):
    """Where a person's notifications go; the values are notification channel names."""

    EMAIL = "email", gettext_lazy("Email")
    IN_APP = "in_app", gettext_lazy("In-app inbox")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("role", Role.CUSTOMER)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person who signs in: a customer or a member of staff (sysops, manager, admin)."""

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    preferred_inbox = models.CharField(
        max_length=16, choices=PreferredInbox.choices, default=PreferredInbox.EMAIL
    )
    # A member of staff's language: the console's pages and the mail sent to them. A customer's
    # language is their profile's (Customer.language), which the customer pages and mail use.
    staff_language = models.CharField(
        max_length=8,
        choices=settings.STAFF_LANGUAGES,
        default="en",
        help_text="Staff only: the language of the staff console and of the mail sent to them.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    def save(self, *args, **kwargs) -> None:
        # Only admins reach the Django admin and hold Django permissions; the flags follow the
        # role so they never disagree (a demoted admin keeps no superuser power).
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)


class TestClockStatus(models.TextChoices):
    __test__ = False  # not a pytest class, whatever its name

    READY = "ready", "Ready"
    ADVANCING = "advancing", "Advancing"
    FAILED = "failed", "Failed"


class TestClock(models.Model):
    """A simulated clock that test customers are bound to (docs/test-clocks.md).

    Only moves forward: `frozen_time` is the moment its customers live at. Their billing,
    contracts and acceptance run at this time when the clock is advanced, never in real time.
    """

    __test__ = False  # not a pytest class, whatever its name

    name = models.CharField(max_length=100)
    frozen_time = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=TestClockStatus.choices, default=TestClockStatus.READY
    )
    # Where an advance is going and how far it got: the page and the API show progress.
    target_time = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.frozen_time:%Y-%m-%d %H:%M} UTC)"


@access_rule(owner="user", staff=STAFF_ROLES)
class Customer(models.Model):
    """The customer record: the account holder's company, billing address and contacts."""

    # The customer's id is its user's id, so every table and the audit log name one number.
    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="customer", primary_key=True
    )
    company = models.CharField(max_length=200, blank=True)
    phone = PhoneNumberField(blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField("state or region", max_length=100, blank=True)
    country = CountryField(blank=True)
    vat_number = models.CharField(
        "VAT number",
        max_length=20,
        blank=True,
        validators=[validate_vat_number],
        help_text="With the country prefix, e.g. DE123456789. Printed on your invoices.",
    )
    # Chosen at the first purchase and fixed from then on: every subscription, invoice and
    # refund of the customer is in it, so their money never needs converting or mixing.
    currency = models.CharField(
        max_length=3,
        blank=True,
        choices=[(code, code) for code in SUPPORTED_CURRENCIES],
        help_text="Chosen at the first purchase; blank until then, fixed after.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Your service hours are counted in it. Blank: your country's main zone.",
    )
    # What every page, email, notice and document for the customer is written in (docs/i18n.md):
    # the browser's language at sign-up, then theirs to change in the profile.
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="Pages, emails and notices are written in it.",
    )
    gateway_customer_id = models.CharField(max_length=64, blank=True)
    # A test customer lives at its clock's time, and only there (onboarding/core/clock.py).
    # PROTECT: a clock with customers cannot be deleted, so their records never lose the mark
    # that keeps them out of real runs.
    test_clock = models.ForeignKey(
        TestClock, on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    PROFILE_FIELDS = (
        "company",
        "vat_number",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "region",
        "country",
        "time_zone",
        "language",
    )
    # What an invoice needs before a purchase can be confirmed.
    REQUIRED_FOR_PURCHASE = ("address_line1", "city", "postal_code", "country")

    class Meta:
        indexes = [models.Index(fields=["company"], name="customer_company_idx")]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        self.vat_number = vat_number_normalize(self.vat_number)
        # The postal code's format depends on the country: checked here, where both are known,
        # for the profile page and the API alike (both save through full_clean()).
        self.postal_code = postal_code_normalize(self.postal_code)
        try:
            validate_postal_code(self.postal_code, self.country)
        except ValidationError as refused:
            raise ValidationError({"postal_code": refused.messages}) from None

    @property
    def reference(self) -> str:
        return f"CUS-{self.pk:06d}"

    @property
    def display_name(self) -> str:
        return self.company or self.user.get_full_name() or self.user.email

    @property
    def money_locale(self) -> str:
        """How money is written for this customer ("en_IE"): core.money.locale_for."""
        return locale_for(country=self.country.code or "")

    @property
    def effective_time_zone(self) -> str | None:
        """The zone the customer lives in: theirs if set, else their country's main one."""
        return self.time_zone or main_time_zone(self.country.code or "")

    @property
    def missing_for_purchase(self) -> list[str]:
        return [name for name in self.REQUIRED_FOR_PURCHASE if not getattr(self, name)]

    @property
    def billing_address_lines(self) -> list[str]:
        return address_lines(
            line1=self.address_line1,
            line2=self.address_line2,
            city=self.city,
            postal_code=self.postal_code,
            region=self.region,
            country=self.country.code or "",
            country_name=lambda _code: self.country.name,
        )


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class Contact(models.Model):
    """A person at the customer's side: who to call for billing, technical matters, escalation."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, help_text="e.g. Billing, Technical, Escalation")
    email = models.EmailField()
    phone = PhoneNumberField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"
