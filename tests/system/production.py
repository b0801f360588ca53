"""The README's "Running in production" recipe, run for real: its commands parsed from README.md,
a fresh database, the long-running processes as child processes, and an HTTP client that talks
to gunicorn the way a browser behind the TLS proxy does."""

import os
import re
import secrets
import shlex
import signal
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import psycopg
import requests
from django.db import connection
from psycopg import sql

from tests.services import missing
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Running in production"


# --- The recipe, as README.md writes it --------------------------------------------------------


@dataclass
class Recipe:
    exported: list[str]  # the environment variables the recipe sets
    steps: list[list[str]]  # commands that run to completion, in order
    processes: list[list[str]]  # commands that keep running (web, worker, relay)


def _long_running(argv: list[str]) -> bool:
    if Path(argv[0]).name == "gunicorn":
        return True
    return len(argv) > 2 and argv[1] == "manage.py" and argv[2].startswith("run_")


def readme_recipe(readme: Path = ROOT / "README.md") -> Recipe:
    text = readme.read_text()
    assert SECTION in text, f"README.md has no '{SECTION}' section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    assert block, f"README.md's '{SECTION}' section has no code block"
    recipe = Recipe(exported=[], steps=[], processes=[])
    for line in re.sub(r"\\\n", " ", block.group(1)).splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        if argv[0] == "export":
            recipe.exported += [assignment.split("=", 1)[0] for assignment in argv[1:]]
        elif _long_running(argv):
            recipe.processes.append(argv)
        else:
            recipe.steps.append(argv)
    return recipe


def manage_command(argv: list[str]) -> str:
    """'migrate' for '.venv/bin/python manage.py migrate --noinput'; '' for anything else."""
    return argv[2] if len(argv) > 2 and argv[1] == "manage.py" else ""


def resolved(argv: list[str]) -> list[str]:
    """The command as written, its program found relative to the project root as the README's
    reader (standing in the checkout) finds it."""
    program = ROOT / argv[0]
    return [str(program) if program.exists() else argv[0], *argv[1:]]


# --- A fresh database --------------------------------------------------------------------------


@contextmanager
def fresh_database(folder: Path):
    """A database nobody has used: a new SQLite file, or (when the suite runs on PostgreSQL) a new
    database on the same server, dropped afterwards. Yields its URL."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{folder / 'onboarding.sqlite3'}"
        return
    params = connection.settings_dict
    server = {
        "host": params.get("HOST") or "127.0.0.1",
        "port": params.get("PORT") or 5432,
        "user": params.get("USER") or "postgres",
        "password": params.get("PASSWORD") or None,
    }
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **server)
    except psycopg.OperationalError as error:
        missing(f"PostgreSQL at {server['host']}:{server['port']} ({error})")
    name = f"onb_production_path_{secrets.token_hex(4)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            user = quote(server["user"], safe="")
            password = f":{quote(server['password'], safe='')}" if server["password"] else ""
            yield f"postgres://{user}{password}@{server['host']}:{server['port']}/{name}"
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- Processes ---------------------------------------------------------------------------------

# Settings a developer's shell or the test run may carry that would make the child processes
# something other than the production the recipe describes.
_INHERITED_OUT = (
    "DJANGO_",
    "ONBOARDING_",
    "SECURE_",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "VAR_DIR",
    "GUNICORN_CMD_ARGS",
    "PAYMENT_GATEWAY",
)


def production_environment(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_INHERITED_OUT)}
    env.update(values)
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} (exit {self.popen.poll()}) ---\n" + "\n".join(
            text.splitlines()[-lines:]
        )

    def stop(self) -> None:
        """Stop this process and its children (gunicorn's workers): SIGTERM, then SIGKILL."""
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass


def start_process(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            resolved(argv),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches gunicorn's workers
        )
    return Process(name=name, popen=popen, log=log)


def run_step(argv: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: int = 300):
    result = subprocess.run(
        resolved(argv),
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{shlex.join(argv)} exited {result.returncode}\n{result.stdout[-3000:]}\n"
        f"{result.stderr[-3000:]}"
    )
    return result


# --- HTML: forms and the static files a page names ------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)  # radios and selects


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.assets: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        form = self.forms[-1] if self.forms else None
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "link" and a.get("href"):
            self.assets.append(a["href"])
        elif tag in {"script", "img"} and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get")))
        elif form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"radio", "checkbox"}:
                form.choices.setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields[a["name"]] = a.get("value", "on")
            elif kind not in {"submit", "button", "image", "reset", "file"}:
                form.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            form.choices[a["name"]] = []
        elif tag == "option" and self._select:
            form.choices[self._select].append(a.get("value", ""))
            if "selected" in a or self._select not in form.fields:
                form.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            form.fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


@dataclass
class Page:
    response: requests.Response

    def __post_init__(self) -> None:
        self.parsed = PageParser()
        if "html" in self.response.headers.get("Content-Type", ""):
            self.parsed.feed(self.response.text)

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def path(self) -> str:
        return urlsplit(self.response.url).path

    @property
    def text(self) -> str:
        return self.response.text

    def form_with(self, *names: str) -> Form:
        for form in self.parsed.forms:
            if all(name in form.fields or name in form.choices for name in names):
                return form
        raise AssertionError(f"no form with fields {names} on {self.path}: {self.text[:2000]}")

    def form_posting_to(self, pattern: str) -> Form:
        for form in self.parsed.forms:
            if re.search(pattern, form.action):
                return form
        raise AssertionError(f"no form posting to {pattern!r} on {self.path}: {self.text[:2000]}")

    def link_to(self, pattern: str) -> str:
        for href in self.parsed.links:
            if re.search(pattern, href):
                return href
        raise AssertionError(f"no link matching {pattern!r} on {self.path}: {self.parsed.links}")

    def static_files(self, static_url: str = "/static/") -> set[str]:
        return {urlsplit(src).path for src in self.parsed.assets if src.startswith(static_url)}


# --- A browser behind the TLS proxy ------------------------------------------------------------


class Browser:
    """An HTTP client standing where the TLS proxy stands: it talks plain HTTP to gunicorn and
    sends X-Forwarded-Proto: https (the header SECURE_PROXY_SSL_HEADER trusts), Origin and
    Referer as a browser does over HTTPS, and the app's Secure cookies back, as a browser sends
    them over HTTPS (the jar it keeps them in would hold them back from a plain-HTTP URL)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.netloc = urlsplit(base_url).netloc
        self.origin = "https://" + self.netloc
        self.session = requests.Session()
        self.session.headers["X-Forwarded-Proto"] = "https"

    def url(self, path: str, base: str = "") -> str:
        parts = urlsplit(path)
        if parts.netloc:  # an absolute link the app wrote with SITE_URL: must be this server
            assert parts.netloc == self.netloc, f"a link off the site: {path}"
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return urljoin(base or self.base_url, path)

    def _send(self, method: str, url: str, **kwargs) -> Page:
        history = []
        for _ in range(10):
            response = self.session.request(
                method, url, allow_redirects=False, timeout=60, **kwargs
            )
            for cookie in self.session.cookies:
                cookie.secure = False
            if not response.is_redirect:
                response.history = history
                return Page(response)
            history.append(response)
            url = self.url(response.headers["Location"], base=response.url)
            if response.status_code in {301, 302, 303}:
                method, kwargs = "GET", {}
        raise AssertionError(f"more than 10 redirects: {[r.url for r in history]}")

    def get(self, path: str, **kwargs) -> Page:
        return self._send("GET", self.url(path), **kwargs)

    def submit(self, page: Page, form: Form, **values: str) -> Page:
        unknown = set(values) - set(form.fields) - set(form.choices)
        assert not unknown, f"the form on {page.path} has no fields {unknown}: {form}"
        target = urljoin(page.response.url, form.action or page.response.url)
        data = {**form.fields, **values}
        if form.method.lower() == "get":
            return self._send("GET", target, params=data)
        # What a browser sends with a form post over HTTPS; Django's CSRF check compares it.
        headers = {"Origin": self.origin, "Referer": self.origin + page.path}
        return self._send("POST", target, data=data, headers=headers)


def wait_for_server(browser: Browser, processes: list[Process], timeout: float = 120) -> None:
    def answering() -> bool:
        for process in processes:
            assert process.popen.poll() is None, process.log_tail()
        try:
            return browser.session.get(browser.url("/healthz"), timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not listening, or still loading
            return False

    wait_until(answering, timeout=timeout, interval=0.2, what="gunicorn to answer /healthz")
