"""Benchmark: the full customer view and the customer search at a million customers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onb_sysops_bench \\
        .venv/bin/python bench/customer_view.py --customers 1000000

Creates the database if needed, migrates it, seeds it once (bench/customer_view_seed.py; a
database already holding the same number of customers is reused, --reseed starts over), then
measures server time in-process over random customers and a mix of realistic searches:

- view      customer_resolve + customer_overview + rendering the page template
- page      GET /staff/customers/<id>/ through the whole middleware stack (Django test client)
- api       GET /api/v1/staff/customers/<id>/overview, likewise
- search    customer_search + rendering the results template
- search_api GET /api/v1/staff/customers?q=..., likewise

Prints p50/p95/p99/max per measure and per kind of search, and writes them as JSON to
var/bench/customer_view.json. Target: p99 under 50 ms for the view and the search.
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

TARGET_MS = 50.0
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


def search_queries(count: int, customers: int, rng: random.Random) -> list[tuple[str, str]]:
    """A mix of what staff type: (kind, query)."""
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
    queries = []
    for kind, share in mix:
        for _ in range(round(count * share)):
            i = rng.randint(1, customers)
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


def measure(*, customers: int, samples: int, seed: int) -> dict:
    from django.db import connection, reset_queries
    from django.template.loader import render_to_string

    from onboarding.sysops.overview import customer_overview
    from onboarding.sysops.search import customer_search
    from onboarding.sysops.services import customer_resolve

    load_before = os.getloadavg()
    rng = random.Random(seed)
    ids = [rng.randint(1, customers) for _ in range(samples)]
    queries = search_queries(samples, customers, rng)
    client = _staff_client()

    def view(customer_id: int) -> None:
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

    # Warm up connections, templates and caches with other customers and searches than the
    # measured ones, so the figures are a warm server's, not a replay of pages already read.
    warm = random.Random(seed + 1)
    for _ in range(WARM_UP):
        customer_id = warm.randint(1, customers)
        view(customer_id)
        get(f"/api/v1/staff/customers/{customer_id}/overview")
    for _, query in search_queries(WARM_UP, customers, warm):
        search(query)

    results: dict[str, list[float]] = defaultdict(list)
    for customer_id in ids:
        results["view"].append(timed(lambda c=customer_id: view(c)))
    for customer_id in ids:
        results["page"].append(timed(lambda c=customer_id: get(f"/staff/customers/{c}/")))
    for customer_id in ids:
        url = f"/api/v1/staff/customers/{customer_id}/overview"
        results["api"].append(timed(lambda u=url: get(u)))
    by_kind: dict[str, list[float]] = defaultdict(list)
    hits = 0
    for kind, query in queries:
        elapsed = timed(lambda q=query: search(q))
        results["search"].append(elapsed)
        by_kind[kind].append(elapsed)
        hits += bool(customer_search(query=query).hits)
    for _, query in queries:
        results["search_api"].append(timed(lambda q=query: get("/api/v1/staff/customers", q=q)))
    reset_queries()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cpus": os.cpu_count(),
        "customers": customers,
        "samples": samples,
        "database_bytes": size,
        "searches_with_hits": hits,
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
        "| measure | n | p50 ms | p95 ms | p99 ms | max ms | p99 < 50 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in figures["measures"].items():
        ok = "yes" if s["p99"] < TARGET_MS else "NO"
        lines.append(
            f"| {name} | {s['n']} | {s['p50']} | {s['p95']} | {s['p99']} | {s['max']} | {ok} |"
        )
    lines += ["", "| search kind | n | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|"]
    for kind, s in figures["search_by_kind"].items():
        lines.append(f"| {kind} | {s['n']} | {s['p50']} | {s['p99']} | {s['max']} |")
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

    print(f"measuring over {args.samples} customers and {args.samples} searches", flush=True)
    figures = measure(customers=args.customers, samples=args.samples, seed=args.seed)
    text = report(figures)
    print(text)
    out = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    (out / "bench").mkdir(parents=True, exist_ok=True)
    (out / "bench" / "customer_view.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
