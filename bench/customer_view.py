"""Benchmark: the full customer view and the customer search at a million customers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onb_sysops_bench \\
        .venv/bin/python bench/customer_view.py --customers 1000000

Creates the database if needed, migrates it, seeds it once (bench/customer_view_seed.py; a
database already holding the same number of customers is reused, --reseed starts over), then
measures server time in-process over random customers and a mix of realistic searches:

- view_cold   customer_resolve + customer_overview_cached + rendering the page template, for a
              customer not viewed before (or changed since: the same cache miss): the stamp
              query, the overview's queries, the cache write
- view_warm   the same customer's view again right after (a reload, or back to the view after
              another page): the stamp query and the cache read
- view_uncached  customer_overview (no cache) + the template: the view before the cache
- page      GET /staff/customers/<id>/ through the whole middleware stack (Django test client),
            each customer's first view (cold)
- api       GET /api/v1/staff/customers/<id>/overview, likewise
- search    customer_search + rendering the results template
- search_api GET /api/v1/staff/customers?q=..., likewise

Each measure reads its own customers and searches, drawn without replacement from one pool, and
the warm-up reads yet others: no measure replays rows or queries another one just brought into
PostgreSQL's or the process's caches. The queries each measure runs are counted too (on the first
sample of each, which is itself fresh).

Prints p50/p95/p99/max per measure and per kind of search, the seeded acceptance mix and the query
counts, and writes them as JSON to var/bench/customer_view.json. Targets (issue 15): the view
(selector + template) p99 under 20 ms, shown for the cold and the warm view alike; the search p99
under 50 ms. The run's cache entries carry a key prefix of their own, so no entry an earlier run
left is found (every cold view is a real miss).
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no access-log line per measured request
os.environ.setdefault("DEBUG", "0")  # as in production: no query log, no template debug info

import django
import psycopg

# Issue 15; every other measure keeps the earlier 50 ms target.
TARGET_MS = {"view_cold": 20.0, "view_warm": 20.0, "view_uncached": 20.0}
DEFAULT_TARGET_MS = 50.0
WARM_UP = 200


def _ensure_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    # Nearest rank: the smallest sample with at least p% of the samples at or below it.
    index = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 50), 2),
        "p95": round(percentile(samples, 95), 2),
        "p99": round(percentile(samples, 99), 2),
        "max": round(max(samples), 2),
        "mean": round(statistics.fmean(samples), 2),
    }


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def search_queries(ids: list[int], rng: random.Random) -> list[tuple[str, str]]:
    """A mix of what staff type, one query about each customer in `ids`: (kind, query)."""
    from bench.customer_view_seed import Names

    names = Names()
    mix = (
        ("surname", 0.2),
        ("full_name", 0.2),
        ("email_exact", 0.15),
        ("email_part", 0.15),
        ("company", 0.1),
        ("phone", 0.1),
        ("invoice", 0.05),
        ("contract", 0.05),
    )
    count = len(ids)
    kinds = [kind for kind, share in mix for _ in range(round(count * share))]
    kinds = (kinds + ["surname"] * count)[:count]
    queries = []
    for kind, i in zip(kinds, ids, strict=True):
        first, last = names.person(i)
        query = {
            "surname": last[: max(4, len(last) - 2)],
            "full_name": f"{first} {last}",
            "email_exact": names.email(i),
            "email_part": names.email(i).split("@")[0],
            "company": names.company(i).rsplit(" ", 1)[0],
            "phone": "0" + names.phone(i)[3:],
            "invoice": Names.invoice_number(i, rng.randint(0, 2), 3),
            "contract": Names.contract_number(i),
        }[kind]
        queries.append((kind, query))
    rng.shuffle(queries)
    return queries


def _staff_client():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    from onboarding.accounts.models import User
    from onboarding.core.roles import Role

    user = User.objects.filter(email="bench-sysops@example.test").first()
    if user is None:
        user = User.objects.create_user("bench-sysops@example.test", None, role=Role.SYSOPS)
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    return client


def acceptance_mix() -> dict[str, int]:
    """Contracts by acceptance status, live reviews by rating and open risk events, as seeded."""
    from django.db.models import Count

    from onboarding.acceptance.models import Review
    from onboarding.acceptance.selectors import _counted, _status_from_counts
    from onboarding.contracts.models import Contract
    from onboarding.risk.models import RiskEvent, RiskState

    mix: dict[str, int] = defaultdict(int)
    for contract in _counted(Contract.objects.all()).iterator(chunk_size=10_000):
        mix[f"contracts_{_status_from_counts(contract)}"] += 1
    live = Review.objects.filter(closed_at__isnull=True).values("rating").annotate(n=Count("id"))
    for row in live:
        mix[f"live_reviews_{row['rating']}"] = row["n"]
    mix["reviews"] = Review.objects.count()
    mix["open_risk_events"] = RiskEvent.objects.filter(state=RiskState.OPEN).count()
    return dict(sorted(mix.items()))


def _queries_of(call: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


MEASURES = ("view_cached", "view_uncached", "page", "api", "search", "search_api")


def measure(*, customers: int, samples: int, seed: int) -> dict:
    from django.template.loader import render_to_string

    from onboarding.sysops.overview import customer_overview
    from onboarding.sysops.overview_cache import customer_overview_cached
    from onboarding.sysops.search import customer_search
    from onboarding.sysops.services import customer_resolve

    load_before = os.getloadavg()
    rng = random.Random(seed)
    # Disjoint customers for the warm-up and for each measure: a measure never reads what an
    # earlier one (or the warm-up) just brought into the caches.
    needed = WARM_UP * 2 + samples * len(MEASURES)
    if needed > customers:
        sys.exit(f"{needed:,} distinct customers needed, the database holds {customers:,}")
    pool = rng.sample(range(1, customers + 1), needed)
    warm_ids, warm_search_ids = pool[:WARM_UP], pool[WARM_UP : WARM_UP * 2]
    ids = {
        name: pool[WARM_UP * 2 + n * samples : WARM_UP * 2 + (n + 1) * samples]
        for n, name in enumerate(MEASURES)
    }
    queries = {name: search_queries(ids[name], rng) for name in ("search", "search_api")}
    client = _staff_client()

    def view(customer_id: int) -> None:
        customer = customer_resolve(customer_id=customer_id, source="bench")
        render_to_string(
            "sysops/customer_overview.html",
            {"o": customer_overview_cached(customer=customer, history_html=True)},
        )

    def view_uncached(customer_id: int) -> None:
        customer = customer_resolve(customer_id=customer_id, source="bench")
        render_to_string(
            "sysops/customer_overview.html", {"o": customer_overview(customer=customer)}
        )

    def search(query: str) -> None:
        render_to_string("sysops/_search_results.html", {"results": customer_search(query=query)})

    def get(url: str, **params) -> None:
        response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params} answered {response.status_code}")

    def page(customer_id: int) -> None:
        get(f"/staff/customers/{customer_id}/")

    def api(customer_id: int) -> None:
        get(f"/api/v1/staff/customers/{customer_id}/overview")

    def search_api(query: str) -> None:
        get("/api/v1/staff/customers", q=query)

    # Warm up connections, templates, the session and the nav-count cache with customers and
    # searches no measure reads, so the figures are a warm server's, not a replay.
    for customer_id in warm_ids:
        view(customer_id)
        view(customer_id)
        view_uncached(customer_id)
        page(customer_id)
        api(customer_id)
    for _, query in search_queries(warm_search_ids, random.Random(seed + 1)):
        search(query)
        search_api(query)

    # The queries of each measure, counted on its first sample (then not timed again).
    first = ids["view_cached"][0]
    query_counts = {
        "view_cold": _queries_of(lambda: view(first)),
        "view_warm": _queries_of(lambda: view(first)),
        "view_uncached": _queries_of(lambda: view_uncached(ids["view_uncached"][0])),
        "page": _queries_of(lambda: page(ids["page"][0])),
        "api": _queries_of(lambda: api(ids["api"][0])),
        "search": _queries_of(lambda: search(queries["search"][0][1])),
        "search_api": _queries_of(lambda: search_api(queries["search_api"][0][1])),
    }
    results: dict[str, list[float]] = defaultdict(list)
    for customer_id in ids["view_cached"][1:]:
        results["view_cold"].append(timed(lambda c=customer_id: view(c)))
        results["view_warm"].append(timed(lambda c=customer_id: view(c)))
    calls = {"view_uncached": view_uncached, "page": page, "api": api}
    for name, call in calls.items():
        for customer_id in ids[name][1:]:
            results[name].append(timed(lambda c=customer_id, f=call: f(c)))
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, query in queries["search"][1:]:
        elapsed = timed(lambda q=query: search(q))
        results["search"].append(elapsed)
        by_kind[kind].append(elapsed)
    for _, query in queries["search_api"][1:]:
        results["search_api"].append(timed(lambda q=query: search_api(q)))
    load_after = os.getloadavg()
    # Counted after the timing, so this does not warm anything measured.
    hits = sum(bool(customer_search(query=query).hits) for _, query in queries["search"])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpus": os.cpu_count(),
        "customers": customers,
        "samples": samples,
        "database_bytes": size,
        "searches_with_hits": hits,
        "queries": query_counts,
        "acceptance": acceptance_mix(),
        "measures": {name: summary(values) for name, values in results.items()},
        "search_by_kind": {kind: summary(values) for kind, values in sorted(by_kind.items())},
    }


def report(figures: dict) -> str:
    lines = [
        f"customers: {figures['customers']:,}  samples: {figures['samples']}  "
        f"database: {figures['database_bytes'] / 2**30:.1f} GiB  "
        f"searches with hits: {figures['searches_with_hits']}/{figures['samples']}  "
        f"load average before/after: {figures['load_average_before'][0]:.1f}/"
        f"{figures['load_average_after'][0]:.1f} on {figures['cpus']} CPUs",
        "",
        "| measure | n | queries | p50 ms | p95 ms | p99 ms | max ms | target p99 | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in figures["measures"].items():
        target = TARGET_MS.get(name, DEFAULT_TARGET_MS)
        ok = "yes" if s["p99"] < target else "NO"
        lines.append(
            f"| {name} | {s['n']} | {figures['queries'][name]} | {s['p50']} | {s['p95']} | "
            f"{s['p99']} | {s['max']} | < {target:.0f} ms | {ok} |"
        )
    lines += ["", "| search kind | n | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|"]
    for kind, s in figures["search_by_kind"].items():
        lines.append(f"| {kind} | {s['n']} | {s['p50']} | {s['p99']} | {s['max']} |")
    mix = ", ".join(f"{name} {n:,}" for name, n in figures["acceptance"].items())
    lines += ["", f"acceptance as seeded: {mix}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--invoices", type=int, default=3, help="invoices per customer")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is seeded).")
    if args.reseed:
        _drop_database(url)
    _ensure_database(url)
    django.setup()

    from django.conf import settings

    # Cache keys of this run's own: no entry an earlier run left is found by a "cold" view.
    settings.CACHES["default"]["KEY_PREFIX"] = f"bench-{os.getpid()}-{time.time_ns()}"

    from django.core.management import call_command

    from bench.customer_view_seed import seed
    from onboarding.accounts.models import Customer

    print("migrating", flush=True)
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the staff pages' nav counts are cached there
    have = Customer.objects.count()
    if have == 0:
        print(f"seeding {args.customers:,} customers", flush=True)
        started = time.monotonic()
        written = seed(
            count=args.customers,
            invoices_per_customer=args.invoices,
            log=lambda line: print(line, flush=True),
        )
        print(f"seeded {sum(written.values()):,} rows in {time.monotonic() - started:.0f}s")
        print(json.dumps(written, indent=2))
    elif have != args.customers:
        sys.exit(f"the database holds {have:,} customers, not {args.customers:,}: use --reseed")
    else:
        print(f"reusing {have:,} seeded customers", flush=True)
        from bench.customer_view_seed import seed_health
        from onboarding.health.models import CustomerHealth

        if not CustomerHealth.objects.exists():  # seeded before the health score existed
            print("seeding their health scores and history", flush=True)
            print(json.dumps(seed_health(count=have, log=lambda line: print(line, flush=True))))

    print(f"measuring over {args.samples} customers and {args.samples} searches", flush=True)
    figures = measure(customers=args.customers, samples=args.samples, seed=args.seed)
    text = report(figures)
    print(text)
    out = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    (out / "bench").mkdir(parents=True, exist_ok=True)
    (out / "bench" / "customer_view.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
