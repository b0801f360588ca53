"""Benchmark: each page's throughput beside bare Django's, under wrk.

    .venv/bin/python bench/pages.py                  # wrk -t2 -c16 -d15s per path
    .venv/bin/python bench/pages.py --duration 3     # a quick run
    .venv/bin/python bench/pages.py --only /account  # the paths containing "/account"
    .venv/bin/python bench/pages.py --path / --path /pricing/   # these paths exactly

Needs `wrk` (`sudo apt-get install wrk`, or `make bench-tools`), PostgreSQL and Redis. Each run:

1. Creates the PostgreSQL database `onboarding_bench_pages` afresh (--database-url names another),
   migrates it, loads the demo data (`manage.py load_demo_data`) and runs the task worker and the
   outbox relay until nothing is left to do, so the demo customer has an invoice, a contract and
   inbox messages (their notices go to the in-app inbox here). Empties its own Redis database
   (--redis-url), the cache. --keep-database reuses the last run's database instead.
2. Starts, side by side on free loopback ports and under the same gunicorn settings
   (config/gunicorn.py, --web-workers x --web-threads): the bare Django app of bench/bare/
   (SecurityMiddleware and CommonMiddleware, one view answering "ok") and the product
   (config.wsgi, DEBUG off, logging and metrics as in production). The worker and the relay are
   not running while wrk is: the figures are the web server's alone.
3. Signs in through the real login forms as the demo customer and as the demo SysOps user
   (password, then the TOTP code `manage.py demo_totp` prints) and keeps their session cookies.
4. Requests every path once without following redirects and stops unless each answers 200 (a
   page answering 302 to the sign-in page would be measured as fast and wrong). Then, per path,
   a --warmup run whose figures are dropped and a --duration run of
   `wrk -t<threads> -c<connections> --latency` with the session's cookies. Bare Django is
   measured first and last; the ratios are against the mean of the two. Every path is requested
   once more at the end: a session that ended during the run fails the benchmark.

Prints per path: req/s, p50, p99, errors (wrk's non-2xx/3xx answers and socket errors), the
server's CPU milliseconds per request (gunicorn's processes, from /proc), the ratio to bare
Django (bare req/s / path req/s), the target ratio of issue 15 and whether it is met. Writes it
all, with the machine, the commit and the settings, to var/bench/pages.json. Exits 1 when any
request failed.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._servers import (
    ROOT,
    WORK,
    Browser,
    gunicorn,
    last_error,
    prepare_database,
    product_env,
    say,
    sign_in,
    wait_answering,
)
from bench.load_journey import free_port, process_tree_cpu, redis_empty, stop

RESULT = ROOT / "var" / "bench" / "pages.json"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/onboarding_bench_pages"
CUSTOMER = "customer@demo.test"  # the demo customer who bought a plan (demo/services.py)
STAFF = "sysops@demo.test"
STAFF_SEARCH = "Customer"  # the demo customer's surname
# Pages that ask for the password again unless it was given in the last 5 minutes.
RECENT_PASSWORD = {"/account/card/"}

# Issue 15's targets: at most this many times slower than bare Django.
TARGETS = {"healthz": 1.5, "public": 3.0, "customer": 8.0, "api": 8.0, "staff": 12.0}

BUY_LINK = re.compile(r'href="(/buy/[\w-]+/\?cycle=\w+)"')
INVOICE_ROW = re.compile(r'data-invoice="(\d+)"')
CONTRACT_ROW = re.compile(r'data-contract="(\d+)"')
INBOX_LINK = re.compile(r'href="/inbox/(\d+)/"')
REQUEST_LINK = re.compile(r'href="/account/requests/(\d+)/"')
CUSTOMER_LINK = re.compile(r'href="/staff/customers/(\d+)/"')

# wrk prints its figures as one JSON line when the run is done (times in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class Target:
    path: str
    group: str  # a key of TARGETS, or "bare"
    session: str  # "customer", "staff" or "" (no cookie)
    recent_password: bool = False  # see RECENT_PASSWORD


@dataclass
class Result:
    path: str
    group: str
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    error_detail: dict[str, int]
    cpu_ms_per_request: float
    ratio: float | None = None
    target: float | None = None
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


# --- What to measure -----------------------------------------------------------------------------


def first(pattern: re.Pattern, page: str, what: str) -> str:
    found = pattern.search(page)
    if found is None:
        raise SystemExit(f"found no {what} to measure (the demo data should have one)")
    return found.group(1)


def targets(customer: Browser, staff: Browser) -> tuple[list[Target], list[str]]:
    """Every path to load, found by browsing as the demo customer and the SysOps user; and
    what could not be measured, with why."""
    skipped = []
    _, pricing = customer.get("/pricing/")
    buy_links = sorted(set(BUY_LINK.findall(pricing)))
    if not buy_links:
        raise SystemExit("the pricing page links to no plan")
    _, invoices = customer.get("/account/invoices/")
    invoice = first(INVOICE_ROW, invoices, "invoice on /account/invoices/")
    _, contracts = customer.get("/account/contracts/")
    contract = first(CONTRACT_ROW, contracts, "contract on /account/contracts/")
    _, inbox = customer.get("/inbox/")
    message = first(INBOX_LINK, inbox, "message on /inbox/")
    _, requests = customer.get("/account/requests/")
    request_id = REQUEST_LINK.search(requests)
    _, results = staff.get(f"/staff/customers/?q={STAFF_SEARCH}")
    customer_id = first(
        CUSTOMER_LINK, results, f"customer found by /staff/customers/?q={STAFF_SEARCH}"
    )

    paths = [
        ("/healthz", "healthz"),
        ("/", "public"),
        ("/pricing/", "public"),
        ("/pricing/?cycle=monthly", "public"),
        ("/pricing/?cycle=quarterly", "public"),
        # The plan pages: no page shows one plan to visitors; the purchase page does, signed in.
        *((link, "customer") for link in buy_links),
        ("/account/", "customer"),
        ("/account/profile/", "customer"),
        ("/account/contacts/", "customer"),
        ("/account/card/", "customer"),
        ("/account/invoices/", "customer"),
        (f"/account/invoices/{invoice}/", "customer"),
        ("/account/contracts/", "customer"),
        (f"/account/contracts/{contract}/", "customer"),
        ("/account/requests/", "customer"),
        ("/inbox/", "customer"),
        (f"/inbox/{message}/", "customer"),
        ("/api/v1/catalog/plans", "api"),
        ("/api/v1/me/profile", "api"),
        ("/api/v1/me/contacts", "api"),
        ("/api/v1/me/journey", "api"),
        ("/api/v1/me/card", "api"),
        ("/api/v1/me/payments", "api"),
        ("/api/v1/me/subscriptions", "api"),
        ("/api/v1/me/invoices", "api"),
        (f"/api/v1/me/invoices/{invoice}", "api"),
        ("/api/v1/me/contracts", "api"),
        (f"/api/v1/me/contracts/{contract}", "api"),
        ("/api/v1/me/requests", "api"),
        ("/api/v1/inbox/", "api"),
        ("/api/v1/inbox/summary", "api"),
        (f"/api/v1/inbox/{message}", "api"),
    ]
    if request_id:
        paths.append((f"/account/requests/{request_id.group(1)}/", "customer"))
    else:
        skipped.append("/account/requests/<id>/: the demo customer has no request")
    found = [
        Target(path, group, "customer", recent_password=path in RECENT_PASSWORD)
        for path, group in paths
    ]
    found += [
        Target(f"/staff/customers/?q={STAFF_SEARCH}", "staff", "staff"),
        Target(f"/staff/customers/{customer_id}/", "staff", "staff"),
        Target(f"/api/v1/staff/customers?q={STAFF_SEARCH}", "staff", "staff"),
        Target(f"/api/v1/staff/customers/{customer_id}/overview", "staff", "staff"),
    ]
    return found, skipped


def check(targets_: list[Target], browsers: dict[str, Browser], password: str, when: str) -> None:
    """Each path answers 200 to its session: a redirect to sign-in is a failure, not a figure."""
    wrong = []
    for target in targets_:
        if target.recent_password:
            browsers[target.session].reauthenticate(password)
        status, location = browsers[target.session].status(target.path)
        if status != 200:
            wrong.append(f"  {target.path} ({target.session}): {status} {location}".rstrip())
    if wrong:
        raise SystemExit(f"{when}, these paths did not answer 200:\n" + "\n".join(wrong))


# --- Measuring -----------------------------------------------------------------------------------


def wrk(url: str, cookie: str, seconds: int, args: argparse.Namespace) -> dict:
    script = WORK / "report.lua"
    if not script.exists():
        script.write_text(WRK_REPORT)
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--latency", "--timeout", "10s", "-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*command, url], capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}) on {url}:\n{done.stdout}{done.stderr}")
    return json.loads(line.removeprefix("BENCH "))


def measure_one(
    target: Target, base: str, cookie: str, pid: int, args: argparse.Namespace
) -> Result:
    if args.warmup > 0:
        wrk(base + target.path, cookie, args.warmup, args)
    cpu_before = process_tree_cpu(pid)
    figures = wrk(base + target.path, cookie, args.duration, args)
    cpu = process_tree_cpu(pid) - cpu_before
    requests = figures["requests"]
    detail = {name: figures[name] for name in ("status", "connect", "read", "write", "timeout")}
    return Result(
        path=target.path,
        group=target.group,
        rps=round(requests / (figures["duration_us"] / 1e6), 1),
        p50_ms=round(figures["p50_us"] / 1000, 1),
        p99_ms=round(figures["p99_us"] / 1000, 1),
        max_ms=round(figures["max_us"] / 1000, 1),
        requests=requests,
        errors=sum(detail.values()),
        error_detail={name: n for name, n in detail.items() if n},
        cpu_ms_per_request=round(1000 * cpu / requests, 2) if requests else 0.0,
    )


def progress(n: int, total: int, result: Result) -> None:
    say(
        f"{n}/{total} {'bare Django ' if result.group == 'bare' else ''}{result.path}: "
        f"{result.rps} req/s, p50 {result.p50_ms} ms, "
        f"p99 {result.p99_ms} ms, {result.errors} errors, {result.cpu_ms_per_request} CPU ms/req"
    )


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return {"cpus": os.cpu_count(), "model": model.group(1) if model else "unknown"}


def commit() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line]
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_files": len(changed)}


def run(args: argparse.Namespace) -> dict:
    url = args.database_url
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "--database-url must name a PostgreSQL database of its own (it is dropped)"
        )
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "report.lua").unlink(missing_ok=True)
    if args.redis_url:
        redis_empty(args.redis_url)
    env = product_env(url, args.redis_url, args.log_level)
    password = prepare_database(url, env, keep=args.keep_database, in_app=CUSTOMER)

    bare_port, product_port = free_port(), free_port()
    bare_base, base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{product_port}"
    bare_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"}
    bare_env.pop("DATABASE_URL", None)
    env["SITE_URL"] = base
    processes = {}
    try:
        logs = {"bare": WORK / "bare.log", "product": WORK / "product.log"}
        for name, app, port, app_env in (
            ("bare", "bench.bare.wsgi", bare_port, bare_env),
            ("product", "config.wsgi", product_port, env),
        ):
            processes[name] = gunicorn(
                app,
                port=port,
                workers=args.web_workers,
                threads=args.web_threads,
                env=app_env,
                log=logs[name],
            )
        say(
            f"gunicorn ({args.web_workers} workers x {args.web_threads} threads): bare Django on "
            f"{bare_base}, the product on {base}"
        )
        wait_answering(bare_base, "/", processes["bare"], logs["bare"])
        # /healthz: /readyz also wants a task worker's heartbeat, and none runs during the bench.
        wait_answering(base, "/healthz", processes["product"], logs["product"])

        browsers = {
            "customer": sign_in(base, CUSTOMER, password, env),
            "staff": sign_in(base, STAFF, password, env),
        }
        found, skipped = targets(browsers["customer"], browsers["staff"])
        if args.only or args.path:
            found = [
                t for t in found if t.path in args.path or any(part in t.path for part in args.only)
            ]
        check(found, browsers, password, "Before the run")
        total = len(found) + 2
        say(
            f"{len(found)} paths + bare Django twice, {args.warmup:g} s warm-up + "
            f"{args.duration:g} s each: about {total * (args.warmup + args.duration) / 60:.1f} min"
        )
        load_before = os.getloadavg()
        bare = Target("/", "bare", "")
        bare_runs = [measure_one(bare, bare_base, "", processes["bare"].pid, args)]
        progress(1, total, bare_runs[0])
        results = []
        for n, target in enumerate(found, start=2):
            browser = browsers[target.session]
            if target.recent_password:
                browser.reauthenticate(password)  # good for 5 minutes, longer than the run
            pid = processes["product"].pid
            results.append(measure_one(target, base, browser.cookie_header(), pid, args))
            progress(n, total, results[-1])
        bare_runs.append(measure_one(bare, bare_base, "", processes["bare"].pid, args))
        progress(total, total, bare_runs[1])
        load_after = os.getloadavg()
        check(found, browsers, password, "After the run")
    finally:
        stop(processes)

    bare_rps = statistics.fmean(r.rps for r in bare_runs)
    for result in results:
        result.target = TARGETS[result.group]
        if result.requests:
            result.ratio = round(bare_rps / result.rps, 1)
            result.met = result.ratio <= result.target
        else:
            result.met = False
            result.notes.append(f"no request completed in {args.duration} s")
    return {
        "command": " ".join(["bench/pages.py", *sys.argv[1:]]),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": commit(),
        "machine": {
            **machine(),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "settings": {
            "wrk": f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency",
            "warmup_s": args.warmup,
            "gunicorn": f"config/gunicorn.py --workers {args.web_workers} "
            f"--threads {args.web_threads}",
            "database": urlparse(url).path.lstrip("/"),
            "database_kept": args.keep_database,
            "redis": args.redis_url or None,
            "log_level": args.log_level or "the product's default",
            "debug": False,
            "sessions": {"customer": CUSTOMER, "staff": STAFF},
        },
        "bare": {
            "rps": round(bare_rps, 1),
            "runs": [asdict(r) for r in bare_runs],
            "drift_pct": round(100 * (bare_runs[1].rps / bare_runs[0].rps - 1), 1)
            if bare_runs[0].rps
            else None,
        },
        "paths": [asdict(r) for r in results],
        "skipped": skipped,
        "errors": sum(r.errors for r in results + bare_runs),
        "server_last_error": last_error(WORK / "product.log"),
        "targets_met": sum(bool(r.met) for r in results),
    }


def report(figures: dict) -> str:
    bare = figures["bare"]
    runs = bare["runs"]
    m = figures["machine"]
    lines = [
        f"{figures['settings']['wrk']}; gunicorn {figures['settings']['gunicorn']}; "
        f"{m['cpus']} x {m['model']}; load average {m['load_average_before'][0]:.2f} before, "
        f"{m['load_average_after'][0]:.2f} after; commit {figures['git']['commit'][:10]}"
        + (
            f" + {figures['git']['uncommitted_files']} uncommitted files"
            if figures["git"]["uncommitted_files"]
            else ""
        ),
        f"bare Django: {bare['rps']} req/s (first {runs[0]['rps']}, last {runs[1]['rps']}: "
        f"drift {bare['drift_pct']}%), "
        f"{statistics.fmean(r['cpu_ms_per_request'] for r in runs):.2f} CPU ms/req",
        "",
        "| path | req/s | p50 ms | p99 ms | errors | CPU ms/req | x bare | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in figures["paths"]:
        ratio = f"{r['ratio']}x" if r["ratio"] else "-"
        lines.append(
            f"| {r['path']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | "
            f"{r['cpu_ms_per_request']} | {ratio} | {r['target']:g}x | "
            f"{'yes' if r['met'] else 'NO'} |"
        )
    lines += [
        "",
        f"targets met: {figures['targets_met']} of {len(figures['paths'])}; "
        f"failed requests: {figures['errors']}",
    ]
    if figures["errors"]:
        lines.append(f"the product's {figures['server_last_error']}")
    lines += [f"{r['path']}: {note}" for r in figures["paths"] for note in r["notes"]]
    lines += [f"not measured: {why}" for why in figures["skipped"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per path")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk first, dropped")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
    # Not DATABASE_URL from the environment: a developer's own database there would be dropped.
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="dropped and created afresh; the product's"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="'' for none")
    parser.add_argument(
        "--log-level", default="", help="the product's LOG_LEVEL (default: its own, INFO)"
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="reuse the database the last run prepared (quicker; earlier runs' rows stay)",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="measure only paths containing this"
    )
    parser.add_argument(
        "--path", action="append", default=[], help="measure this path (exactly; repeatable)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed. Install it with `sudo apt-get install wrk` (Debian, Ubuntu) "
            "or `make bench-tools`; on macOS `brew install wrk`."
        )
    figures = run(args)
    print(report(figures))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(figures, indent=2))
    say(f"wrote {RESULT.relative_to(ROOT)}")
    if figures["errors"]:
        raise SystemExit(f"{figures['errors']} requests failed: see the errors column")


if __name__ == "__main__":
    main()
