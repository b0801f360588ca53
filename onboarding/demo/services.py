"""Demo data for `make run`: one login per role, so a person can try every side of the product.

Idempotent: running it again finds the same people and changes nothing. Refused in production.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.db import transaction

from onboarding.accounts.models import User
from onboarding.accounts.roles import STAFF_ROLES, PreferredInbox, Role
from onboarding.core.errors import DomainError

DEMO_PASSWORD = "onboarding-demo-2026"  # noqa: S105 (printed for people trying the demo)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    totp_secret: str | None


DEMO_PEOPLE = [
    ("admin@demo.test", Role.ADMIN, "Ada", "Admin", PreferredInbox.EMAIL),
    ("sysops@demo.test", Role.SYSOPS, "Sam", "Sysops", PreferredInbox.IN_APP),
    ("manager@demo.test", Role.MANAGER, "Maya", "Manager", PreferredInbox.EMAIL),
    ("customer@demo.test", Role.CUSTOMER, "Carla", "Customer", PreferredInbox.EMAIL),
    ("inapp.customer@demo.test", Role.CUSTOMER, "Ivan", "Inbox", PreferredInbox.IN_APP),
]


def _totp_secret_of(user: User) -> str | None:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return decrypt(authenticator.data["secret"]) if authenticator else None


@transaction.atomic
def demo_data_load() -> list[DemoLogin]:
    if settings.PRODUCTION:
        raise DomainError("Demo data is never loaded in production.")
    logins = []
    for email, role, first, last, inbox in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "preferred_inbox": inbox,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        secret = None
        if role in STAFF_ROLES:
            secret = _totp_secret_of(user)
            if secret is None:
                secret = generate_totp_secret()
                TOTP.activate(user, secret)
        logins.append(DemoLogin(email=email, role=role, totp_secret=secret))
    return logins
