"""Dates are written one way on every page, email and PDF: config/formats, never ad hoc."""

import re
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone
from django.utils.formats import date_format

# Named formats (config/formats/en/formats.py) and ISO 8601 for machines ("c", in attributes).
ALLOWED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "c",
}
DATE_FILTER = re.compile(r"""\|\s*date\s*:\s*(?:"([^"]*)"|'([^']*)'|([^\s|}%]+))""")


def _templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = [*root.glob("onboarding/*/templates/**/*.html"), *root.glob("templates/**/*.html")]
    found += [*root.glob("onboarding/*/templates/**/*.txt"), *root.glob("templates/**/*.txt")]
    return found


def ad_hoc_formats(text: str) -> list[str]:
    return [
        next(group for group in match.groups() if group is not None)
        for match in DATE_FILTER.finditer(text)
        if next(group for group in match.groups() if group is not None) not in ALLOWED
    ]


def test_the_scan_sees_an_ad_hoc_format_and_lets_named_ones_pass():
    text = """{{ a|date:"Y-m-d" }} {{ b|date:'j M Y H:i' }} {{ c|date }} {{ d|date:"DATE_FORMAT" }}
    {{ e|date:"DATETIME_FORMAT"|default:"-" }} <time datetime="{{ f|date:'c' }}">"""
    assert ad_hoc_formats(text) == ["Y-m-d", "j M Y H:i"]


def test_templates_use_only_the_chosen_date_formats():
    templates = _templates()
    assert len(templates) > 50  # the glob found the project's templates
    offenders = {
        str(path.relative_to(settings.BASE_DIR)): formats
        for path in templates
        if (formats := ad_hoc_formats(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_a_month_reads_as_its_name_and_year():
    assert date_format(date(2026, 12, 3), "YEAR_MONTH_FORMAT") == "December 2026"


def test_dates_read_as_day_month_name_and_year():
    assert date_format(date(2026, 12, 3)) == "3 December 2026"
    moment = timezone.make_aware(datetime(2026, 12, 3, 14, 5, 9))  # in the business time zone
    rendered = Template(
        '{{ d|date }} | {{ m|date:"DATETIME_FORMAT" }} | {{ m|date:"SHORT_DATETIME_FORMAT" }}'
    ).render(Context({"d": date(2026, 12, 3), "m": moment}))
    assert rendered == "3 December 2026 | 3 December 2026, 14:05 | 3 December 2026, 14:05:09"
