"""Benchmark: 1,000 business events to a local webhook receiver, the worker as in production.

    .venv/bin/python bench/webhook_delivery.py --events 1000 --task-workers 1 2

For each run: a fresh PostgreSQL database (bench_hooks, or --database-name), migrated, with an
admin and --events customer accounts. This process starts a real HTTP receiver on loopback (a
thread) that verifies every request's signature with the `standardwebhooks` library, registers
it as an endpoint for `customer.created` through the service the admin pages call, and starts
`manage.py run_worker` (--task-workers of them) with the product's schedule
(settings.WORKER_PERIODIC_TASKS: the audit sealer every 5 s, `webhooks_dispatch_task` every 2 s,
`webhooks_deliver_task`, which seals and dispatches before each round, every second). Then --events
business writes at --rate per second (open loop, --concurrency threads): `customer_create`, the
service sign-up calls, one transaction each with its audit entry.

Per event, from the moments recorded: the commit (this process, right after the service's
transaction returned), the seal (the audit chain head's `sealed_at` of the pass that sealed the
entry, read by a 10 ms poller), the dispatch (the delivery row's `created_at`) and the receipt
(the receiver, after verifying). Reports end to end (commit to receipt) and its parts (commit to
seal, seal to receipt, and within that seal to dispatch and dispatch to receipt), each p50/p95/
p99/max; throughput is events / (last receipt - first commit). Writes
var/bench/webhook_delivery.json; progress to stderr.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stats import percentiles  # noqa: E402 (ROOT on the path first)

RESULT = ROOT / "var" / "bench" / "webhook_delivery.json"
WORK = ROOT / "var" / "bench" / "webhooks"


def say(message: str) -> None:
    print(f"[webhook_delivery bench] {message}", file=sys.stderr, flush=True)


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        # The receiver is on loopback, over plain HTTP: allowed for local testing only.
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
        "WEBHOOKS_ALLOW_HTTP": "1",
    }


def fresh_database(server: str, database: str) -> str:
    import psycopg

    admin = urlparse(server)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{server.rstrip('/')}/{database}"


# --- the measuring child (runs with the database's settings) --------------------------------------


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: with several requests arriving at once the
    # kernel drops the excess connections and the sender's SYN is retried a second later,
    # which a real receiver (nginx: 511) would not do.
    request_queue_size = 128


class Receiver:
    """A real HTTP server on loopback: verifies each request as an integrator would, and notes
    when each event arrived (the first time, by webhook-id)."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.arrived: dict[str, float] = {}
        self.duplicates = 0
        self.unverified = 0
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        from standardwebhooks import Webhook
        from standardwebhooks.exceptions import WebhookVerificationError

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.unverified += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                moment = time.time()
                with receiver.lock:
                    if headers["webhook-id"] in receiver.arrived:
                        receiver.duplicates += 1
                    else:
                        receiver.arrived[headers["webhook-id"]] = moment
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler


class SealWatcher:
    """Polls the audit chain head every 10 ms: (seq, sealed_at) of each sealing pass seen. An
    entry's seal is the first pass seen whose head reached its seq (a pass that sealed in several
    batches within 10 ms is seen as its last batch: its time is then a little late)."""

    def __init__(self) -> None:
        self.heads: list[tuple[int, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from django.db import connection

        from onboarding.audit.models import AuditChainHead

        while not self.stop.is_set():
            head = AuditChainHead.objects.values_list("seq", "sealed_at").first()
            if head and (not self.heads or head[0] != self.heads[-1][0]):
                self.heads.append((head[0], head[1].timestamp()))
            self.stop.wait(0.01)
        connection.close()

    def sealed_at(self, seq: int) -> float | None:
        return next((moment for head, moment in self.heads if head >= seq), None)


def measure(count: int, rate: float, concurrency: int, timeout: float, workers: int) -> None:
    import django

    django.setup()
    from django.db import close_old_connections, connections

    from onboarding.accounts.models import User
    from onboarding.accounts.services import customer_create
    from onboarding.audit.models import AuditEntry
    from onboarding.core.roles import Role
    from onboarding.webhooks.models import WebhookDelivery
    from onboarding.webhooks.services import endpoint_create
    from onboarding.worker.models import WorkerHeartbeat

    say(f"seeding an admin and {count} customer accounts")
    admin = User.objects.create_user("admin@bench-hooks.test", None, role=Role.ADMIN)
    User.objects.bulk_create(
        User(email=f"c{n}@bench-hooks.test", role=Role.CUSTOMER, password="!") for n in range(count)
    )
    users = list(User.objects.filter(role=Role.CUSTOMER).order_by("pk"))
    receiver = Receiver()
    made = endpoint_create(
        actor=admin,
        url=f"http://127.0.0.1:{receiver.port}/hooks",
        description="bench receiver",
        event_types=["customer.created"],
    )
    receiver.secret = made.secret
    WORK.mkdir(parents=True, exist_ok=True)
    processes = []
    for n in range(workers):
        log = (WORK / f"worker{n}.log").open("w")
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker"],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    committed: dict[int, float] = {}  # customer id -> the moment its transaction returned
    lock = threading.Lock()

    def write(user) -> None:
        try:
            customer = customer_create(user=user)
            moment = time.time()
            with lock:
                committed[customer.pk] = moment
        finally:
            connections.close_all()

    watcher = None
    try:
        # The workers' start-up (imports, first heartbeat) is not part of any sample.
        while WorkerHeartbeat.objects.count() < workers:
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"a worker exited; see {WORK}")
            time.sleep(0.1)
        watcher = SealWatcher()
        say(f"{workers} worker(s): {count} events at {rate}/s")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = []
            for index, user in enumerate(users):
                pause = started + index / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # the arrival schedule, not a wait for work
                futures.append(pool.submit(write, user))
            for future in futures:
                future.result()
        deadline = time.monotonic() + timeout
        while len(receiver.arrived) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(receiver.arrived)} of {count} events received")
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"a worker exited; see {WORK}")
            time.sleep(0.2)  # waiting for the outcome; the samples come from recorded moments
    finally:
        if watcher:
            watcher.stop.set()
            watcher.thread.join()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        receiver.server.shutdown()
    close_old_connections()
    entries = AuditEntry.objects.filter(
        action="customer.created", object_id__in=[str(pk) for pk in committed]
    ).values_list("pk", "object_id", "seq")
    dispatched = dict(WebhookDelivery.objects.values_list("webhook_id", "created_at").order_by())
    attempts = list(WebhookDelivery.objects.values_list("attempts", flat=True))
    parts: dict[str, list[float]] = {
        "end_to_end": [],
        "commit_to_seal": [],
        "seal_to_receipt": [],
        "seal_to_dispatch": [],
        "dispatch_to_receipt": [],
    }
    for entry_id, object_id, seq in entries:
        webhook_id = f"evt_{entry_id}"
        commit, received = committed[int(object_id)], receiver.arrived[webhook_id]
        sealed, queued = watcher.sealed_at(seq), dispatched[webhook_id].timestamp()
        parts["end_to_end"].append((received - commit) * 1000)
        parts["commit_to_seal"].append((sealed - commit) * 1000)
        parts["seal_to_receipt"].append((received - sealed) * 1000)
        parts["seal_to_dispatch"].append((queued - sealed) * 1000)
        parts["dispatch_to_receipt"].append((received - queued) * 1000)
    span = max(receiver.arrived.values()) - min(committed.values())
    print(
        json.dumps(
            {
                "events": len(parts["end_to_end"]),
                "received": len(receiver.arrived),
                "duplicates": receiver.duplicates,
                "unverified": receiver.unverified,
                "attempts_total": sum(attempts),
                "span_s": round(span, 2),
                "throughput_per_s": round(len(receiver.arrived) / span, 1),
                "writes_s": round(max(committed.values()) - min(committed.values()), 2),
                **{name: percentiles(samples) for name, samples in parts.items()},
            }
        )
    )


# --- the parent -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="business writes per second")
    parser.add_argument("--concurrency", type=int, default=4, help="writing threads")
    parser.add_argument("--task-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-name", default="bench_hooks")
    args = parser.parse_args()
    results = []
    for workers in args.task_workers:
        env = env_for(fresh_database(args.postgres, args.database_name))
        say(f"{workers} worker(s): migrating")
        for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
        settings = [args.events, args.rate, args.concurrency, args.timeout, workers]
        child = subprocess.run(
            [sys.executable, __file__, "measure", json.dumps(settings)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(child.stderr)
        if child.returncode:
            raise SystemExit(f"{workers} worker(s): the measuring child failed")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        load = os.getloadavg()[0]
        results.append({"workers": workers, "load_1min": round(load, 2), **figures})
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2))
    print(f"{args.events} events written at {args.rate}/s ({args.concurrency} threads)")
    print(
        "| workers | received | events/s | end to end p50 / p95 / p99 / max "
        "| commit to seal p50 / p99 | seal to receipt p50 / p95 / p99 "
        "| seal to dispatch p50 / p99 | dispatch to receipt p50 / p99 | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        e, c, s = r["end_to_end"], r["commit_to_seal"], r["seal_to_receipt"]
        d, q = r["seal_to_dispatch"], r["dispatch_to_receipt"]
        print(
            f"| {r['workers']} | {r['received']}/{r['events']} | {r['throughput_per_s']} | "
            f"{e['p50_ms']} / {e['p95_ms']} / {e['p99_ms']} / {e['max_ms']} ms | "
            f"{c['p50_ms']} / {c['p99_ms']} ms | "
            f"{s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} ms | "
            f"{d['p50_ms']} / {d['p99_ms']} ms | {q['p50_ms']} / {q['p99_ms']} ms | "
            f"{r['load_1min']} |"
        )
    for r in results:
        print(
            f"  {r['workers']} worker(s): {r['duplicates']} duplicates, {r['unverified']} "
            f"unverified, {r['attempts_total']} attempts, writes took {r['writes_s']} s, "
            f"first commit to last receipt {r['span_s']} s"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure(*json.loads(sys.argv[2]))
    else:
        main()
