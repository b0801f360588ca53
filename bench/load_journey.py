"""Benchmark: many customers going through the onboarding journey at once, under locust.

    .venv/bin/python bench/load_journey.py --users 50 --run-time 90

Against the system as it runs in production: gunicorn (workers with threads) on PostgreSQL, the
task worker and the outbox relay running beside it, the cache in Redis. Each run:

1. Creates the PostgreSQL database `bench_load` afresh (DATABASE_URL names another), migrates it
   and seeds it (child process `seed`): the demo catalog, --customers customers who have signed
   up and verified their address (profile complete, no card, no plan), and --sysops SysOps
   users with a TOTP authenticator. Empties its own Redis database (--redis-url).
2. Starts gunicorn (--web-workers), `manage.py run_worker` (--task-workers) and
   `manage.py run_relay`, and waits for /readyz.
3. Runs bench/locustfile.py headless: customers who sign up (address verified from the email
   the relay delivered) or sign in, look at pricing, add a sandbox test card, buy a plan, wait
   for the first invoice the worker issues and charges, pay it if the card failed, download it,
   wait for the contract, read and acknowledge it, read the inbox, sign out, and start over as
   the next customer; and SysOps users (password and TOTP) searching and opening the full
   customer view. Each simulated person connects from its own loopback address, so the
   per-address rate limits count per person, as they would in production.
4. Collects what the server side did (child process `collect`): purchases, invoices, payments,
   contracts, deliveries, admin alerts, failed tasks and dead deliveries, and what was still
   queued at the end; each purchase's wait for its first charge to settle (purchase to the
   gateway's answer recorded, from the database); the CPU time of each process, PostgreSQL's
   for the whole cluster from /proc (closed connections included) and this database's active
   time from pg_stat_database; the load average during the run; ERROR lines in the servers'
   logs.

Prints per page/endpoint: requests, failures, 5xx, p50/p95/p99/max (nearest rank, exact, from
every response), and throughput; beside the failed requests, the failed journeys (a PDF that is
not a PDF, a payment that did not pay, counted apart when every request of the journey
succeeded); writes it all to var/bench/load_journey.json. Progress goes to stderr. Exits 1, its
verdict line saying why, on any failed request, failed journey or ERROR line in a server log.
Targets (issue 15, 50 people): p95 under 300 ms but sign-in and sign-up, 0 errors, the first
invoice charged within 2 s of the purchase at p95.
"""

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench" / "load"
RESULT = ROOT / "var" / "bench" / "load_journey.json"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/bench_load"
PASSWORD = "Lantern orchard 4817 quietly"
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"[load bench] {message}", file=sys.stderr, flush=True)


def child_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",  # as in production: no query log, no template debug information
        "LOG_LEVEL": "WARNING",  # no access-log line per request
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    # Nearest rank: the smallest sample with at least p% of the samples at or below it.
    index = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 50), 1),
        "p95": round(percentile(samples, 95), 1),
        "p99": round(percentile(samples, 99), 1),
        "max": round(max(samples), 1),
        "mean": round(statistics.fmean(samples), 1),
    }


# --- Children: seeding and collecting, with Django set up on the bench database ----------------


def customer_rows(count: int) -> list[dict]:
    """The seeded customers' names, from the same generator as the SysOps benchmark's seed."""
    from bench.customer_view_seed import Names

    names = Names()
    rows = []
    for i in range(1, count + 1):
        first, last = names.person(i)
        rows.append(
            {"email": names.email(i), "first": first, "last": last, "company": names.company(i)}
        )
    return rows


def child_seed(customers: int, sysops: int, plan_file: Path) -> None:
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from onboarding.accounts.models import Customer, PreferredInbox, User
    from onboarding.accounts.services import customer_create, customer_profile_update
    from onboarding.catalog.models import Plan
    from onboarding.core.roles import Role
    from onboarding.demo.services import demo_data_load

    started = time.perf_counter()
    demo_data_load()  # the catalog, as `make run` has it (and the demo logins)
    hashed = make_password(PASSWORD)  # one Argon2 hash for every seeded account: seeding is fast
    rows = customer_rows(customers)
    inboxes = [PreferredInbox.IN_APP, PreferredInbox.EMAIL]
    users = User.objects.bulk_create(
        User(
            email=row["email"],
            role=Role.CUSTOMER,
            first_name=row["first"],
            last_name=row["last"],
            preferred_inbox=inboxes[i % 2],
            password=hashed,
        )
        for i, row in enumerate(rows)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    # Customer records and profiles through the product's own services: journey, audit trail.
    for start in range(0, len(users), 100):
        with transaction.atomic():
            for user, row in zip(
                users[start : start + 100], rows[start : start + 100], strict=True
            ):
                customer_profile_update(
                    customer=customer_create(user=user),
                    actor=user,
                    profile={
                        "company": row["company"],
                        "address_line1": f"{len(row['last'])} Harbour Street",
                        "city": "Bristol",
                        "postal_code": "BS1 4DJ",
                        "country": "GB",
                    },
                )
        say(f"seeded {min(start + 100, len(users))}/{len(users)} customers")
    staff = []
    for n in range(sysops):
        user = User.objects.create_user(
            f"sysops{n}@bench-load.test",
            PASSWORD,
            role=Role.SYSOPS,
            first_name="Bench",
            last_name=f"Sysops {n}",
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        staff.append({"email": user.email, "secret": secret})
    plans = [
        {"slug": plan.slug, "cycles": sorted(plan.prices.values_list("cycle", flat=True))}
        for plan in Plan.objects.filter(is_active=True).prefetch_related("prices")
        if plan.prices.exists()
    ]
    plan_file.write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "customers": rows,
                "sysops": staff,
                "plans": plans,
                "surnames": sorted({row["last"] for row in rows}),
                "seeded_customers": Customer.objects.count(),
            },
            indent=1,
        )
    )
    say(f"seeded in {time.perf_counter() - started:.1f}s")


def child_collect(since: float, out: Path) -> None:
    """What the server side did during the run, read from the database."""
    import django

    django.setup()
    from datetime import UTC, datetime

    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from onboarding.alerts.models import AdminAlert
    from onboarding.billing.models import Invoice, Subscription
    from onboarding.contracts.models import Contract, ContractAcceptance
    from onboarding.notifications.models import OutboxMessage, SentMail

    start = datetime.fromtimestamp(since, tz=UTC)
    figures = {
        "purchase_to_first_charge_ms": purchase_to_first_charge(start),
        "subscriptions": Subscription.objects.filter(purchased_at__gte=start).count(),
        "invoices": dict(
            Invoice.objects.filter(created_at__gte=start)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "invoices_with_pdf": Invoice.objects.filter(created_at__gte=start)
        .exclude(pdf_path="")
        .count(),
        "contracts": Contract.objects.filter(created_at__gte=start).count(),
        "contracts_with_document": Contract.objects.filter(
            created_at__gte=start, documents__isnull=False
        )
        .distinct()
        .count(),
        "acknowledgements": ContractAcceptance.objects.filter(accepted_at__gte=start).count(),
        "emails_sent": SentMail.objects.filter(sent_at__gte=start).count(),
        "outbox": dict(
            OutboxMessage.objects.filter(created_at__gte=start)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "tasks": dict(
            DBTaskResult.objects.filter(enqueued_at__gte=start)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "alerts": dict(
            AdminAlert.objects.filter(first_seen_at__gte=start)
            .values_list("reason")
            .annotate(n=Count("id"))
            .order_by()
        ),
    }
    out.write_text(json.dumps(figures, indent=1, default=str))


def purchase_to_first_charge(start) -> dict:
    """For each subscription bought during the run: from the purchase (the subscription's
    purchased_at) to its first invoice's first charge settled (the gateway's answer recorded,
    paid or declined), as the database has them, with no polling in between. Subscriptions whose
    first charge had not settled when the run was collected are counted apart."""
    from onboarding.billing.models import Invoice, Subscription
    from onboarding.payments.models import PaymentAttempt

    purchased = dict(
        Subscription.objects.filter(purchased_at__gte=start).values_list("pk", "purchased_at")
    )
    first = dict(
        Invoice.objects.filter(subscription_id__in=purchased, is_first=True).values_list(
            "number", "subscription_id"
        )
    )
    settled = PaymentAttempt.objects.filter(
        idempotency_key__in=[f"invoice:{number}:attempt:1" for number in first],
        settled_at__isnull=False,
    ).values_list("invoice_reference", "settled_at")
    waits = [(at - purchased[first[number]]).total_seconds() * 1000 for number, at in settled]
    return {**summary(waits), "not_charged": len(purchased) - len(waits)}


# --- The run ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_fresh(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def redis_empty(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()  # the bench's own database number only


def wait_ready(base: str, processes: dict[str, subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}; see {WORK}/{name}.log")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError as error:
            last = str(error)
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready after {timeout:.0f}s: {last}")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its living children (gunicorn's workers)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        total = sum(parent.cpu_times()[:2])
        for child in parent.children(recursive=True):
            total += sum(child.cpu_times()[:2])
        return total
    except psutil.Error:
        return 0.0


def postgres_cluster_cpu(url: str) -> float:
    """CPU seconds the whole PostgreSQL cluster has used, from /proc (the server runs on this
    machine): the postmaster, every process it has now, and, through the postmaster's
    cutime/cstime, every process it has reaped, so connections closed during the run (gunicorn's
    CONN_MAX_AGE ends them) count too. The cluster is the machine's one server: other databases'
    work on it counts as well, so read it on an otherwise quiet server."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        data = connection.execute("SHOW data_directory").fetchone()[0]
    postmaster = int(Path(data, "postmaster.pid").read_text().split("\n", 1)[0])
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    fields = stat(postmaster)
    # After the ")": state is [0], utime [11], stime [12], cutime [13], cstime [14].
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
        with contextlib.suppress(OSError):  # it may end while we look
            fields = stat(int(child))
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def postgres_database_active(url: str) -> float:
    """Seconds the server spent running statements for this database, closed sessions included
    (pg_stat_database.active_time, PostgreSQL 14+): wall time in the active state, not CPU."""
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_force_next_flush()")
        row = connection.execute(
            "SELECT active_time FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return (row[0] or 0.0) / 1000


def postgres_cpu(url: str) -> float:
    """CPU seconds of the PostgreSQL backends serving the bench database right now."""
    import psutil
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as connection:
        pids = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
        ]
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += sum(psutil.Process(pid).cpu_times()[:2])
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return (total - idle) / ticks, total / ticks


class LoadSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(5):
            self.samples.append(os.getloadavg()[0])


def error_lines(path: Path, offset: int) -> list[str]:
    """ERROR and CRITICAL lines and tracebacks a server logged after `offset` (the run's start)."""
    found = []
    with path.open(errors="replace") as log:
        log.seek(offset)
        text = log.read()
    for line in text.splitlines():
        if re.search(r'"level":\s*"(ERROR|CRITICAL)"|Traceback|\[ERROR\]|CRITICAL', line):
            found.append(line[:400])
    return found


def relay_output(stream, log) -> None:
    for line in stream:
        log.write(line)
        if line.startswith("[locust]") or re.search(r"Error|Traceback|WARNING|CRITICAL", line):
            print(line, end="", file=sys.stderr, flush=True)


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for name, process in processes.items():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop on SIGTERM; killing it")
            process.kill()
            process.wait()


def endpoint_table(samples: list[dict], window: float) -> dict[str, dict]:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for sample in samples:
        by_name[sample["name"]].append(sample)
    table = {}
    for name, rows in by_name.items():
        figures = summary([row["ms"] for row in rows])
        figures["failures"] = sum(1 for row in rows if row["error"])
        figures["status_5xx"] = sum(1 for row in rows if row["status"] >= 500)
        figures["rps"] = round(len(rows) / window, 2)
        table[name] = figures
    return dict(sorted(table.items(), key=lambda item: item[1].get("order", 0) or item[0]))


def measure(args: argparse.Namespace) -> dict:
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database of its own (it is dropped).")
    WORK.mkdir(parents=True, exist_ok=True)
    extra = {}
    if args.redis_url:
        redis_empty(args.redis_url)
        extra["REDIS_URL"] = args.redis_url
    metrics_dir = WORK / "prometheus"
    metrics_dir.mkdir(exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    extra["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    extra["SITE_URL"] = base
    # The relay writes each email whole here (no EMAIL_URL); locust reads verification links here.
    mail_drop = WORK / "mail"
    shutil.rmtree(mail_drop, ignore_errors=True)
    extra["MAIL_DROP_DIR"] = str(mail_drop)
    extra["MAIL_DROP_ECHO"] = "0"
    env = child_env(url, extra)
    plan_file = WORK / "plan.json"

    say(f"creating {urlparse(url).path.lstrip('/')}, migrating, seeding {args.customers} customers")
    database_fresh(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, __file__, "seed", str(args.customers), str(args.sysops), str(plan_file)],
        cwd=ROOT,
        env=env,
        check=True,
    )

    commands = {
        "web": [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "config" / "gunicorn.py"),
            "config.wsgi",
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.web_threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--no-control-socket",
        ],
        **{
            f"worker{n}": [sys.executable, "manage.py", "run_worker"]
            for n in range(args.task_workers)
        },
        "relay": [sys.executable, "manage.py", "run_relay"],
    }
    processes: dict[str, subprocess.Popen] = {}
    logs = {}
    try:
        for name, command in commands.items():
            logs[name] = (WORK / f"{name}.log").open("w")
            processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT
            )
        say(
            f"gunicorn ({args.web_workers} workers x {args.web_threads} threads) on {base}, "
            f"{args.task_workers} task worker(s), 1 relay; waiting for /readyz"
        )
        wait_ready(base, processes)
        # Let the first periodic tasks and the demo customer's bill pass before measuring.
        time.sleep(args.settle)

        offsets = {name: (WORK / f"{name}.log").stat().st_size for name in commands}
        samples_file = WORK / "samples.json"
        samples_file.unlink(missing_ok=True)
        cpu_before = {name: process_tree_cpu(p.pid) for name, p in processes.items()}
        pg_before = postgres_cpu(url)
        pg_cluster_before = postgres_cluster_cpu(url)
        pg_active_before = postgres_database_active(url)
        load_before = os.getloadavg()
        machine_before = machine_cpu()
        sampler = LoadSampler()
        sampler.start()
        started = time.time()
        locust_log = (WORK / "locust.log").open("w")
        locust_command = [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            f"{args.run_time}s",
            "--host",
            base,
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        say(
            f"locust: {args.users} users ({args.sysops_users} SysOps), spawn {args.spawn_rate}/s, "
            f"{args.run_time}s"
        )
        locust = subprocess.Popen(
            locust_command,
            cwd=ROOT,
            env={
                **env,
                "LOAD_PLAN": str(plan_file),
                "LOAD_SAMPLES": str(samples_file),
                "LOAD_SYSOPS_USERS": str(args.sysops_users),
                "LOAD_SIGNUP_SHARE": str(args.signup_share),
                "LOAD_FAILING_CARD_SHARE": str(args.failing_card_share),
                "LOAD_THINK": f"{args.think[0]},{args.think[1]}",
                "LOAD_MAIL_DROP_DIR": str(mail_drop),
            },
            stdout=locust_log,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Everything locust says goes to its log; progress lines and problems also to the terminal.
        echo = threading.Thread(target=relay_output, args=(locust.stderr, locust_log), daemon=True)
        echo.start()
        locust_pid = locust.pid
        locust_cpu = 0.0
        while locust.poll() is None:
            locust_cpu = process_tree_cpu(locust_pid) or locust_cpu
            time.sleep(1)
        sampler.stopped.set()
        echo.join(timeout=10)
        locust_log.close()
        cpu_after = {name: process_tree_cpu(p.pid) for name, p in processes.items()}
        pg_after = postgres_cpu(url)
        pg_cluster_after = postgres_cluster_cpu(url)
        pg_active_after = postgres_database_active(url)
        load_after = os.getloadavg()
        machine_after = machine_cpu()
        if not samples_file.exists():
            raise SystemExit(f"locust wrote no samples (exit {locust.returncode}); see locust.log")

        # Let background work that the run started finish, then read what the server side did.
        drain_started = time.monotonic()
        backlog = queued(url)
        while backlog and time.monotonic() - drain_started < args.drain:
            time.sleep(2)
            backlog = queued(url)
        drained_in = time.monotonic() - drain_started
        collect_file = WORK / "server.json"
        subprocess.run(
            [sys.executable, __file__, "collect", str(started), str(collect_file)],
            cwd=ROOT,
            env=env,
            check=True,
        )
    finally:
        stop(processes)
        for handle in logs.values():
            handle.close()

    recorded = json.loads(samples_file.read_text())
    samples = recorded["requests"]
    window = recorded["stopped_at"] - recorded["started_at"]
    steady = [s for s in samples if s["start"] >= recorded["spawned_at"]]
    steady_window = recorded["stopped_at"] - recorded["spawned_at"]
    status = Counter(str(s["status"]) for s in samples)
    cpu = {
        **{name: round(cpu_after[name] - cpu_before[name], 1) for name in cpu_after},
        # The whole cluster, closed connections included (/proc, the postmaster's reaped
        # children); see postgres_cluster_cpu.
        "postgres": round(pg_cluster_after - pg_cluster_before, 1),
        "locust": round(locust_cpu, 1),
    }
    postgres = {
        "cluster_cpu_s": cpu["postgres"],
        # The old measure, kept beside it: only backends alive at both readings.
        "live_backends_cpu_s": round(pg_after - pg_before, 1),
        "database_active_s": round(pg_active_after - pg_active_before, 1),
    }
    journey_failures = sum(recorded["journey_failures"].values())
    busy = machine_after[0] - machine_before[0]
    capacity = machine_after[1] - machine_before[1]
    return {
        "command": " ".join(["bench/load_journey.py", *sys.argv[1:]]),
        "settings": {
            "users": args.users,
            "sysops_users": args.sysops_users,
            "spawn_rate": args.spawn_rate,
            "run_time_s": args.run_time,
            "think_s": args.think,
            "signup_share": args.signup_share,
            "failing_card_share": args.failing_card_share,
            "web_workers": args.web_workers,
            "web_threads": args.web_threads,
            "task_workers": args.task_workers,
            "seeded_customers": args.customers,
            "redis": bool(args.redis_url),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "load_average_during": {
                "mean": round(statistics.fmean(sampler.samples), 2) if sampler.samples else None,
                "max": max(sampler.samples) if sampler.samples else None,
            },
        },
        "window_s": round(window, 1),
        "requests": len(samples),
        "rps": round(len(samples) / window, 1),
        "steady_rps": round(len(steady) / steady_window, 1) if steady_window > 0 else None,
        "failures": sum(1 for s in samples if s["error"]),
        "journey_failures_total": journey_failures,
        "journey_failures_with_every_request_ok": recorded["journeys"].get(
            "failed_with_every_request_ok", 0
        ),
        "status": dict(sorted(status.items())),
        "failure_messages": dict(
            Counter(s["error"] for s in samples if s["error"]).most_common(20)
        ),
        "all": summary([s["ms"] for s in samples]),
        "endpoints": endpoint_table(samples, window),
        "journeys": recorded["journeys"],
        "journey_failures": recorded["journey_failures"],
        "background_ms": {name: summary(v) for name, v in recorded["background"].items()},
        "cpu_s": cpu,
        "postgres": postgres,
        # Of all the machine's CPU time during the run: how much was busy, and how much of it
        # this benchmark's own processes (servers, PostgreSQL backends, locust) used.
        "machine_cpu_busy_pct": round(100 * busy / capacity, 1),
        "bench_cpu_pct": round(100 * sum(cpu.values()) / capacity, 1),
        "after_run": {"backlog_at_stop": queued_label(backlog), "drained_in_s": round(drained_in)},
        "server": json.loads(collect_file.read_text()),
        "log_errors": {
            name: error_lines(WORK / f"{name}.log", offsets[name])[:20] for name in commands
        },
    }


def queued(url: str) -> dict[str, int]:
    """Background work still waiting: tasks ready or running, outbox rows not yet delivered."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        # django-tasks-db stores "no run_after" as the largest date: such a task is due now.
        tasks = connection.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
            "OR (status = 'READY' AND (run_after <= now() OR run_after >= '9999-01-01'))"
        ).fetchone()[0]
        outbox = connection.execute(
            "SELECT count(*) FROM notifications_outboxmessage "
            "WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()"
        ).fetchone()[0]
    return {"tasks": tasks, "outbox": outbox} if tasks or outbox else {}


def queued_label(backlog: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in backlog.items()) or "nothing"


def report(figures: dict) -> str:
    s = figures["settings"]
    m = figures["machine"]
    lines = [
        f"users: {s['users']} ({s['sysops_users']} SysOps)  run: {s['run_time_s']} s  "
        f"think: {s['think_s'][0]}-{s['think_s'][1]} s  "
        f"gunicorn: {s['web_workers']} workers x {s['web_threads']} threads  "
        f"task workers: {s['task_workers']}",
        f"requests: {figures['requests']} in {figures['window_s']} s = {figures['rps']} req/s "
        f"(after ramp-up {figures['steady_rps']} req/s)  failures: {figures['failures']}  "
        f"journey failures: {figures['journey_failures_total']} "
        f"({figures['journey_failures_with_every_request_ok']} with every request OK)  "
        f"status: {figures['status']}",
        f"load average: {m['load_average_before'][0]:.2f} before, "
        f"{m['load_average_during']['mean']} mean / {m['load_average_during']['max']} max during, "
        f"{m['load_average_after'][0]:.2f} after, on {m['cpus']} CPUs",
        "",
        "| page / endpoint | n | fail | 5xx | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, e in figures["endpoints"].items():
        lines.append(
            f"| {name} | {e['n']} | {e['failures']} | {e['status_5xx']} | {e['rps']} | "
            f"{e['p50']} | {e['p95']} | {e['p99']} | {e['max']} |"
        )
    a = figures["all"]
    lines.append(
        f"| **all** | {a['n']} | {figures['failures']} | "
        f"{sum(e['status_5xx'] for e in figures['endpoints'].values())} | {figures['rps']} | "
        f"{a['p50']} | {a['p95']} | {a['p99']} | {a['max']} |"
    )
    lines += ["", "| background, as the customer saw it | n | p50 ms | p95 ms | max ms |"]
    lines.append("|---|---:|---:|---:|---:|")
    for name, b in figures["background_ms"].items():
        if b["n"]:
            lines.append(f"| {name} | {b['n']} | {b['p50']} | {b['p95']} | {b['max']} |")
    first = figures["server"]["purchase_to_first_charge_ms"]
    if first.get("n"):
        lines.append(
            f"| purchase → first charge settled (server side, from the database) | {first['n']} | "
            f"{first['p50']} | {first['p95']} | {first['max']} |"
        )
    lines.append(f"purchases whose first charge had not settled: {first['not_charged']}")
    pg = figures["postgres"]
    lines += [
        "",
        f"PostgreSQL: {pg['cluster_cpu_s']} CPU-seconds for the whole cluster (/proc, closed "
        f"connections included; {pg['live_backends_cpu_s']} in backends alive at both readings), "
        f"{pg['database_active_s']} s running this database's statements (pg_stat_database)",
        f"journeys: {figures['journeys']}",
        f"journey failures: {figures['journey_failures'] or 'none'}",
        f"server side: {json.dumps(figures['server'])}",
        f"CPU seconds: {figures['cpu_s']}; the machine's CPUs were "
        f"{figures['machine_cpu_busy_pct']}% busy, {figures['bench_cpu_pct']}% with this run",
        f"after the run: {figures['after_run']}",
    ]
    if figures["failure_messages"]:
        lines.append(f"failures: {figures['failure_messages']}")
    errors = {name: len(found) for name, found in figures["log_errors"].items() if found}
    lines.append(f"ERROR lines in server logs: {errors or 'none'}")
    lines.append(f"verdict: {verdict(figures)}")
    return "\n".join(lines)


def verdict(figures: dict) -> str:
    """'ok', or what makes the run fail: failed requests, failed journeys, server errors."""
    problems = []
    if figures["failures"]:
        problems.append(f"{figures['failures']} failed requests")
    if figures["journey_failures_total"]:
        problems.append(f"{figures['journey_failures_total']} failed journeys")
    if any(figures["log_errors"].values()):
        problems.append("ERROR lines in the server logs")
    return "FAILED: " + ", ".join(problems) if problems else "ok"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        child_seed(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "collect":
        child_collect(float(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated people at once")
    parser.add_argument("--sysops-users", type=int, default=5, help="of which SysOps staff")
    parser.add_argument("--spawn-rate", type=float, default=5, help="people started per second")
    parser.add_argument("--run-time", type=int, default=90, help="seconds")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[0.5, 2.0],
        metavar=("MIN", "MAX"),
        help="seconds a person waits between two pages (uniform)",
    )
    parser.add_argument("--signup-share", type=float, default=0.25, help="journeys that sign up")
    parser.add_argument(
        "--failing-card-share",
        type=float,
        default=0.2,
        help="journeys whose first card is accepted but its charge fails (then replaced, paid)",
    )
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--task-workers", type=int, default=1)
    parser.add_argument("--customers", type=int, default=2000, help="seeded customers")
    parser.add_argument("--sysops", type=int, default=10, help="seeded SysOps accounts")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="'' for none")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--settle", type=float, default=5, help="seconds idle before the run")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for backlog")
    args = parser.parse_args()
    if args.sysops_users > args.sysops:
        parser.error(
            "--sysops-users needs as many seeded --sysops accounts (TOTP codes are single-use)"
        )

    figures = measure(args)
    print(report(figures))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(figures, indent=2))
    say(f"wrote {RESULT.relative_to(ROOT)}")
    if verdict(figures) != "ok":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
