from django.core.management.base import BaseCommand

from onboarding.demo.services import DEMO_PASSWORD, demo_data_load


class Command(BaseCommand):
    help = "Load the demo people (one per role) and print their logins."

    def handle(self, *args, **options) -> None:
        logins = demo_data_load()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        width = max(len(login.email) for login in logins)
        for login in logins:
            line = f"  {login.role:<9} {login.email:<{width}}"
            if login.totp_secret:
                line += f"   TOTP secret {login.totp_secret}"
            if login.note:
                line += f"   ({login.note})"
            self.stdout.write(line.rstrip())
        self.stdout.write(
            "Staff sign in with a second factor: add the secret to an authenticator app, or print "
            "the current code with\n  .venv/bin/python manage.py demo_totp sysops@demo.test"
        )
        self.stdout.write("")
