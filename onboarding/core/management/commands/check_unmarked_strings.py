"""manage.py check_unmarked_strings: fails on visible template text not marked for translation.

Run by `make lint`. Reads the templates listed in onboarding/core/unmarked.py
(TRANSLATED_TEMPLATES) and the customer-facing Python modules listed in
onboarding/core/unmarked_python.py, and names each unmarked string by file and line.
"""

from django.core.management.base import BaseCommand, CommandError

from onboarding.core.unmarked import template_files, unmarked_strings
from onboarding.core.unmarked_python import TRANSLATED_MODULES, unmarked_python_strings


class Command(BaseCommand):
    help = "Check translated templates and modules have no visible text left unmarked."

    def handle(self, *args, **options) -> None:
        problems = unmarked_strings() + unmarked_python_strings()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"check_unmarked_strings: {len(problems)} unmarked string(s)")
        self.stdout.write(
            f"check_unmarked_strings: {len(template_files())} templates and "
            f"{len(TRANSLATED_MODULES)} Python modules, every visible string marked"
        )
