"""manage.py check_unmarked_strings: fails on visible template text not marked for translation.

Run by `make lint`. Reads every template (onboarding/core/unmarked.py, TRANSLATED_TEMPLATES) and
every Python module but the few onboarding/core/unmarked_python.py names, and names each unmarked
string by file and line.
"""

from django.core.management.base import BaseCommand, CommandError

from onboarding.core.unmarked import template_files, unmarked_strings
from onboarding.core.unmarked_python import translated_modules, unmarked_python_strings


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
            f"{len(translated_modules())} Python modules, every visible string marked"
        )
