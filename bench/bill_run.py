"""Benchmark: the bill run at N subscriptions on SQLite and PostgreSQL, beside the floor.

    .venv/bin/python bench/bill_run.py --sizes 10000 100000 --databases sqlite postgres

For each database and size N:

1. A seeded database: N customers, each with a sandbox card and a monthly subscription due on
   the run's day (bench/bill_run_seed.py). Seeded once, then copied (a file copy for SQLite,
   CREATE DATABASE ... TEMPLATE for PostgreSQL), so every measurement starts from the same rows.
2. The bill run: `manage.py bill_run --date D` as a child process, timed from start to exit,
   its peak memory (maximum resident set) read from the kernel (wait4). With --workers 2 (on
   PostgreSQL) two bill_run processes share the run, as two workers would.
3. The floor: the same rows written by plain SQL through the driver, no application logic: one
   INSERT ... SELECT per table (invoices, their lines, payment attempts, gateway charges, audit
   entries) and one UPDATE of the subscriptions, in one transaction.

4. The check: after each run (and after the floor) the rows are counted in the database: every
   due subscription must have exactly one invoice for the period, paid, with one succeeded
   payment attempt; a shortfall or a duplicate fails the benchmark (a child's exit code alone
   is not trusted).

`--plan-changes P`: P% of the subscriptions changed plan during the period (a downgrade
scheduled for its end, issue 16), so the run applies their new plan and price and publishes
their terms change as it invoices them; the check also counts the changes applied.

Reports invoices per second, the ratio of the bill run's time to the floor's, the 1-minute load
average at the start of each run, and where the CPU went: the bill run's Python (user + system
time of its processes, from wait4) and its PostgreSQL backends (each child reads its own
backend's CPU from /proc/<pid>/stat just before it exits), in milliseconds per invoice, beside
the floor's backend. Prints a Markdown table and writes var/bench/bill_run.json. Progress goes
to stderr. Targets (issue 15, PostgreSQL, 100,000): one process within 4x of the floor, two
within 2.5x; peak memory flat.
"""

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAY = date(2030, 1, 15)
WORK = ROOT / "var" / "bench" / "bill_run"


def say(message: str) -> None:
    print(f"[bill_run bench] {message}", file=sys.stderr, flush=True)


def child_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",  # as in production: no query log
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def run(args: list[str], database_url: str) -> None:
    subprocess.run(args, cwd=ROOT, env=child_env(database_url), check=True)


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    python_cpu_s: float  # user + system time of the children themselves
    backend_cpu_s: float  # what the children's PostgreSQL backends reported (0 on SQLite)


def run_timed(commands: list[list[str]], database_url: str) -> Timed:
    """Start the commands at once, wait for all. Each child writes one JSON line to stdout last
    ({"backend_cpu_s": ...}); everything else it says goes to stderr."""
    started = time.perf_counter()
    children = [
        subprocess.Popen(command, cwd=ROOT, env=child_env(database_url), stdout=subprocess.PIPE)
        for command in commands
    ]
    peak_kb, python_cpu, backend_cpu = 0, 0.0, 0.0
    outputs = [child.stdout.read() for child in children]  # until each child closes it
    for child, output in zip(children, outputs, strict=True):
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"{commands[0][2:]} failed with {child.returncode}")
        peak_kb = max(peak_kb, usage.ru_maxrss)  # kilobytes on Linux
        python_cpu += usage.ru_utime + usage.ru_stime
        backend_cpu += json.loads(output.decode().strip().splitlines()[-1])["backend_cpu_s"]
    return Timed(time.perf_counter() - started, peak_kb / 1024, python_cpu, backend_cpu)


def backend_cpu_seconds() -> float:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, read from
    /proc (the server runs on this machine); 0 on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return proc_cpu_seconds(pid)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process on this machine, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- Databases -----------------------------------------------------------------------------------


class Sqlite:
    name = "sqlite"

    def __init__(self) -> None:
        WORK.mkdir(parents=True, exist_ok=True)

    def url(self, label: str) -> str:
        return f"sqlite:///{WORK / f'{label}.sqlite3'}"

    def fresh(self, label: str) -> str:
        for suffix in ("", "-wal", "-shm"):
            (WORK / f"{label}.sqlite3{suffix}").unlink(missing_ok=True)
        return self.url(label)

    def drop(self, label: str) -> None:
        self.fresh(label)

    def copy(self, source: str, label: str) -> str:
        target = self.fresh(label)
        run([sys.executable, __file__, "checkpoint"], self.url(source))
        shutil.copyfile(WORK / f"{source}.sqlite3", WORK / f"{label}.sqlite3")
        return target


class Postgres:
    name = "postgres"

    def __init__(self, server: str) -> None:
        self.server = server.rstrip("/")

    def url(self, label: str) -> str:
        return f"{self.server}/bench_bill_{label}"

    def _admin(self, sql: str) -> None:
        import psycopg

        admin = urlparse(self.server)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql)

    def fresh(self, label: str) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "bench_bill_{label}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "bench_bill_{label}"')
        return self.url(label)

    def drop(self, label: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "bench_bill_{label}" WITH (FORCE)')

    def copy(self, source: str, label: str) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "bench_bill_{label}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "bench_bill_{label}" TEMPLATE "bench_bill_{source}"')
        return self.url(label)


# --- What the children do ------------------------------------------------------------------------


def child_seed(count: int, plan_changes: int = 0) -> None:
    import django

    django.setup()
    from bench.bill_run_seed import due_moment, seed_subscriptions

    started = time.perf_counter()
    seed_subscriptions(
        count=count,
        due_at=due_moment(DAY),
        changing=100 // plan_changes if plan_changes else 0,
        progress=lambda done: say(f"seeded {done}/{count} ({time.perf_counter() - started:.0f}s)"),
    )


def child_checkpoint() -> None:
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def child_floor() -> None:
    """The rows a bill run writes, by plain SQL on the driver's own connection."""
    import django

    django.setup()
    from django.db import connection

    from bench.bill_run_seed import due_moment
    from onboarding.billing.periods import add_months

    start = due_moment(DAY)
    end = add_months(start, 1)
    ops = connection.ops
    at = ops.adapt_datetimefield_value
    params = {
        "start": at(start),
        "end": at(end),
        "now": at(start),
        "day": ops.adapt_datefield_value(DAY),
        "due": ops.adapt_datefield_value(date(2030, 1, 29)),
    }
    if connection.vendor == "postgresql":
        cast = {"ts": "::timestamptz", "date": "::date", "json": "::jsonb"}
    else:
        cast = {"ts": "", "date": "", "json": ""}
    ts, day, js = cast["ts"], cast["date"], cast["json"]
    statements = [
        # Invoices, numbered in subscription order.
        f"""INSERT INTO billing_invoice (customer_id, subscription_id, status, series, number,
            number_year, number_seq, currency, tax_rate_bp, subtotal_minor, tax_minor, total_minor,
            credited_minor, period_start, period_end, issue_date, due_date, finalized_at,
            bill_to_name, bill_to_address, bill_to_email, bill_to_vat_number, customer_reference,
            is_first,
            payment_state, attempt_count, attempt_source, attempt_reserved_at, last_payment_code,
            last_payment_message, paid_at, dunning_retries, pdf_path, pdf_sha256,
            notified_attempt, followup_due, followup_failures, created_at)
        SELECT s.customer_id, s.id, 'paid', 'INV',
            'INV-2030-' || s.id, 2030, s.id, s.currency, s.tax_rate_bp, s.amount_minor,
            s.amount_minor * s.tax_rate_bp / 10000,
            s.amount_minor + s.amount_minor * s.tax_rate_bp / 10000, 0,
            %(start)s{ts}, %(end)s{ts}, %(day)s{day}, %(due)s{day}, %(now)s{ts},
            c.company, c.address_line1, u.email, c.vat_number, 'CUS-' || c.user_id, false,
            'succeeded', 1, 'issue', %(now)s{ts}, '', '', %(now)s{ts}, 0, '', '', 1, true, 0,
            %(now)s{ts}
        FROM billing_subscription s JOIN accounts_customer c ON c.user_id = s.customer_id
        JOIN accounts_user u ON u.id = c.user_id ORDER BY s.id""",
        """INSERT INTO billing_invoiceline (invoice_id, position, description, quantity,
            unit_amount_minor, amount_minor, tax_rate_bp, tax_minor, period_start, period_end)
        SELECT id, 1, 'Bench Suite · Bench Care, monthly support', 1, subtotal_minor,
            subtotal_minor, tax_rate_bp, tax_minor, period_start, period_end
        FROM billing_invoice""",
        f"""INSERT INTO payments_paymentattempt (customer_id, payment_method_id,
            invoice_reference, description, idempotency_key, amount_minor, currency, status, code,
            message, gateway, gateway_charge_id, created_at, settled_at, reconcile_attempts)
        SELECT i.customer_id, m.id, i.number, 'Invoice ' || i.number,
            'invoice:' || i.number || ':attempt:1', i.total_minor, i.currency, 'succeeded', '',
            '', 'sandbox', 'ch_floor_' || i.id, %(now)s{ts}, %(now)s{ts}, 0
        FROM billing_invoice i JOIN payments_paymentmethod m
            ON m.customer_id = i.customer_id AND m.status = 'active'""",
        f"""INSERT INTO payments_sandboxcharge (charge_id, idempotency_key, token, amount_minor,
            currency, status, code, created_at)
        SELECT a.gateway_charge_id, a.idempotency_key, m.token, a.amount_minor, a.currency,
            'succeeded', '', %(now)s{ts}
        FROM payments_paymentattempt a
        JOIN payments_paymentmethod m ON m.id = a.payment_method_id""",
        *(
            f"""INSERT INTO audit_auditentry (occurred_at, actor_email, actor_role, action, outcome,
                object_type, object_id, customer_id, changes, message, request_id, client_ip)
            SELECT %(now)s{ts}, '', '', '{action}', 'success', '{object_type}', {object_id},
                customer_id, '{{"n": 1}}'{js}, {message}, '', ''
            FROM {table}"""
            for action, object_type, object_id, message, table in (
                ("invoice.issued", "billing.invoice", "id", "number", "billing_invoice"),
                (
                    "payment.succeeded",
                    "payments.paymentattempt",
                    "id",
                    "invoice_reference",
                    "payments_paymentattempt",
                ),
                ("invoice.paid", "billing.invoice", "id", "number", "billing_invoice"),
            )
        ),
        f"""UPDATE billing_subscription SET current_period_start = %(start)s{ts},
            current_period_end = %(end)s{ts}, next_invoice_at = %(end)s{ts}""",
    ]
    raw = connection.cursor().connection  # the driver's own connection, no Django in between
    backend_before = backend_cpu_seconds()
    started = time.perf_counter()
    cursor = raw.cursor()
    for statement in statements:
        if connection.vendor == "postgresql":
            cursor.execute(statement, params)
        else:
            named = statement.replace("%(", ":").replace(")s", "")
            cursor.execute(named, params)
    raw.commit()
    seconds = time.perf_counter() - started
    say(f"floor wrote its rows in {seconds:.2f}s")
    print(
        json.dumps(
            {"floor_seconds": seconds, "backend_cpu_s": backend_cpu_seconds() - backend_before}
        )
    )


def child_bill_run(loops: int, batch_size: int) -> None:
    """`manage.py bill_run` as the operator runs it (Django start-up and checks included), then
    one JSON line: the CPU its PostgreSQL backends used. Each connection's backend is noted as
    it opens and its CPU read every 0.2 s until it ends (a loop's connection closes with the
    loop), so up to 0.2 s of a closed backend's last moments can be missed."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    last_seen: dict[int, float] = {}
    done = threading.Event()

    def noted(sender, connection, **kwargs) -> None:
        if connection.vendor == "postgresql":
            with connection.connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                last_seen[cursor.fetchone()[0]] = 0.0

    def sample() -> None:
        while not done.wait(0.2):
            for pid in list(last_seen):
                with contextlib.suppress(OSError):
                    last_seen[pid] = proc_cpu_seconds(pid)

    connection_created.connect(noted)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    options = [f"--date={DAY}", "--progress-every=10000", f"--loops={loops}"]
    if batch_size:
        options.append(f"--batch-size={batch_size}")
    call_command("bill_run", *options, stdout=sys.stderr)
    done.set()
    sampler.join()
    for pid in last_seen:  # the ones still open: read them once more
        with contextlib.suppress(OSError):
            last_seen[pid] = proc_cpu_seconds(pid)
    print(json.dumps({"backend_cpu_s": sum(last_seen.values())}), flush=True)


def child_count() -> None:
    """Count what a run left for the day's period, from the database: one JSON line."""
    import django

    django.setup()
    from django.db.models import Count, Q

    from bench.bill_run_seed import due_moment
    from onboarding.billing.models import Invoice, Subscription
    from onboarding.payments.models import PaymentAttempt

    start = due_moment(DAY)
    invoices = Invoice.objects.filter(period_start=start).aggregate(
        issued=Count("id"),
        paid=Count("id", filter=Q(status="paid")),
        subscriptions=Count("subscription_id", distinct=True),
    )
    figures = {
        "due": Subscription.objects.count(),
        **invoices,
        "succeeded_attempts": PaymentAttempt.objects.filter(
            status="succeeded",
            invoice_reference__in=Invoice.objects.filter(period_start=start).values("number"),
        ).count(),
        "subscriptions_moved": Subscription.objects.filter(current_period_start=start).count(),
        # Scheduled plan changes the run did not apply, and those it applied (plan and price).
        "changes_left": Subscription.objects.filter(pending_plan__isnull=False).count(),
        "changes_applied": Subscription.objects.filter(plan__slug="bench-care-lite").count(),
    }
    print(json.dumps(figures))


CHILDREN = {
    "seed": child_seed,
    "checkpoint": child_checkpoint,
    "floor": child_floor,
    "bill_run": child_bill_run,
    "count": child_count,
}


# --- The benchmark -------------------------------------------------------------------------------


def bill_run_command(loops: int, batch_size: int) -> list[str]:
    return [sys.executable, __file__, "bill_run", str(loops), str(batch_size)]


def counted(database_url: str, label: str, *, run: bool = True) -> dict:
    """Count the run's rows in the database and fail on any shortfall or duplicate."""
    output = subprocess.run(
        [sys.executable, __file__, "count"],
        cwd=ROOT,
        env=child_env(database_url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    due = figures["due"]
    wanted = {
        "issued": due,
        "paid": due,
        "subscriptions": due,
        "succeeded_attempts": due,
        "subscriptions_moved": due,
    }
    if run:  # the floor writes the period's rows only; a run applies the scheduled changes too
        wanted["changes_left"] = 0
    wrong = {name: (figures[name], n) for name, n in wanted.items() if figures[name] != n}
    if wrong:
        shown = ", ".join(f"{name} {got} (expected {n})" for name, (got, n) in wrong.items())
        raise SystemExit(f"{label}: the database does not hold what the run claims: {shown}")
    say(
        f"{label}: counted {figures['issued']} invoices issued and paid for {due} due, "
        f"{figures['changes_applied']} plan changes applied"
    )
    return figures


def measure(
    database,
    count: int,
    workers_options: list[int],
    loops_options: list[int],
    batch_size: int,
    plan_changes: int = 0,
) -> list[dict]:
    say(f"{database.name}, {count} subscriptions: migrating and seeding")
    seed = database.fresh(f"seed_{count}")
    run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], seed)
    run([sys.executable, str(ROOT / "manage.py"), "createcachetable"], seed)  # as deployed
    run([sys.executable, __file__, "seed", str(count), str(plan_changes)], seed)
    results = []
    floor_url = database.copy(f"seed_{count}", f"floor_{count}")
    floor = subprocess.run(
        [sys.executable, __file__, "floor"],
        cwd=ROOT,
        env=child_env(floor_url),
        check=True,
        capture_output=True,
        text=True,
    )
    floor_figures = json.loads(floor.stdout.strip().splitlines()[-1])
    floor_seconds = floor_figures["floor_seconds"]
    counted(floor_url, f"{database.name} {count} floor", run=False)
    runs = [(workers, loops) for workers in workers_options for loops in loops_options]
    for workers, loops in runs:
        url = database.copy(f"seed_{count}", f"run_{count}_{workers}_{loops}")
        say(f"{database.name} {count}: bill run with {workers} process(es) x {loops} loop(s)")
        load = os.getloadavg()[0]
        timed = run_timed([bill_run_command(loops, batch_size) for _ in range(workers)], url)
        rows = counted(url, f"{database.name} {count} x{workers} x{loops}")
        database.drop(f"run_{count}_{workers}_{loops}")
        result = {
            "database": database.name,
            "subscriptions": count,
            "processes": workers,
            "loops_per_process": loops,
            "batch_size": batch_size or None,
            "seconds": round(timed.seconds, 1),
            "invoices_per_second": round(count / timed.seconds),
            "peak_rss_mb": round(timed.peak_rss_mb),
            "floor_seconds": round(floor_seconds, 2),
            "floor_invoices_per_second": round(count / floor_seconds),
            "ratio_to_floor": round(timed.seconds / floor_seconds, 1),
            "load_average_1m_at_start": round(load, 2),
            "invoices_counted": rows["issued"],
            "paid_counted": rows["paid"],
            # Milliseconds of CPU per invoice: the bill run's processes (Python, start-up
            # included), their PostgreSQL backends, and the floor's backend.
            "python_cpu_ms_per_invoice": round(timed.python_cpu_s / count * 1000, 3),
            "backend_cpu_ms_per_invoice": round(timed.backend_cpu_s / count * 1000, 3),
            "floor_backend_cpu_ms_per_invoice": round(
                floor_figures["backend_cpu_s"] / count * 1000, 3
            ),
        }
        say(json.dumps(result))
        results.append(result)
    return results


def table(results: list[dict]) -> str:
    lines = [
        "| database | subscriptions | processes x loops | bill run | invoices/s | peak RSS | "
        "floor | floor invoices/s | ratio | invoices paid (counted) | Python CPU ms/invoice | "
        "PostgreSQL CPU ms/invoice | floor's PostgreSQL CPU ms/invoice | load at start |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['subscriptions']:,} | {r['processes']} x "
            f"{r['loops_per_process']} | {r['seconds']} s | "
            f"{r['invoices_per_second']:,} | {r['peak_rss_mb']} MB | {r['floor_seconds']} s | "
            f"{r['floor_invoices_per_second']:,} | {r['ratio_to_floor']}x | "
            f"{r['paid_counted']:,} | {r['python_cpu_ms_per_invoice']} | "
            f"{r['backend_cpu_ms_per_invoice']} | {r['floor_backend_cpu_ms_per_invoice']} | "
            f"{r['load_average_1m_at_start']} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        handler = CHILDREN[sys.argv[1]]
        handler(*(int(a) for a in sys.argv[2:]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="bill_run processes (PostgreSQL)"
    )
    parser.add_argument(
        "--loops",
        type=int,
        nargs="+",
        default=[1],
        help="claim-and-charge loops per bill_run process (bill_run --loops; PostgreSQL)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=0, help="bill_run --batch-size (0: the setting)"
    )
    parser.add_argument(
        "--plan-changes",
        type=int,
        default=0,
        choices=range(0, 101),
        metavar="PERCENT",
        help="subscriptions with a plan change scheduled for the period's end (issue 16)",
    )
    options = parser.parse_args()
    results = []
    load_before = os.getloadavg()
    for name in options.databases:
        database = Sqlite() if name == "sqlite" else Postgres(options.postgres)
        # SQLite has one writer: one process, one loop.
        workers = options.workers if name == "postgres" else [1]
        loops = options.loops if name == "postgres" else [1]
        for count in options.sizes:
            results.extend(
                measure(database, count, workers, loops, options.batch_size, options.plan_changes)
            )
    report = {
        "results": results,
        "plan_changes_percent": options.plan_changes,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "children_cpu_seconds": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime, 1),
    }
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "bench" / "bill_run.json").write_text(json.dumps(report, indent=2))
    print(table(results))
    print(
        f"\nCPUs: {report['cpus']}, load average before {report['load_average_before']}, "
        f"after {report['load_average_after']}"
    )


if __name__ == "__main__":
    main()
