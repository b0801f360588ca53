"""The geometry of the health pages' two small charts, drawn as inline SVG by the templates (no
JavaScript library): a customer's score over time, and how many customers have each score, by
band. Coordinates are in the SVG's own viewBox units; the SVG scales to its box."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext

from onboarding.health.models import Band

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 180, 44, 4
BARS_WIDTH, BARS_HEIGHT = 320, 150
BAND_ROW = 22
BUCKETS = 10  # the score distribution in tens: 0-9, 10-19, ... 90-100


@dataclass(frozen=True)
class Sparkline:
    points: str  # for <polyline points="...">: a step line, each score held until the next
    last_x: float
    last_y: float
    first_score: int
    last_score: int
    low: int
    high: int
    days: int
    changes: int  # the scores recorded in the window
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT

    @property
    def grid(self) -> list[tuple[int, float]]:
        """(score, y) of the guide lines at 0, 50 and 100 points."""
        return [(score, _y(score)) for score in (100, 50, 0)]

    @property
    def description(self) -> str:
        if self.changes <= 1:
            return gettext("Score %(score)s, unchanged over the last %(days)s days.") % {
                "score": self.last_score,
                "days": self.days,
            }
        return gettext(
            "Score over the last %(days)s days: from %(first)s to %(last)s, between %(low)s and "
            "%(high)s, %(changes)s changes."
        ) % {
            "days": self.days,
            "first": self.first_score,
            "last": self.last_score,
            "low": self.low,
            "high": self.high,
            "changes": self.changes,
        }


def _y(score: int) -> float:
    inner = SPARK_HEIGHT - 2 * SPARK_PAD
    return round(SPARK_PAD + inner * (100 - max(0, min(100, score))) / 100, 1)


def sparkline(
    history: list[tuple[datetime, int]], *, until: datetime, current: int, days: int
) -> Sparkline:
    """A step line of `history` ((when, score), oldest first) over the `days` up to `until`,
    ending at `current`; a score from before the window starts at its left edge."""
    start = until - timedelta(days=days)
    span = (until - start).total_seconds() or 1.0
    inner = SPARK_WIDTH - 2 * SPARK_PAD

    def x(at: datetime) -> float:
        seconds = (max(start, min(until, at)) - start).total_seconds()
        return round(SPARK_PAD + inner * seconds / span, 1)

    scores = [score for _, score in history] or [current]
    steps: list[tuple[float, float]] = []
    for at, score in history:
        if steps:
            steps.append((x(at), steps[-1][1]))  # the previous score held until now
        steps.append((x(at), _y(score)))
    if not steps:
        steps.append((x(start), _y(current)))
    steps.append((x(until), steps[-1][1]))
    if steps[-1][1] != _y(current):  # the current score is newer than the last snapshot read
        steps.append((x(until), _y(current)))
    every = [*scores, current]
    return Sparkline(
        points=" ".join(f"{px},{py}" for px, py in steps),
        last_x=steps[-1][0],
        last_y=steps[-1][1],
        first_score=scores[0],
        last_score=current,
        low=min(every),
        high=max(every),
        days=days,
        changes=len(history),
    )


@dataclass(frozen=True)
class Bar:
    label: str
    band: str
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def text_y(self) -> float:
        """The baseline of the bar's label and count, beside it."""
        return round(self.y + self.height - 3, 1)

    @property
    def count_x(self) -> float:
        return round(self.x + self.width + 4, 1)


@dataclass(frozen=True)
class Column:
    """One bucket of the score distribution: its label and a segment per band, stacked."""

    label: str
    total: int
    x: float
    width: float
    segments: list[Bar]
    tick: str  # the axis label under the column: its lowest score

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class BandBars:
    bands: list[Bar]  # one horizontal bar per band, worst first
    columns: list[Column]  # the score distribution, 0-9 first
    total: int
    largest_bucket: int
    width: int = BARS_WIDTH
    height: int = BARS_HEIGHT

    @property
    def axis_y(self) -> int:
        return BARS_HEIGHT - 18

    @property
    def label_y(self) -> int:
        return BARS_HEIGHT - 4

    @property
    def bands_height(self) -> int:
        return len(self.bands) * BAND_ROW + 4

    @property
    def description(self) -> str:
        parts = ", ".join(f"{bar.count} {bar.label.lower()}" for bar in self.bands)
        return gettext("%(total)s customers scored: %(parts)s.") % {
            "total": self.total,
            "parts": parts,
        }


BAND_ORDER = (
    (Band.RED, Band.RED.label),
    (Band.YELLOW, Band.YELLOW.label),
    (Band.GREEN, Band.GREEN.label),
)


def band_bars(counts: dict[str, dict[int, int]]) -> BandBars:
    """The chart of `counts` ({band: {score: customers}}): customers per band as horizontal
    bars, and the score distribution in tens as columns stacked by band."""
    totals = {band: sum(counts.get(band, {}).values()) for band, _ in BAND_ORDER}
    total = sum(totals.values())
    most = max(totals.values(), default=0) or 1
    label_width, bar_room, row = 60, BARS_WIDTH - 60 - 60, BAND_ROW
    bands = [
        Bar(
            label=label,
            band=band,
            count=totals[band],
            x=label_width,
            y=n * row + 4,
            width=round(bar_room * totals[band] / most, 1) if totals[band] else 0,
            height=row - 8,
        )
        for n, (band, label) in enumerate(BAND_ORDER)
    ]
    buckets = [{band: 0 for band, _ in BAND_ORDER} for _ in range(BUCKETS)]
    for band, by_score in counts.items():
        for score, n in by_score.items():
            bucket = buckets[min(BUCKETS - 1, max(0, score) // 10)]
            bucket[band] = bucket.get(band, 0) + n
    largest = max((sum(bucket.values()) for bucket in buckets), default=0)
    top, axis = 4, BARS_HEIGHT - 18
    room = axis - top
    slot = BARS_WIDTH / BUCKETS
    columns = []
    for n, bucket in enumerate(buckets):
        segments, base = [], float(axis)
        for band, label in BAND_ORDER:
            count = bucket.get(band, 0)
            if not count:
                continue
            height = round(room * count / largest, 1) if largest else 0
            base = round(base - height, 1)
            segments.append(
                Bar(label, band, count, round(n * slot + 3, 1), base, round(slot - 6, 1), height)
            )
        columns.append(
            Column(
                label=f"{n * 10}-{n * 10 + 9}" if n < BUCKETS - 1 else "90-100",
                total=sum(bucket.values()),
                x=round(n * slot, 1),
                width=round(slot, 1),
                segments=segments,
                tick=str(n * 10),
            )
        )
    return BandBars(bands=bands, columns=columns, total=total, largest_bucket=largest)
