"""Reads: the SLA breach report, per plan and month (docs/sla.md, "The breach report").

A request's clocks are judged in the month they stopped (met or missed) or were breached, in
UTC calendar months. The plan is the one in force for the clock then: breached in the month,
the plan it was breached under (`breached_plan`, stamped with the breach); otherwise the plan
whose terms it was judged on (`plan`, set with its terms). A clock older than the records of
either (none is left after migration sysops.0005, but a request whose subscription could not be
read keeps none) counts under its request's subscription's current plan. Test clocks' customers
are left out. One aggregate query over the clocks, grouped by plan and kind.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import BigIntegerField, Case, Count, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce

from onboarding.catalog.models import Plan
from onboarding.sla.models import ClockKind, ClockOutcome, SlaClock
from onboarding.sysops.models import ServiceRequest

# The months the picker accepts: wide enough for any real report, and far from the ends of
# the calendar, where "the month after" would overflow.
FIRST_MONTH = dt.date(2000, 1, 1)
LAST_MONTH = dt.date(2099, 12, 1)


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_before(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@dataclass(frozen=True)
class BreachRow:
    plan_id: int
    plan: str  # "Product · Plan"
    kind: str
    clocks: int  # stopped (met or missed) or breached in the month
    met: int  # stopped in the month on time
    missed: int  # stopped in the month late
    breached: int  # found running past the deadline in the month (stopped since or not)
    failed: int  # missed or breached in the month (a clock breached and missed counts once)

    @property
    def kind_label(self) -> str:
        return ClockKind(self.kind).label

    @property
    def breach_rate_pct(self) -> str:
        """The share of the month's clocks missed or breached, to one decimal ("25.0")."""
        tenths = (self.failed * 1000 + self.clocks // 2) // self.clocks
        return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class ChartBar:
    row: BreachRow
    width: float  # of CHART_BAR


@dataclass(frozen=True)
class BreachReport:
    month: dt.date
    rows: list[BreachRow]

    @property
    def previous(self) -> dt.date | None:
        return month_before(self.month) if self.month > FIRST_MONTH else None

    @property
    def next(self) -> dt.date | None:
        return month_after(self.month) if self.month < LAST_MONTH else None

    @property
    def month_param(self) -> str:
        """The month as the report's URLs take it (YYYY-MM)."""
        return f"{self.month:%Y-%m}"

    @property
    def previous_param(self) -> str:
        return f"{self.previous:%Y-%m}" if self.previous else ""

    @property
    def next_param(self) -> str:
        return f"{self.next:%Y-%m}" if self.next else ""

    @property
    def chart(self) -> list[ChartBar]:
        """One bar per row, its length the breach rate. The template writes each row's label
        as text that wraps on a narrow screen, and draws the bar under it as a small SVG."""
        return [
            ChartBar(row=row, width=round(CHART_BAR * row.failed / row.clocks, 1))
            for row in self.rows
        ]

    @property
    def chart_width(self) -> int:
        return CHART_WIDTH

    @property
    def chart_bar(self) -> int:
        return CHART_BAR

    @property
    def chart_row(self) -> int:
        return CHART_ROW


# A bar's own units (its viewBox): it scales to the page, so these are proportions. A bar of
# CHART_BAR is 100%; its rate is written to the right of it.
CHART_WIDTH = 360
CHART_BAR = 300
CHART_ROW = 14  # one bar's drawing: a 12-unit bar and its rate


def sla_breach_report(*, month: dt.date) -> BreachReport:
    """Each plan's request clocks judged in `month` (its first day), by kind."""
    start, end = _utc(month), _utc(month_after(month))
    stopped = Q(
        stopped_at__gte=start,
        stopped_at__lt=end,
        outcome__in=[ClockOutcome.MET, ClockOutcome.MISSED],
    )
    breached = Q(breached_at__gte=start, breached_at__lt=end)
    missed = stopped & Q(outcome=ClockOutcome.MISSED)
    subject = ServiceRequest.objects.filter(pk=OuterRef("subject_id"))
    current_plan = Subquery(subject.values("subscription__plan_id")[:1])
    report_plan = Plan.objects.filter(pk=OuterRef("report_plan"))
    rows = (
        SlaClock.objects.filter(
            stopped | breached,
            subject_type=ServiceRequest._meta.label_lower,
            customer__test_clock__isnull=True,
        )
        .annotate(
            report_plan=Coalesce(
                Case(When(breached, then=F("breached_plan_id")), default=F("plan_id")),
                F("plan_id"),
                current_plan,
                output_field=BigIntegerField(),
            )
        )
        .annotate(
            plan_name=Subquery(report_plan.values("name")[:1]),
            product_name=Subquery(report_plan.values("product__name")[:1]),
        )
        .values("report_plan", "plan_name", "product_name", "kind")
        .annotate(
            clocks=Count("pk"),
            met=Count("pk", filter=stopped & Q(outcome=ClockOutcome.MET)),
            missed=Count("pk", filter=missed),
            breached=Count("pk", filter=breached),
            failed=Count("pk", filter=missed | breached),
        )
        .order_by("product_name", "plan_name", "report_plan", "kind")
    )
    return BreachReport(
        month=month,
        rows=[
            BreachRow(
                plan_id=row["report_plan"],
                plan=f"{row['product_name']} · {row['plan_name']}",
                kind=row["kind"],
                clocks=row["clocks"],
                met=row["met"],
                missed=row["missed"],
                breached=row["breached"],
                failed=row["failed"],
            )
            for row in rows
        ],
    )


CSV_HEADER = ("month", "plan_id", "plan", "kind", "clocks", "met", "missed", "breached", "failed")
CSV_HEADER += ("breach_rate_pct",)


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula is kept as text (a leading apostrophe)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def breach_report_csv(report: BreachReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        writer.writerow(
            (
                f"{report.month:%Y-%m}",
                row.plan_id,
                _cell(row.plan),
                row.kind,
                row.clocks,
                row.met,
                row.missed,
                row.breached,
                row.failed,
                row.breach_rate_pct,
            )
        )
    return out.getvalue()
