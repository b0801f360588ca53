"""Latency summaries the benchmarks share."""

import math
import statistics


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99, max and mean of `samples` (milliseconds), by nearest rank."""
    ordered = sorted(samples)

    def rank(p: float) -> float:
        # Nearest rank: the smallest sample with at least p% of the samples at or below it.
        return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]

    return {
        "p50_ms": round(rank(50), 1),
        "p95_ms": round(rank(95), 1),
        "p99_ms": round(rank(99), 1),
        "max_ms": round(ordered[-1], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
    }
