"""Benchmark: the managers' health queue (`health_queue`) in process, on an existing database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onb_sysops_bench_h2 \\
        REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/health_queue.py --calls 5

Neither creates, migrates nor seeds anything: it reads the database `bench/customer_view.py`
seeded (migrate it first with `manage.py migrate health`). When the queue's counts are stored
counts (onboarding/health/counts.py), it counts and stores them once first and reports that count's
time as `count` (the worker's work, not a page's). Then it times each case `--calls` times
(the first call too: nothing is warmed up) and counts the queries of the first call.

Prints min / median / max per case and writes them as JSON to var/bench/health_queue.json
(--out to change).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")

import django

CASES = {
    "worst_first": {},
    "page_40": {"page": 40},
    "band_red": {"band": "red"},
    "band_yellow": {"band": "yellow"},
    "by_trend": {"sort": "trend"},
    "by_trend_page_40": {"sort": "trend", "page": 40},
    "band_yellow_by_trend": {"band": "yellow", "sort": "trend"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--out", default="var/bench/health_queue.json")
    args = parser.parse_args()
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onboarding.health.models import CustomerHealth
    from onboarding.health.reads import health_queue

    try:
        from onboarding.health import counts
    except ImportError:  # before the stored counts
        counts = None
    result: dict = {
        "database": connection.settings_dict["NAME"],
        "scores": CustomerHealth.objects.count(),
        "load_before": os.getloadavg()[0],
        "calls": args.calls,
        "cases": {},
    }
    if counts is not None:
        started = time.perf_counter()
        counts.health_counts_refresh()
        result["count_s"] = round(time.perf_counter() - started, 3)
        print(f"count (worker): {result['count_s']:.3f} s")
    for name, kwargs in CASES.items():
        samples, queries, rows = [], 0, 0
        for call in range(args.calls):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                queue = health_queue(**kwargs)
                samples.append((time.perf_counter() - started) * 1000)
            if call == 0:
                queries, rows = len(captured.captured_queries), len(queue.rows)
        figures = {
            "min_ms": round(min(samples), 1),
            "median_ms": round(statistics.median(samples), 1),
            "max_ms": round(max(samples), 1),
            "queries": queries,
            "rows": rows,
        }
        result["cases"][name] = figures
        print(f"{name:22} {figures}")
    result["load_after"] = os.getloadavg()[0]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"load {result['load_before']:.1f} -> {result['load_after']:.1f}; written to {out}")


if __name__ == "__main__":
    main()
