"""manage.py check_catalogues: fails when a catalogue is incomplete, fuzzy or out of date.

Run by `make lint`. Pure Python (Babel and Django's templatize), so it needs no GNU gettext.
"""

from django.core.management.base import BaseCommand, CommandError

from onboarding.core.catalogues import catalogue_problems, extracted_messages, translated_languages


class Command(BaseCommand):
    help = "Check every marked string is translated (not fuzzy) in each catalogue, and no more."

    def handle(self, *args, **options) -> None:
        expected = extracted_messages()
        problems = []
        for language in translated_languages():
            problems += catalogue_problems(language, expected)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"check_catalogues: {len(problems)} problem(s) in locale/")
        self.stdout.write(
            f"check_catalogues: {len(expected)} strings, translated in "
            f"{', '.join(translated_languages())}"
        )
