"""Benchmark: from a red rating saved to the risk event readable on the Redis Stream.

    .venv/bin/python bench/risk_latency.py --events 1000 --databases sqlite postgres
    .venv/bin/python bench/risk_latency.py --databases postgres --relay-modes listen poll --rounds 3

For each database (and relay mode): a fresh database (SQLite file under var/bench/risk/, or
PostgreSQL database bench_risk, or --database-name), migrated, with N active contracts, a SysOps
user and a manager. The relay runs as in production (`manage.py run_relay`, its own process,
default interval; on PostgreSQL it listens for the outbox's commit notifications) with the red
deadline set to 0 seconds (ACCEPTANCE_RED_ACK_SECONDS=0), so a red rating is overdue the moment
it is saved. This process then, one contract at a time: notes the stream's last entry, saves a
red rating through the same service the pages call (requirement_add), and blocks on XREAD until
the contract's event is on the stream. The time between is one sample: it covers the rating's
transaction (review, timer, manager notifications, audit), the relay noticing the due timer,
the timer's transaction (risk event, outbox row) and the XADD. Each sample is also split in
two: the save (requirement_add, the rating's transaction up to its commit) and the rest (commit
to the entry on the stream: the relay noticing, its pass, the XADD), each with its percentiles.

--relay-modes compares the relay as it runs ("listen", the default: woken by LISTEN/NOTIFY on
PostgreSQL) with `run_relay --no-listen` ("poll": waking every interval only), each on a fresh
database; with --rounds N the modes alternate N times in one sitting, so both meet the same
background load. On SQLite both modes poll.

Prints a Markdown table, writes var/bench/risk_latency.json; progress to stderr.
Target (issue 15): p99 under 100 ms on PostgreSQL (issue 7: under 250 ms).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stats import percentiles  # noqa: E402 (ROOT on the path first)

WORK = ROOT / "var" / "bench" / "risk"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
STREAM = os.environ.get("BENCH_RISK_STREAM", "bench:risk-events")


def say(message: str) -> None:
    print(f"[risk_latency bench] {message}", file=sys.stderr, flush=True)


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "RISK_STREAM": STREAM,
        "ACCEPTANCE_RED_ACK_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def fresh_database(name: str, server: str, database: str) -> str:
    if name == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (WORK / f"risk.sqlite3{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{WORK / 'risk.sqlite3'}"
    import psycopg

    admin = urlparse(server)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{server.rstrip('/')}/{database}"


# --- the measuring child (runs with the database's settings) --------------------------------------


def seed(count: int):
    from datetime import timedelta

    from django.utils import timezone

    from bench.bill_run_seed import bench_plan
    from onboarding.accounts.models import Customer, User
    from onboarding.billing.models import Subscription, SubscriptionStatus
    from onboarding.contracts.models import Contract, ContractState
    from onboarding.core.roles import Role

    plan = bench_plan()
    sysops = User.objects.create_user(email="sysops@bench.test", password=None, role=Role.SYSOPS)
    User.objects.create_user(email="manager@bench.test", password=None, role=Role.MANAGER)
    start = timezone.now() - timedelta(days=1)
    users = User.objects.bulk_create(
        User(email=f"c{i}@bench.test", role=Role.CUSTOMER, password="!") for i in range(count)
    )
    users = list(User.objects.filter(role=Role.CUSTOMER).order_by("pk"))
    Customer.objects.bulk_create(
        Customer(user=u, company=f"Bench {i}") for i, u in enumerate(users)
    )
    Subscription.objects.bulk_create(
        Subscription(
            customer_id=u.pk,
            plan=plan,
            status=SubscriptionStatus.ACTIVE,
            cycle="monthly",
            amount_minor=9900,
            currency="EUR",
            tax_rate_bp=2000,
            purchased_at=start,
            billing_anchor=start,
            current_period_start=start,
            current_period_end=start + timedelta(days=30),
            next_invoice_at=start + timedelta(days=30),
            first_paid_at=start,
        )
        for u in users
    )
    subscriptions = {s.customer_id: s for s in Subscription.objects.all()}
    Contract.objects.bulk_create(
        Contract(
            customer_id=u.pk,
            subscription=subscriptions[u.pk],
            plan=plan,
            term_index=1,
            number=f"CTR-2026-{i + 1:06d}",
            state=ContractState.ACTIVE,
            term_start=start,
            term_end=start + timedelta(days=365),
            term_months=12,
            cycle="monthly",
            amount_minor=9900,
            currency="EUR",
            tax_rate_bp=2000,
            product_name=plan.product.name,
            plan_name=plan.name,
        )
        for i, u in enumerate(users)
    )
    return sysops, list(Contract.objects.order_by("pk"))


def measure(count: int, warmup: int, relay_args: list[str]) -> None:
    import django

    django.setup()
    import redis

    from onboarding.acceptance.requirements import requirement_add

    # No socket timeout shorter than an XREAD's block.
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True, socket_timeout=None)
    client.delete(STREAM)
    for key in client.scan_iter(f"{STREAM}:*"):
        client.delete(key)
    say(f"seeding {count + warmup} contracts")
    sysops, contracts = seed(count + warmup)
    relay = subprocess.Popen(
        [sys.executable, "manage.py", "run_relay", *relay_args], cwd=ROOT, env=os.environ.copy()
    )
    samples: list[float] = []
    saves: list[float] = []
    rests: list[float] = []
    try:
        for index, contract in enumerate(contracts):
            last = client.xrevrange(STREAM, count=1)
            cursor = last[0][0] if last else "0-0"
            started = time.perf_counter()
            requirement_add(
                contract=contract,
                actor=sysops,
                title="Remote access",
                criteria="VPN reaches the server",
                rating="red",
            )
            saved = time.perf_counter()
            # The warm-up also covers the relay's start (imports, first pass) on a busy machine.
            block_ms = 120_000 if index < warmup else 10_000
            answer = client.xread({STREAM: cursor}, count=1, block=block_ms)
            elapsed = time.perf_counter() - started
            if not answer:
                raise SystemExit(
                    f"no event on the stream within {block_ms} ms (contract {contract.pk})"
                )
            event = json.loads(answer[0][1][0][1]["event"])
            if event["contract"]["id"] != contract.pk:
                raise SystemExit(f"unexpected event {event} for contract {contract.pk}")
            if index >= warmup:
                samples.append(elapsed * 1000)
                saves.append((saved - started) * 1000)
                rests.append(elapsed * 1000 - saves[-1])
            if (index + 1) % 100 == 0:
                say(f"{index + 1}/{len(contracts)} events")
    finally:
        relay.terminate()
        relay.wait(timeout=30)
    result = {
        "events": len(samples),
        **percentiles(samples),
        "save": percentiles(saves),
        "commit_to_stream": percentiles(rests),
    }
    print(json.dumps(result))


# --- the parent -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument(
        "--relay-modes",
        nargs="+",
        choices=["listen", "poll"],
        default=["listen"],
        help="listen: run_relay as in production; poll: run_relay --no-listen",
    )
    parser.add_argument("--rounds", type=int, default=1, help="times to alternate the runs")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--database-name",
        default="bench_risk",
        help="PostgreSQL database to create afresh (another name lets two runs share a server)",
    )
    args = parser.parse_args()
    runs = [
        (name, mode)
        for _ in range(args.rounds)
        for name in args.databases
        for mode in args.relay_modes
    ]
    results = []
    for name, mode in runs:
        url = fresh_database(name, args.postgres, args.database_name)
        env = env_for(url)
        say(f"{name}/{mode}: migrating")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        say(f"{name}/{mode}: measuring {args.events} events")
        relay_args = "--no-listen" if mode == "poll" else ""
        child = subprocess.run(
            [sys.executable, __file__, "measure", str(args.events), str(args.warmup), relay_args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(child.stderr)
        if child.returncode:
            raise SystemExit(f"{name}: the measuring child failed (exit {child.returncode})")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        load = os.getloadavg()[0]
        results.append({"database": name, "relay": mode, "load_1min": round(load, 2), **figures})
    WORK.parent.mkdir(parents=True, exist_ok=True)
    (WORK.parent / "risk_latency.json").write_text(json.dumps(results, indent=2))
    print(
        "| database | relay | events | p50 | p95 | p99 | max | save p50 / p99 "
        "| commit to stream p50 / p99 | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        save, rest = r["save"], r["commit_to_stream"]
        print(
            f"| {r['database']} | {r['relay']} | {r['events']} | {r['p50_ms']} ms | "
            f"{r['p95_ms']} ms | {r['p99_ms']} ms | {r['max_ms']} ms | "
            f"{save['p50_ms']} / {save['p99_ms']} ms | {rest['p50_ms']} / {rest['p99_ms']} ms | "
            f"{r['load_1min']} |"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure(int(sys.argv[2]), int(sys.argv[3]), [a for a in sys.argv[4:] if a])
    else:
        main()
