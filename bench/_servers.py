"""Helpers of bench/pages.py: the bench database, the two gunicorns, and signing in through the
product's own forms."""

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_journey import database_fresh, queued  # noqa: E402 (ROOT on the path first)

WORK = ROOT / "var" / "bench" / "pages"
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def say(message: str) -> None:
    print(f"[pages bench] {message}", file=sys.stderr, flush=True)


def last_error(log: Path) -> str:
    """The last exception the product logged, in one line, and where to read the rest."""
    found = ""
    for line in log.read_text(errors="replace").splitlines():
        if '"exc_info"' in line:
            with contextlib.suppress(ValueError, KeyError):
                found = json.loads(line)["exc_info"].strip().splitlines()[-1]
    return f"last error: {found or 'none logged'} (see {log})"


# --- Browsing as a person would: forms, CSRF token, cookies --------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None  # a redirect comes back as an HTTPError carrying its status and Location


class Browser:
    """One person's cookies; follows redirects like a browser, or not (`status`)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.plain = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _open(self, request: urllib.request.Request | str, path: str) -> tuple[str, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return urlparse(response.geturl()).path, response.read().decode()
        except urllib.error.HTTPError as error:
            raise SystemExit(
                f"{path} answered {error.code} while signing in or finding the paths; "
                f"{last_error(WORK / 'product.log')}"
            ) from error

    def get(self, path: str) -> tuple[str, str]:
        """(the path landed on after redirects, the page)."""
        return self._open(self.base + path, path)

    def post_form(self, path: str, page: str, fields: dict[str, str]) -> tuple[str, str]:
        token = CSRF.search(page)
        if token is None:
            raise SystemExit(f"no CSRF token in the form at {path}")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        return self._open(request, path)

    def status(self, path: str) -> tuple[int, str]:
        """(status, Location) of one request, redirects not followed."""
        try:
            with self.plain.open(self.base + path, timeout=30) as response:
                response.read()
                return response.status, ""
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    def reauthenticate(self, password: str) -> None:
        """The password again, through allauth's form, as the card page asks for it."""
        page_path = "/accounts/reauthenticate/"
        _, form = self.get(page_path)
        landed, _ = self.post_form(page_path, form, {"password": password})
        if landed.startswith("/accounts/"):
            raise SystemExit(f"reauthentication ended on {landed}")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


def sign_in(base: str, email: str, password: str, env: dict[str, str]) -> Browser:
    browser = Browser(base)
    login = "/accounts/login/"
    _, form = browser.get(login)
    landed, page = browser.post_form(login, form, {"login": email, "password": password})
    second_factor = landed.startswith("/accounts/2fa/authenticate")
    # The server takes the current 30-second step only: a code can expire on its way (a loaded
    # machine takes seconds to start demo_totp), so there is a second try.
    for _ in range(2 if second_factor else 0):
        if time.time() % 30 > 25:
            time.sleep(30.5 - time.time() % 30)
        code = subprocess.run(
            [sys.executable, "manage.py", "demo_totp", email],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        landed, page = browser.post_form(landed, page, {"code": code})
        if not landed.startswith("/accounts/2fa/authenticate"):
            break
    if landed.startswith("/accounts/"):
        raise SystemExit(f"signing in as {email} ended on {landed}, not signed in")
    say(f"signed in as {email}{' with a TOTP code' if second_factor else ''}, landed on {landed}")
    return browser


# --- Preparing the database and the servers ------------------------------------------------------


def product_env(url: str, redis_url: str, log_level: str) -> dict[str, str]:
    var = WORK / "var"  # the product's media and static files, apart from a developer's var/
    var.mkdir(parents=True, exist_ok=True)
    metrics = WORK / "prometheus"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "VAR_DIR": str(var),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),  # as docs/operations.md runs several workers
        "MAIL_DROP_ECHO": "0",
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    if log_level:
        env["LOG_LEVEL"] = log_level
    return env


def manage(env: dict[str, str], *args: str, log: Path) -> str:
    with log.open("a") as handle:
        handle.write(f"\n$ manage.py {' '.join(args)}\n")
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=handle,
            text=True,
        )
        handle.write(done.stdout)
    if done.returncode:
        raise SystemExit(f"manage.py {args[0]} failed ({done.returncode}); see {log}")
    return done.stdout


def prepare_database(url: str, env: dict[str, str], *, keep: bool, in_app: str) -> str:
    """A fresh database with the demo data and its background work done; the demo password.
    `in_app` (an email) has their notices in the in-app inbox."""
    prepared = WORK / "prepared.json"
    if keep and prepared.exists() and json.loads(prepared.read_text())["database"] == url:
        say(f"keeping {urlparse(url).path.lstrip('/')} as the last run prepared it")
        return json.loads(prepared.read_text())["password"]
    prepared.unlink(missing_ok=True)
    log = WORK / "prepare.log"
    log.write_text("")
    say(f"creating {urlparse(url).path.lstrip('/')}, migrating, loading the demo data")
    database_fresh(url)
    manage(env, "migrate", "--noinput", "-v0", log=log)
    manage(env, "createcachetable", log=log)
    logins = manage(env, "load_demo_data", log=log)
    password = re.search(r"password for all: ([^)]+)\)", logins)
    if password is None:
        raise SystemExit(f"load_demo_data printed no password; see {log}")
    # So that /inbox/ has the invoice's and the contract's notices to list and open (the demo
    # data has them emailed to this customer).
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "UPDATE accounts_user SET preferred_inbox = 'in_app' WHERE email = %s", [in_app]
        )
    # Purchase -> invoice -> charge -> contract -> notices: each step enqueues the next.
    for round_ in range(1, 11):
        manage(env, "run_worker", "--batch", "--no-startup-delay", log=log)
        manage(env, "run_relay", "--once", log=log)
        backlog = queued(url)
        say(f"background work, round {round_}: {backlog or 'nothing'} left")
        if not backlog:
            prepared.write_text(json.dumps({"database": url, "password": password.group(1)}))
            return password.group(1)
    raise SystemExit(f"background work still queued after 10 rounds: {backlog}; see {log}")


def gunicorn(
    app: str, *, port: int, workers: int, threads: int, env: dict[str, str], log: Path
) -> subprocess.Popen:
    """gunicorn with the product's settings (config/gunicorn.py), serving `app` on loopback."""
    command = [
        str(BIN / "gunicorn"),
        "-c",
        str(ROOT / "config" / "gunicorn.py"),
        app,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with log.open("w") as out:  # the child keeps its own handle
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_answering(base: str, path: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {base} exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(base + path, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{base}{path} did not answer 200 within 90 s; see {log}")
