"""Benchmark: 200 open risk boards beside the page benchmark (issue 15, "the risk board holds no
thread").

    .venv/bin/python bench/risk_boards.py                         # split serving, 200 boards
    .venv/bin/python bench/risk_boards.py --serving asgi          # the whole app under uvicorn
    .venv/bin/python bench/risk_boards.py --boards 50 --duration 5

Needs `wrk`, PostgreSQL and Redis. Each run:

1. Creates the PostgreSQL database `bench_boards` afresh (--database-url), migrates it, seeds
   contracts, a SysOps user with an authenticator and one signed-in session per board (as
   `Client.force_login` writes them); empties its own Redis database (--redis-url).
2. Starts the relay (`manage.py run_relay`, with ACCEPTANCE_RED_ACK_SECONDS=0 so a red rating
   is overdue at once) and the web servers, DEBUG off, as docs/operations.md runs them:
   --serving split: pages on gunicorn gthread WSGI (config/gunicorn.py, --web-workers x
   --web-threads), the event stream on a second gunicorn with one uvicorn worker (config.asgi);
   --serving asgi: everything on gunicorn with --web-workers uvicorn workers (config.asgi).
3. `wrk -t2 -c16 -d<duration>` on --page without boards. Then opens --boards event streams
   (asyncio, raw HTTP/1.1, each with its own session; they reconnect with Last-Event-ID as a
   browser would) and, once every board has its first keep-alive, runs the same wrk again while
   raising --risks red ratings through the real service (requirement_add in a child process;
   the relay makes the risk and publishes it to the Redis Stream).
4. Per board and risk, the delivery latency: from the rating saved (end to end: rating, relay,
   Redis, board) and from the risk row's occurred_at. A board that misses a risk fails the run.

Prints req/s with and without the boards, the drop, latency p50/p99/max; writes
var/bench/risk_boards.json. Targets: drop under 10%, every delivery under 1 s.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_journey import (  # noqa: E402 (ROOT on the path first)
    database_fresh,
    free_port,
    process_tree_cpu,
    redis_empty,
    stop,
)

WORK = ROOT / "var" / "bench" / "boards"
RESULT = ROOT / "var" / "bench" / "risk_boards.json"
BIN = Path(sys.executable).parent
STREAM = "bench:risk-boards"


def say(message: str) -> None:
    print(f"[risk_boards bench] {message}", file=sys.stderr, flush=True)


def child_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "RISK_STREAM": STREAM,
        "ACCEPTANCE_RED_ACK_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


# --- children (Django set up, with the bench's settings) -----------------------------------------


def child_seed(boards: int, risks: int) -> None:
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.test import Client

    from bench.risk_latency import seed

    sysops, _contracts = seed(risks + 5)
    TOTP.activate(sysops, generate_totp_secret())
    cookies = []
    for _ in range(boards):
        client = Client()
        client.force_login(sysops)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    print(json.dumps({"cookie_name": settings.SESSION_COOKIE_NAME, "cookies": cookies}))


def child_raise(count: int, interval: float) -> None:
    """Red ratings on `count` contracts, `interval` seconds apart; one JSON line per rating."""
    import django

    django.setup()
    from onboarding.acceptance.requirements import requirement_add
    from onboarding.accounts.models import User
    from onboarding.contracts.models import Contract

    sysops = User.objects.get(email="sysops@bench.test")
    contracts = list(Contract.objects.order_by("pk")[:count])
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()  # "go": Django is set up before the clock starts
    for contract in contracts:
        time.sleep(interval)
        requirement_add(
            contract=contract, actor=sysops, title="Remote access", criteria="VPN", rating="red"
        )
        print(json.dumps({"contract": contract.number, "saved_at": time.time()}), flush=True)


# --- the board clients ----------------------------------------------------------------------------


class BoardClient:
    """One EventSource: reads the stream, notes when each risk arrives, reconnects after the
    stream ends (retry: 1000) with Last-Event-ID."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.last_id = "0"
        self.connected = asyncio.Event()
        self.received: dict[str, tuple[float, str]] = {}  # contract -> (arrived, occurred_at)
        self.reconnects = 0
        self.errors: list[str] = []

    async def run(self, stop_at: float) -> None:
        while time.monotonic() < stop_at:
            try:
                await self._stream(stop_at)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                self.errors.append(repr(error))
            self.reconnects += 1
            await asyncio.sleep(1.0)  # the stream's retry

    async def _stream(self, stop_at: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                (
                    f"GET /staff/risk/events?after={self.last_id} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                    f"Cookie: {self.cookie}\r\nLast-Event-ID: {self.last_id}\r\n\r\n"
                ).encode()
            )
            status = await reader.readline()
            if b" 200 " not in status:
                raise ValueError(f"status {status!r}")
            while (await reader.readline()) not in (b"\r\n", b""):
                pass  # headers; the body is chunked
            buffer = ""
            while time.monotonic() < stop_at:
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    return  # the stream ended
                buffer += (await reader.readexactly(size + 2))[:-2].decode()
                while "\n\n" in buffer:
                    message, buffer = buffer.split("\n\n", 1)
                    self._handle(message)
        finally:
            writer.close()

    def _handle(self, message: str) -> None:
        arrived = time.time()
        if message.startswith(":"):
            self.connected.set()
            return
        fields = dict(line.split(": ", 1) for line in message.splitlines() if ": " in line)
        if "id" in fields:
            self.last_id = fields["id"]
        if fields.get("event") == "risk":
            data = json.loads(fields["data"])
            number = data["contract"]["number"]
            self.received.setdefault(number, (arrived, data["occurred_at"]))


# --- the parent -----------------------------------------------------------------------------------


def wrk(url: str, duration: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def servers(args: argparse.Namespace, page_port: int, stream_port: int) -> dict[str, list[str]]:
    gunicorn = [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.py")]
    common = ["--timeout", "60", "--no-control-socket"]
    if args.serving == "asgi":
        return {
            "web": [
                *gunicorn,
                "config.asgi",
                "-k",
                "uvicorn_worker.UvicornWorker",
                "--workers",
                str(args.web_workers),
                "--bind",
                f"127.0.0.1:{page_port}",
                *common,
            ]
        }
    return {
        "web": [
            *gunicorn,
            "config.wsgi",
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.web_threads),
            "--bind",
            f"127.0.0.1:{page_port}",
            *common,
        ],
        "events": [
            *gunicorn,
            "config.asgi",
            "-k",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{stream_port}",
            *common,
        ],
    }


def wait_answers(port: int, processes: dict, timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited; see {WORK}/{name}.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"port {port} did not answer within {timeout}s")


async def with_boards(args, env, stream_port: int, cookies: list[str], page_url: str) -> dict:
    raiser = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "raise",
        str(args.risks),
        str(args.duration / (args.risks + 1)),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert json.loads(await raiser.stdout.readline())["ready"]
    published: dict[str, float] = {}
    monitor = asyncio.create_task(watch_stream(args.redis_url, published))
    boards = [BoardClient(stream_port, cookie) for cookie in cookies]
    stop_at = time.monotonic() + args.duration + 60
    tasks = [asyncio.create_task(board.run(stop_at)) for board in boards]
    opened = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in boards)), timeout=60)
    say(f"{len(boards)} boards open in {time.monotonic() - opened:.1f}s; wrk with the boards")
    page = asyncio.create_task(asyncio.to_thread(wrk, page_url, args.duration))
    raiser.stdin.write(b"go\n")
    await raiser.stdin.drain()
    saved = {}
    async for line in raiser.stdout:
        rating = json.loads(line)
        saved[rating["contract"]] = rating["saved_at"]
    await raiser.wait()
    loaded = await page
    # Every board must get every risk; give the last one its second.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(
        set(saved) <= set(board.received) for board in boards
    ):
        await asyncio.sleep(0.05)
    for task in [*tasks, monitor]:
        task.cancel()
    await asyncio.gather(*tasks, monitor, return_exceptions=True)
    from datetime import datetime

    from_saved, from_row, from_xadd, missed = [], [], [], 0
    for board in boards:
        for number, saved_at in saved.items():
            if number not in board.received:
                missed += 1
                continue
            arrived, occurred_at = board.received[number]
            from_saved.append((arrived - saved_at) * 1000)
            from_row.append((arrived - datetime.fromisoformat(occurred_at).timestamp()) * 1000)
            if number in published:
                from_xadd.append((arrived - published[number]) * 1000)
    return {
        "wrk": loaded,
        "deliveries": len(from_saved),
        "missed": missed,
        "reconnects": sum(board.reconnects for board in boards),
        "board_errors": sum(len(board.errors) for board in boards),
        "latency_ms_from_rating_saved": summary(from_saved),
        "latency_ms_from_risk_row": summary(from_row),
        "latency_ms_from_stream_entry": summary(from_xadd),
    }


async def watch_stream(redis_url: str, published: dict[str, float]) -> None:
    """When each risk reached the Redis Stream: its entry id is the XADD's time in ms."""
    import redis.asyncio as aredis

    client = aredis.Redis.from_url(redis_url, decode_responses=True)
    position = "$"
    try:
        while True:
            answer = await client.xread({STREAM: position}, block=1000)
            for _stream, rows in answer or []:
                for entry_id, fields in rows:
                    position = entry_id
                    number = json.loads(fields["event"])["contract"]["number"]
                    published[number] = int(entry_id.split("-")[0]) / 1000
    finally:
        await client.aclose()


def _own_cpu() -> tuple[float, float]:
    """CPU seconds of this process (the board clients, the stream monitor) and of the children
    it has waited for (wrk, the rating raiser)."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _cpu_since(servers: dict, own: tuple[float, float], processes: dict) -> dict:
    """CPU seconds each part used since `servers` and `own` were read, so a drop in page
    throughput can be laid at the door of whoever took the cores."""
    me, children = _own_cpu()
    used = {
        name: round(process_tree_cpu(p.pid) - servers[name], 1) for name, p in processes.items()
    }
    used["bench (board clients)"] = round(me - own[0], 1)
    used["wrk and raiser"] = round(children - own[1], 1)
    return used


def summary(samples: list[float]) -> dict:
    if not samples:
        return {}
    return {
        "p50": round(statistics.median(samples), 1),
        "p99": round(percentile(samples, 99), 1),
        "max": round(max(samples), 1),
    }


def measure(args: argparse.Namespace) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    env = child_env(args)
    say(f"creating {args.database_url}, migrating, seeding {args.boards} sessions")
    database_fresh(args.database_url)
    redis_empty(args.redis_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    seeded = json.loads(
        subprocess.run(
            [sys.executable, __file__, "seed", str(args.boards), str(args.risks)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()[-1]
    )
    cookies = [f"{seeded['cookie_name']}={value}" for value in seeded["cookies"]]
    page_port = free_port()
    stream_port = page_port if args.serving == "asgi" else free_port()
    commands = {**servers(args, page_port, stream_port), "relay": ["manage.py", "run_relay"]}
    commands["relay"] = [sys.executable, *commands["relay"]]
    processes = {}
    try:
        for name, command in commands.items():
            log = (WORK / f"{name}.log").open("w")
            processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_answers(page_port, processes)
        wait_answers(stream_port, processes)
        page_url = f"http://127.0.0.1:{page_port}{args.page}"
        wrk(page_url, 3)  # warm-up
        say(f"wrk {args.page} for {args.duration}s without boards")
        cpu = {name: process_tree_cpu(p.pid) for name, p in processes.items()}
        own = _own_cpu()
        without = wrk(page_url, args.duration)
        without["cpu_s"] = _cpu_since(cpu, own, processes)
        cpu, own = {name: process_tree_cpu(p.pid) for name, p in processes.items()}, _own_cpu()
        loaded = asyncio.run(with_boards(args, env, stream_port, cookies, page_url))
        loaded["cpu_s"] = _cpu_since(cpu, own, processes)
        for run in (without, loaded):
            requests = run.get("wrk", run)["rps"] * args.duration
            run["web_cpu_ms_per_request"] = round(run["cpu_s"]["web"] * 1000 / requests, 3)
    finally:
        stop(processes)
    drop = 1 - loaded["wrk"]["rps"] / without["rps"]
    return {
        "serving": args.serving,
        "boards": args.boards,
        "risks": args.risks,
        "page": args.page,
        "duration_s": args.duration,
        "web": f"{args.web_workers} workers x {args.web_threads} threads",
        "machine": f"{platform.node()}, {os.cpu_count()} cores, {platform.platform()}",
        "load_1min": round(os.getloadavg()[0], 2),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "without_boards": without,
        "with_boards": loaded,
        "throughput_drop": round(drop, 3),
    }


def report(r: dict) -> str:
    w = r["with_boards"]
    a, b = w["latency_ms_from_rating_saved"], w["latency_ms_from_risk_row"]
    c = w["latency_ms_from_stream_entry"]
    return "\n".join(
        [
            f"serving {r['serving']}, {r['boards']} boards, {r['risks']} risks, page {r['page']}, "
            f"wrk -t2 -c16 -d{r['duration_s']}s, load {r['load_1min']}",
            f"page req/s without boards {r['without_boards']['rps']:.1f}, with "
            f"{w['wrk']['rps']:.1f} (drop {r['throughput_drop']:.1%}; target < 10%)",
            f"deliveries {w['deliveries']}, missed {w['missed']}, reconnects {w['reconnects']}, "
            f"board errors {w['board_errors']}",
            f"latency from rating saved: p50 {a.get('p50')} ms, p99 {a.get('p99')} ms, "
            f"max {a.get('max')} ms (target: every one < 1000 ms)",
            f"latency from risk row: p50 {b.get('p50')} ms, p99 {b.get('p99')} ms, "
            f"max {b.get('max')} ms",
            f"latency from the stream entry (XADD): p50 {c.get('p50')} ms, p99 {c.get('p99')} ms, "
            f"max {c.get('max')} ms",
            f"CPU seconds without boards: {r['without_boards']['cpu_s']}",
            f"CPU seconds during the loaded run: {w['cpu_s']}",
            f"web CPU per page request: without boards "
            f"{r['without_boards']['web_cpu_ms_per_request']} ms, with "
            f"{w['web_cpu_ms_per_request']} ms",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving", choices=["split", "asgi"], default="split")
    parser.add_argument("--boards", type=int, default=200)
    parser.add_argument("--risks", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--page", default="/pricing/")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_boards")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    result = measure(args)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2))
    print(report(result))
    ok = (
        result["with_boards"]["missed"] == 0
        and result["throughput_drop"] < 0.10
        and result["with_boards"]["latency_ms_from_rating_saved"].get("max", 1e9) < 1000
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        child_seed(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "raise":
        child_raise(int(sys.argv[2]), float(sys.argv[3]))
    else:
        main()
