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

Reports invoices per second and the ratio of the bill run's time to the floor's, prints a
Markdown table and writes var/bench/bill_run.json. Progress goes to stderr. Target (issue 4):
100,000 on PostgreSQL in 60 s or less, peak memory under 300 MB at both sizes.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
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


def run_timed(commands: list[list[str]], database_url: str) -> tuple[float, float]:
    """Start the commands at once, wait for all; (seconds, largest peak RSS in MB)."""
    started = time.perf_counter()
    children = [
        subprocess.Popen(command, cwd=ROOT, env=child_env(database_url)) for command in commands
    ]
    peak_kb = 0
    for child in children:
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"{commands[0][2:]} failed with {child.returncode}")
        peak_kb = max(peak_kb, usage.ru_maxrss)  # kilobytes on Linux
    return time.perf_counter() - started, peak_kb / 1024


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

    def copy(self, source: str, label: str) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "bench_bill_{label}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "bench_bill_{label}" TEMPLATE "bench_bill_{source}"')
        return self.url(label)


# --- What the children do ------------------------------------------------------------------------


def child_seed(count: int) -> None:
    import django

    django.setup()
    from bench.bill_run_seed import due_moment, seed_subscriptions

    started = time.perf_counter()
    seed_subscriptions(
        count=count,
        due_at=due_moment(DAY),
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
            notified_attempt, followup_due, created_at)
        SELECT s.customer_id, s.id, 'paid', 'INV',
            'INV-2030-' || s.id, 2030, s.id, s.currency, s.tax_rate_bp, s.amount_minor,
            s.amount_minor * s.tax_rate_bp / 10000,
            s.amount_minor + s.amount_minor * s.tax_rate_bp / 10000, 0,
            %(start)s{ts}, %(end)s{ts}, %(day)s{day}, %(due)s{day}, %(now)s{ts},
            c.company, c.address_line1, u.email, c.vat_number, 'CUS-' || c.user_id, false,
            'succeeded', 1, 'issue', %(now)s{ts}, '', '', %(now)s{ts}, 0, '', '', 1, true,
            %(now)s{ts}
        FROM billing_subscription s JOIN accounts_customer c ON c.user_id = s.customer_id
        JOIN accounts_user u ON u.id = c.user_id ORDER BY s.id""",
        """INSERT INTO billing_invoiceline (invoice_id, position, description, quantity,
            unit_amount_minor, amount_minor, tax_minor, period_start, period_end)
        SELECT id, 1, 'Bench Suite · Bench Care, monthly support', 1, subtotal_minor,
            subtotal_minor, tax_minor, period_start, period_end FROM billing_invoice""",
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
    print(json.dumps({"floor_seconds": seconds}))


CHILDREN = {"seed": child_seed, "checkpoint": child_checkpoint, "floor": child_floor}


# --- The benchmark -------------------------------------------------------------------------------


def bill_run_command() -> list[str]:
    return [
        sys.executable,
        str(ROOT / "manage.py"),
        "bill_run",
        f"--date={DAY}",
        "--progress-every=10000",
    ]


def measure(database, count: int, workers_options: list[int]) -> list[dict]:
    say(f"{database.name}, {count} subscriptions: migrating and seeding")
    seed = database.fresh(f"seed_{count}")
    run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], seed)
    run([sys.executable, __file__, "seed", str(count)], seed)
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
    floor_seconds = json.loads(floor.stdout.strip().splitlines()[-1])["floor_seconds"]
    for workers in workers_options:
        url = database.copy(f"seed_{count}", f"run_{count}_{workers}")
        say(f"{database.name} {count}: bill run with {workers} process(es)")
        seconds, rss = run_timed([bill_run_command() for _ in range(workers)], url)
        result = {
            "database": database.name,
            "subscriptions": count,
            "processes": workers,
            "seconds": round(seconds, 1),
            "invoices_per_second": round(count / seconds),
            "peak_rss_mb": round(rss),
            "floor_seconds": round(floor_seconds, 2),
            "floor_invoices_per_second": round(count / floor_seconds),
            "ratio_to_floor": round(seconds / floor_seconds, 1),
        }
        say(json.dumps(result))
        results.append(result)
    return results


def table(results: list[dict]) -> str:
    lines = [
        "| database | subscriptions | processes | bill run | invoices/s | peak RSS | floor | "
        "floor invoices/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['subscriptions']:,} | {r['processes']} | {r['seconds']} s | "
            f"{r['invoices_per_second']:,} | {r['peak_rss_mb']} MB | {r['floor_seconds']} s | "
            f"{r['floor_invoices_per_second']:,} | {r['ratio_to_floor']}x |"
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
    options = parser.parse_args()
    results = []
    load_before = os.getloadavg()
    for name in options.databases:
        database = Sqlite() if name == "sqlite" else Postgres(options.postgres)
        workers = options.workers if name == "postgres" else [1]  # SQLite has one writer
        for count in options.sizes:
            results.extend(measure(database, count, workers))
    report = {
        "results": results,
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
