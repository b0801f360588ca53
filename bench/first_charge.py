"""Benchmark: from a purchase committed to its first invoice charged, the worker as in production.

    .venv/bin/python bench/first_charge.py --purchases 120 --rate 1
    .venv/bin/python bench/first_charge.py --worker-modes listen poll --rounds 2

For each run: a fresh PostgreSQL database (bench_first_charge, or --database-name), migrated and
seeded with the demo catalog and --purchases customers whose profile is complete and who have a
sandbox card on file (4242...). Then `manage.py run_worker` (--task-workers of them, default 1 as
in bench/load_journey.py, default interval 1 s) and `manage.py run_relay` start, as in
production. Purchases arrive at --rate per second (open loop: each at its moment, whether or not
earlier ones are charged yet), each one through subscription_purchase, the service the purchase
page calls, from a pool of --concurrency threads. Every purchase leaves the worker the same work
the load benchmark's do: the first bill (issue and charge), then the invoice's PDF and notices
and the contract's document, so later first bills queue behind that work.

One sample per purchase: from the service's return (its transaction committed, the first-bill
task queued on commit) to the first invoice's paid_at, as the worker records it in the
transaction that applies the charge. The run ends when every first invoice is charged (or after
--timeout, which fails the run). Prints p50/p95/p99/max per run, writes
var/bench/first_charge.json; progress to stderr.

--worker-modes compares the worker as it runs ("listen", the default: woken on PostgreSQL by
LISTEN/NOTIFY when a task is committed) with `run_worker --no-listen` ("poll": every interval
only); with --rounds N the modes alternate N times in one sitting.
Target (issue 15): p95 under 2 s (under the 50-person load of bench/load_journey.py).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stats import percentiles  # noqa: E402 (ROOT on the path first)

RESULT = ROOT / "var" / "bench" / "first_charge.json"
WORK = ROOT / "var" / "bench" / "first_charge"


def say(message: str) -> None:
    print(f"[first_charge bench] {message}", file=sys.stderr, flush=True)


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def fresh_database(server: str, database: str) -> str:
    import psycopg

    admin = urlparse(server)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{server.rstrip('/')}/{database}"


# --- the measuring child (runs with the database's settings) --------------------------------------


def seed(count: int):
    from django.db import transaction
    from django.utils import timezone

    from onboarding.accounts.models import User
    from onboarding.accounts.services import customer_create, customer_profile_update
    from onboarding.catalog.models import Plan
    from onboarding.core.roles import Role
    from onboarding.demo.services import demo_data_load
    from onboarding.payments.gateways.base import CardDetails
    from onboarding.payments.methods import payment_method_add

    demo_data_load()
    card = CardDetails(
        number="4242424242424242", exp_month=12, exp_year=timezone.now().year + 2, cvc="123"
    )
    customers = []
    for n in range(count):
        with transaction.atomic():
            user = User.objects.create_user(
                f"buyer{n}@bench-charge.test", None, role=Role.CUSTOMER, first_name="Buyer"
            )
            customer = customer_profile_update(
                customer=customer_create(user=user),
                actor=user,
                profile={
                    "company": f"Buyer {n} Ltd",
                    "address_line1": "1 Harbour Street",
                    "city": "Bristol",
                    "postal_code": "BS1 4DJ",
                    "country": "GB",
                },
            )
        payment_method_add(customer=customer, actor=user, card=card)
        customers.append(customer)
    plan = next(
        p
        for p in Plan.objects.filter(is_active=True).prefetch_related("prices").order_by("pk")
        if p.prices.exists()
    )
    cycle = sorted(plan.prices.values_list("cycle", flat=True))[0]
    return customers, plan, cycle


def measure(count: int, rate: float, concurrency: int, timeout: float, workers: int, mode: str):
    import django

    django.setup()
    from django.db import close_old_connections, connections
    from django.utils import timezone

    from onboarding.billing.models import Invoice
    from onboarding.billing.services import subscription_purchase
    from onboarding.worker.models import WorkerHeartbeat

    say(f"seeding {count} customers with a card on file")
    customers, plan, cycle = seed(count)
    listen = ["--no-listen"] if mode == "poll" else []
    WORK.mkdir(parents=True, exist_ok=True)
    commands = {
        **{
            f"worker{n}": [sys.executable, "manage.py", "run_worker", *listen]
            for n in range(workers)
        },
        "relay": [sys.executable, "manage.py", "run_relay"],
    }
    processes = {}
    for name, command in commands.items():
        log = (WORK / f"{name}.log").open("w")
        processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT
        )
    committed: dict[int, float] = {}  # subscription id -> the moment the purchase returned
    lock = threading.Lock()

    def buy(customer) -> None:
        try:
            subscription = subscription_purchase(
                customer=customer, plan=plan, cycle=cycle, actor=customer.user
            )
            moment = timezone.now().timestamp()
            with lock:
                committed[subscription.pk] = moment
        finally:
            connections.close_all()

    try:
        # The workers' start-up (imports, first heartbeat) is not part of any sample.
        while WorkerHeartbeat.objects.count() < workers:
            if any(p.poll() is not None for p in processes.values()):
                raise SystemExit(f"a worker or the relay exited; see {WORK}")
            time.sleep(0.1)
        say(f"{mode}: {count} purchases at {rate}/s")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = []
            for index, customer in enumerate(customers):
                pause = started + index / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # the arrival schedule, not a wait for work
                futures.append(pool.submit(buy, customer))
            for future in futures:
                future.result()
        deadline = time.monotonic() + timeout
        while True:
            close_old_connections()
            paid = dict(
                Invoice.objects.filter(
                    subscription_id__in=committed, paid_at__isnull=False
                ).values_list("subscription_id", "paid_at")
            )
            if len(paid) == len(committed):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(paid)} of {len(committed)} first invoices paid")
            time.sleep(0.5)  # reading the outcome; the samples come from the rows' own times
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=60)
    samples = [(paid[s].timestamp() - moment) * 1000 for s, moment in committed.items()]
    print(
        json.dumps(
            {
                "purchases": len(samples),
                "charged": len(paid),
                **percentiles(samples),
                "tasks": task_breakdown(),
            }
        )
    )


def task_breakdown() -> dict[str, dict[str, float]]:
    """Per task: how many ran, how long each waited in the queue and ran (means, and the first
    bill's queue wait p95): where a first charge's time goes besides the poll."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(started_at__isnull=False, finished_at__isnull=False)
    waits: dict[str, list[float]] = {}
    runs: dict[str, list[float]] = {}
    for path, enqueued, started, finished in rows.values_list(
        "task_path", "enqueued_at", "started_at", "finished_at"
    ):
        name = path.rsplit(".", 1)[-1]
        waits.setdefault(name, []).append((started - enqueued).total_seconds() * 1000)
        runs.setdefault(name, []).append((finished - started).total_seconds() * 1000)
    return {
        name: {
            "count": len(waits[name]),
            "wait_mean_ms": round(statistics.fmean(waits[name]), 1),
            "wait_p95_ms": percentiles(waits[name])["p95_ms"],
            "run_mean_ms": round(statistics.fmean(runs[name]), 1),
            "run_total_s": round(sum(runs[name]) / 1000, 1),
        }
        for name in sorted(waits, key=lambda n: -sum(runs[n]))
    }


# --- the parent -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=120)
    parser.add_argument("--rate", type=float, default=1.0, help="purchases per second")
    parser.add_argument("--concurrency", type=int, default=8, help="purchasing threads")
    parser.add_argument("--task-workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--worker-modes",
        nargs="+",
        choices=["listen", "poll"],
        default=["listen"],
        help="listen: run_worker as in production; poll: run_worker --no-listen",
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-name", default="bench_first_charge")
    args = parser.parse_args()
    results = []
    for _ in range(args.rounds):
        for mode in args.worker_modes:
            env = env_for(fresh_database(args.postgres, args.database_name))
            say(f"{mode}: migrating")
            for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
                subprocess.run(
                    [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
                )
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "measure",
                    json.dumps(
                        [
                            args.purchases,
                            args.rate,
                            args.concurrency,
                            args.timeout,
                            args.task_workers,
                            mode,
                        ]
                    ),
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            sys.stderr.write(child.stderr)
            if child.returncode:
                raise SystemExit(f"{mode}: the measuring child failed (exit {child.returncode})")
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            load = os.getloadavg()[0]
            results.append({"worker": mode, "load_1min": round(load, 2), **figures})
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2))
    print(f"{args.purchases} purchases at {args.rate}/s, {args.task_workers} task worker(s)")
    print("| worker | charged | p50 | p95 | p99 | max | load |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['worker']} | {r['charged']}/{r['purchases']} | {r['p50_ms']} ms | "
            f"{r['p95_ms']} ms | {r['p99_ms']} ms | {r['max_ms']} ms | {r['load_1min']} |"
        )
    print("\nWhere the worker's time went (per run: task, count, queue wait mean / p95, run mean):")
    for n, r in enumerate(results, 1):
        for name, t in r["tasks"].items():
            print(
                f"  run {n} ({r['worker']}): {name}: {t['count']}, wait {t['wait_mean_ms']} / "
                f"{t['wait_p95_ms']} ms, run {t['run_mean_ms']} ms (total {t['run_total_s']} s)"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure(*json.loads(sys.argv[2]))
    else:
        main()
