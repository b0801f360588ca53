import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onboarding.accounts.models import User


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff user (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for development only.")
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        totp = Authenticator.Type.TOTP
        authenticator = Authenticator.objects.filter(user=user, type=totp).first()
        if authenticator is None:
            raise CommandError(f"{email} has no TOTP authenticator.")
        secret = decrypt(authenticator.data["secret"])
        counter = int(time.time()) // mfa_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))
