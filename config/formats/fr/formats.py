"""French dates, the named formats of config/formats/en/formats.py ("3 décembre 2026")."""

DATE_FORMAT = "j F Y"  # 3 décembre 2026
DATETIME_FORMAT = "j F Y, H:i"  # 3 décembre 2026, 14:05
SHORT_DATE_FORMAT = DATE_FORMAT
YEAR_MONTH_FORMAT = "F Y"  # décembre 2026
SHORT_DATETIME_FORMAT = "j F Y, H:i:s"  # 3 décembre 2026, 14:05:09
