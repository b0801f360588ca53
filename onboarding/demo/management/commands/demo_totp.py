import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onboarding.accounts.models import User

# The least time a printed code has left to be typed in.
FRESH_SECONDS = 10


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
        period = mfa_settings.TOTP_PERIOD
        left = period - time.time() % period
        if left < FRESH_SECONDS:
            # A code about to expire would be refused by the time it is typed in: wait for the
            # next one (the sign-in accepts only the current step's code).
            self.stderr.write(f"waiting {left:.0f}s for a fresh code")
            time.sleep(left)
            left = period
        counter = int(time.time()) // period
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))
        self.stderr.write(f"valid for {left:.0f} more seconds")
