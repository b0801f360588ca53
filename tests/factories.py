import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from onboarding.accounts.models import User
from onboarding.accounts.roles import Role

DEFAULT_PASSWORD = "correct horse battery staple"  # noqa: S105 (a test fixture)


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


def add_totp(user: User) -> str:
    """Give `user` a TOTP authenticator; returns the secret so a test can compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def staff_user(role: str = Role.SYSOPS, **kwargs) -> User:
    user = UserFactory(role=role, **kwargs)
    add_totp(user)
    return user


__all__ = ["DEFAULT_PASSWORD", "Authenticator", "UserFactory", "add_totp", "staff_user"]
