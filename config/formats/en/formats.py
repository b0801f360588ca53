"""The one way dates are written on every page, email and document (FORMAT_MODULE_PATH).

Django takes a locale's formats before the DATE_FORMAT settings, so the formats live here.
Templates write `|date` for a date, `|date:"DATETIME_FORMAT"` for a moment, and
`|date:"SHORT_DATETIME_FORMAT"` where a log needs the second, `|date:"YEAR_MONTH_FORMAT"` for a
month; `|date:"c"` is for machines (datetime and title attributes).
tests/core/test_date_format.py keeps templates to these.
"""

DATE_FORMAT = "j F Y"  # 3 December 2026
DATETIME_FORMAT = "j F Y, H:i"  # 3 December 2026, 14:05
SHORT_DATE_FORMAT = DATE_FORMAT
YEAR_MONTH_FORMAT = "F Y"  # December 2026, for a month (reports)
SHORT_DATETIME_FORMAT = "j F Y, H:i:s"  # 3 December 2026, 14:05:09, for logs
