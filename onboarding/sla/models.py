"""Service-level terms: calendars of service hours, public holidays, and each plan's response and
resolution times per request severity. The clock arithmetic is in service_time.py."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from onboarding.catalog.models import Plan
from onboarding.core.time_zones import validate_time_zone  # migration 0001 names it here


class Severity(models.TextChoices):
    """A request's severity. The values are sysops' Severity's (sysops sits above this app and
    cannot be imported here; a test keeps the two equal)."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ServiceHours(models.Model):
    """A named calendar of the hours a service clock runs in: opening windows per weekday in one
    time zone, or round the clock. Holidays of `holiday_country` close it for the day."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA time zone the windows are read in, for example Europe/Berlin.",
    )
    always_open = models.BooleanField(
        default=False, help_text="24/7: every hour of every day counts; the windows are ignored."
    )
    holiday_country = CountryField(
        blank=True,
        help_text="Public holidays of this country close the calendar for the whole day. "
        "Leave empty to count holidays like any other day.",
    )
    follows_customer = models.BooleanField(
        default=False,
        help_text="Count the windows in the customer's time zone and close on the public "
        "holidays of the customer's country (a customer without a zone keeps this calendar's "
        "zone; one without a country, its holiday country).",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service hours"

    def __str__(self) -> str:
        return self.name


def _end_of(window_closes: dt.time) -> dt.time | None:
    """00:00 as a closing time means midnight at the end of the day."""
    return None if window_closes == dt.time(0) else window_closes


def windows_overlap(a: tuple[dt.time, dt.time], b: tuple[dt.time, dt.time]) -> bool:
    """Whether two windows (opens, closes; closes 00:00 = midnight) on one day share a moment."""
    end = dt.time.max
    a_closes, b_closes = _end_of(a[1]) or end, _end_of(b[1]) or end
    return a[0] < b_closes and b[0] < a_closes


class ServiceWindow(models.Model):
    """One opening window on one weekday, in the calendar's wall-clock time. A closing time of
    00:00 is midnight at the end of the day; a window over midnight is two windows."""

    service_hours = models.ForeignKey(
        ServiceHours, on_delete=models.CASCADE, related_name="windows"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["service_hours", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is None or self.closes is None:
            return
        closes = _end_of(self.closes)
        if closes is not None and closes <= self.opens:
            raise ValidationError(
                {"closes": "The window must close after it opens (00:00 closes at midnight)."}
            )
        if self.service_hours_id is None or self.weekday is None:
            return
        siblings = ServiceWindow.objects.filter(
            service_hours_id=self.service_hours_id, weekday=self.weekday
        ).exclude(pk=self.pk)
        for other in siblings:
            if windows_overlap((self.opens, self.closes), (other.opens, other.closes)):
                raise ValidationError({"opens": f"This window overlaps {other}."})


class PublicHoliday(models.Model):
    """A day a country's service-hours calendars stay closed."""

    country = CountryField()
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["country", "date"]
        constraints = [
            models.UniqueConstraint(fields=["country", "date"], name="sla_holiday_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name} ({self.country})"


class SlaPolicy(models.Model):
    """A plan's promise for requests of one severity: the service time to a first response and
    to resolution, counted in `service_hours`."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sla_policies")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    first_response = models.DurationField(help_text="Service time to the first response.")
    resolution = models.DurationField(help_text="Service time to resolution.")
    service_hours = models.ForeignKey(
        ServiceHours, on_delete=models.PROTECT, related_name="policies"
    )
    # What a breach earns: this share of one billing period's net price of the subscription,
    # per breached clock (first response or resolution), proposed as a service credit for a
    # manager to approve. 0: no credit. Null: not set yet (no credit; the seed fills it in).
    breach_credit_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Service credit per breached clock, in percent of one billing period's net "
        "price (0: none). Capped per invoice by the plan's service credit cap.",
    )

    class Meta:
        ordering = ["plan", "severity"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["plan", "severity"], name="sla_policy_per_severity")
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_severity_display()}"

    def clean(self) -> None:
        errors = {}
        if self.first_response is not None and self.first_response <= dt.timedelta(0):
            errors["first_response"] = "The first response time must be longer than zero."
        if self.resolution is not None and self.resolution <= dt.timedelta(0):
            errors["resolution"] = "The resolution time must be longer than zero."
        if (
            not errors
            and self.first_response is not None
            and self.resolution is not None
            and self.resolution < self.first_response
        ):
            errors["resolution"] = "Resolution cannot be due before the first response."
        if errors:
            raise ValidationError(errors)


class ServiceCreditCap(models.Model):
    """A plan's cap on service credits: the credits proposed or approved against one invoice
    never add up to more than this share of its total. One per plan, whatever the severity: the
    cap bounds what one period of the plan can earn back, however many clocks are breached."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="service_credit_cap")
    percent_of_invoice = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(100)],
        help_text="At most this share of one invoice's total is credited for SLA breaches "
        "(proposed and approved credits together; 0: no credit at all).",
    )

    class Meta:
        ordering = ["plan"]
        verbose_name = "service credit cap"

    def __str__(self) -> str:
        return f"{self.plan}: at most {self.percent_of_invoice}% of an invoice"


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class ClockOutcome(models.TextChoices):
    PENDING = "pending", _("Running")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    NO_TERMS = "no_terms", _("No SLA")


# The share of a clock's duration after which its assignee is warned.
WARN_SHARE_PERCENT = 80


class SlaClockQuerySet(models.QuerySet):
    def running(self) -> "SlaClockQuerySet":
        """Clocks counting now on a plan's terms: not stopped, not paused, with a deadline."""
        return self.filter(stopped_at__isnull=True, paused_since__isnull=True, due_at__isnull=False)

    def due_by(self, moment: dt.datetime) -> "SlaClockQuerySet":
        """Running clocks whose deadline has come by `moment` (sla_clock_running_due_idx)."""
        return self.running().filter(due_at__lte=moment)

    def to_warn_by(self, moment: dt.datetime) -> "SlaClockQuerySet":
        """Running clocks neither warned nor breached whose 80% moment has come by `moment`
        (sla_clock_running_warn_idx)."""
        return self.running().filter(
            warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=moment
        )

    def to_breach_by(self, moment: dt.datetime) -> "SlaClockQuerySet":
        """Running clocks past their deadline by `moment` and not yet marked breached."""
        return self.due_by(moment).filter(breached_at__isnull=True)

    def of(self, subject: models.Model) -> "SlaClockQuerySet":
        return self.filter(subject_type=subject._meta.label_lower, subject_id=subject.pk)


class SlaClock(models.Model):
    """One service-level clock of one subject (a repair or troubleshoot request): the time to
    its first response, or to its resolution, counted in service time.

    The subject is named by its model label and id, not a foreign key: the apps whose rows
    have clocks (sysops, acceptance) sit above this one, so this app cannot name their models,
    and one table serves them all. `customer` is kept for the periodic jobs' test-clock scope.

    `duration`, `service_hours`, `time_zone` and `holiday_country` are the terms the clock
    runs on (null: the plan promises nothing for the subject's severity, yet pauses are still
    recorded should a re-term bring terms). `due_at` is the deadline on those terms given the
    pauses so far; while paused it is the deadline as of the pause, moved on resume.
    """

    subject_type = models.CharField(max_length=60)
    subject_id = models.PositiveBigIntegerField()
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="sla_clocks"
    )
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    duration = models.DurationField(null=True, blank=True)
    service_hours = models.ForeignKey(
        ServiceHours, on_delete=models.PROTECT, null=True, blank=True, related_name="clocks"
    )
    # The zone and holiday country the clock counts in, fixed when its terms are set (start,
    # re-term): the calendar's own, or the customer's where the calendar follows the customer.
    # A customer changing zone later does not move a running clock.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    holiday_country = CountryField(blank=True)
    # The plan whose terms the clock runs on, set with them (start, re-term): a later plan
    # change of the subscription does not rewrite what a clock was judged on (the breach
    # report counts each clock under its plan, docs/sla.md "The breach report").
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    paused_since = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    # When 80% of the duration has run (same terms and pauses as due_at, moved with it): the
    # assignee is warned then.
    warn_at = models.DateTimeField(null=True, blank=True)
    # Set once each, by the periodic check's conditional UPDATE (sla/watch.py): never cleared,
    # so a clock is warned and breached at most once whatever happens to it later.
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # The plan in force for the clock when it was breached (its `plan` then), stamped with
    # `breached_at`: a re-term after the breach does not move the breach to another plan.
    breached_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Why the clock stopped when it was not its subject's own step (the review's contract
    # ended: sla_clocks_end); empty for a first response given, a request resolved, a next
    # action done.
    stop_reason = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(
        max_length=10, choices=ClockOutcome.choices, default=ClockOutcome.PENDING
    )

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["subject_type", "subject_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"], name="sla_clock_per_subject_kind"
            ),
        ]
        indexes = [
            # What a periodic job asks: which running clocks are due (or nearly) by now.
            models.Index(
                fields=["due_at"],
                condition=models.Q(
                    stopped_at__isnull=True, paused_since__isnull=True, due_at__isnull=False
                ),
                name="sla_clock_running_due_idx",
            ),
            models.Index(
                fields=["warn_at"],
                condition=models.Q(
                    stopped_at__isnull=True,
                    paused_since__isnull=True,
                    warned_at__isnull=True,
                    breached_at__isnull=True,
                    warn_at__isnull=False,
                ),
                name="sla_clock_running_warn_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.get_kind_display()}"

    @property
    def has_terms(self) -> bool:
        return self.duration is not None and self.service_hours_id is not None

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None and self.stopped_at is None

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def warn_duration(self) -> dt.timedelta | None:
        """80% of the duration: when the assignee is warned (whole microseconds)."""
        if self.duration is None:
            return None
        return self.duration * WARN_SHARE_PERCENT // 100


class SlaClockPause(models.Model):
    """A stretch the clock did not count: the request waited on the customer, or stood
    resolved until it was reopened. `ended_at` null: still paused."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clock", "started_at"]

    def __str__(self) -> str:
        return f"{self.clock} paused {self.started_at:%Y-%m-%d %H:%M}"
