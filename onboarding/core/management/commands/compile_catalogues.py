"""manage.py compile_catalogues: locale/*/LC_MESSAGES/django.po to .mo with Babel (no msgfmt)."""

from django.core.management.base import BaseCommand

from onboarding.core.catalogues import compile_catalogues


class Command(BaseCommand):
    help = "Compile the translation catalogues (locale/) to .mo files, with Babel."

    def handle(self, *args, **options) -> None:
        written = compile_catalogues()
        self.stdout.write(f"compile_catalogues: {len(written)} catalogue(s) compiled")
