"""The README's "Running in production" recipe, as written, on a fresh database.

The commands come from README.md's code block, so the test breaks when the README drifts: the
setup steps (migrate, createcachetable, collectstatic, check --deploy) run to completion, then
the processes it lists (gunicorn with config/gunicorn.py, the task worker, the outbox relay) run
with ONBOARDING_ENV=production, DEBUG off, mail to a real SMTP server on loopback and, on the
PostgreSQL leg, a Redis of the test's own. The database is new: a SQLite file in a temporary
folder, or a PostgreSQL database created and dropped here.

gunicorn listens on plain HTTP on loopback; the test's HTTP client plays the TLS proxy the README
puts in front (X-Forwarded-Proto: https, the header SECURE_PROXY_SSL_HEADER trusts), so
SECURE_SSL_REDIRECT stays on as in production. GUNICORN_CMD_ARGS (which config/gunicorn.py's
docstring names for overrides) binds a free loopback port and runs two workers instead of four
on a shared test machine; the command line is the README's.
"""

import json
import re
import secrets
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from allauth.mfa import app_settings as mfa_settings
from django.db import connection
from django.utils import timezone

from tests.accounts.flows import totp_code
from tests.factories import DEFAULT_PASSWORD
from tests.private_redis import PrivateRedis
from tests.services import free_port, missing
from tests.smtp import SmtpServer
from tests.system.production import (
    Browser,
    Page,
    Process,
    Recipe,
    fresh_database,
    manage_command,
    production_environment,
    readme_recipe,
    run_step,
    start_process,
    wait_for_server,
)
from tests.waiting import wait_until

# One deployment (migrate, collectstatic, gunicorn, worker, relay) serves the whole module: under
# `pytest -n 2 --dist loadgroup` its tests stay on one worker, so it is set up once, not twice.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("production_path")]
if connection.vendor == "postgresql":
    pytestmark += [pytest.mark.postgres, pytest.mark.redis]

CUSTOMER = "customer@production.test"
ADMIN = "admin@production.test"
PLAN = "business-care"
# The fresh database has no plans and no people: a plan, a customer and an admin with an
# authenticator, made by the suite's factories through `manage.py shell -c` against it.
PEOPLE_AND_CATALOG = f"""
import json
from onboarding.core.roles import Role
from tests.factories import UserFactory, add_totp, plan_with_prices
plan_with_prices({PLAN!r})
UserFactory(email={CUSTOMER!r}, role=Role.CUSTOMER)
staff = UserFactory(email={ADMIN!r}, role=Role.ADMIN)
print(json.dumps({{"totp_secret": add_totp(staff)}}))
"""

# What every page answers with (config/settings.py, production).
PAGE_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
CSP_MUST_HAVE = ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]
# Static files are served by WhiteNoise, which answers before the CSP and X-Frame-Options
# middleware (those govern documents, not scripts or stylesheets); the transport headers apply.
STATIC_HEADERS = {
    key: PAGE_HEADERS[key]
    for key in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy")
}
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")


@dataclass
class Deployment:
    recipe: Recipe
    env: dict[str, str]
    base_url: str
    events_url: str
    smtp: SmtpServer
    processes: list[Process]
    step_output: dict[str, str]
    timings: dict[str, float]
    totp_secret: str = ""

    def browser(self) -> Browser:
        return Browser(self.base_url)

    def diagnostics(self) -> str:
        return "\n".join(process.log_tail() for process in self.processes)


def with_bind(argv: list[str], address: str) -> list[str]:
    at = argv.index("--bind")
    return [*argv[: at + 1], address, *argv[at + 2 :]]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    recipe = readme_recipe()
    with ExitStack() as stack:
        smtp = SmtpServer(free_port())
        smtp.start()
        stack.callback(smtp.stop)
        extra = {}
        if connection.vendor == "postgresql":
            if shutil.which("redis-server") is None:
                missing("redis-server (Debian package redis-server)")
            redis = PrivateRedis(folder)
            redis.start()
            stack.callback(redis.stop)
            extra["REDIS_URL"] = redis.url
        database_url = stack.enter_context(fresh_database(folder))
        env = production_environment(
            ONBOARDING_ENV="production",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url,
            EMAIL_URL=smtp.url,
            # STATIC_ROOT (and media, and the rest of var/) in this test's folder.
            VAR_DIR=str(folder / "var"),
            DEFAULT_FROM_EMAIL="Production Path <support@production.test>",
            BILLING_SELLER_TAX_ID="GB123456789",
            BILLING_SELLER_COUNTRY="IE",
            **extra,
        )
        step_output, timings = {}, {}
        for argv in recipe.steps:
            started = time.monotonic()
            result = run_step(argv, env)
            name = manage_command(argv) or argv[0]
            step_output[name] = result.stdout + result.stderr
            timings[name] = round(time.monotonic() - started, 1)
        port = free_port()  # taken just before gunicorn binds it, so nothing else takes it first
        # The address the proxy answers on: the links in every email.
        env["SITE_URL"] = f"https://127.0.0.1:{port}"
        env["GUNICORN_CMD_ARGS"] = f"--bind=127.0.0.1:{port} --workers=2"
        events_port = free_port()
        processes: list[Process] = []
        for argv in recipe.processes:
            name = manage_command(argv) or Path(argv[0]).name
            if "config.asgi" in argv:
                # The README's port 8001 is the proxy's to reach; here a free loopback port.
                name, argv = "events", with_bind(argv, f"127.0.0.1:{events_port}")
            processes.append(start_process(name, argv, env, folder))
            stack.callback(processes[-1].stop)  # stopped before the database is dropped
        deployment = Deployment(
            recipe=recipe,
            env=env,
            base_url=f"http://127.0.0.1:{port}",
            events_url=f"http://127.0.0.1:{events_port}",
            smtp=smtp,
            processes=processes,
            step_output=step_output,
            timings=timings,
        )
        started = time.monotonic()
        shell = [".venv/bin/python", "manage.py", "shell", "-c"]
        created = run_step([*shell, PEOPLE_AND_CATALOG], env)
        deployment.totp_secret = json.loads(created.stdout.strip().splitlines()[-1])["totp_secret"]
        wait_for_server(deployment.browser(), processes)
        timings["people and server up"] = round(time.monotonic() - started, 1)
        yield deployment
        print(f"\nproduction path ({connection.vendor}) timings in seconds: {timings}")


def test_the_readme_recipe_sets_up_then_runs_web_worker_and_relay():
    recipe = readme_recipe()
    commands = [manage_command(argv) for argv in recipe.steps]
    assert commands == [
        "migrate",
        "createcachetable",
        "collectstatic",
        "compile_catalogues",  # the German and French .mo files (docs/i18n.md)
        "check",
    ], recipe.steps
    assert "--noinput" in recipe.steps[0] and "--noinput" in recipe.steps[2]
    assert "--deploy" in recipe.steps[4]
    gunicorn, events, *others = recipe.processes
    assert Path(gunicorn[0]).name == "gunicorn"
    assert gunicorn[1:] == ["-c", "config/gunicorn.py", "config.wsgi"]
    # The risk board's live stream: one async worker, on its own port behind the proxy.
    assert Path(events[0]).name == "gunicorn"
    assert events[1:4] == ["-c", "config/gunicorn.py", "config.asgi"]
    assert "uvicorn_worker.UvicornWorker" in events and "--bind" in events
    assert [manage_command(argv) for argv in others] == ["run_worker", "run_relay"]
    assert {"ONBOARDING_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"} <= set(recipe.exported)


def test_every_setting_the_recipe_exports_is_given_to_the_processes(deployment):
    # REDIS_URL is optional: without it the cache is the database table createcachetable makes.
    optional = {"REDIS_URL"} if connection.vendor != "postgresql" else set()
    assert set(deployment.recipe.exported) - set(deployment.env) == optional
    assert "DEBUG" not in deployment.env
    assert "System check identified no issues" in deployment.step_output["check"]
    assert "static files copied" in deployment.step_output["collectstatic"]


USED_TOTP_PERIODS: set[float] = set()


def sign_in(browser: Browser, email: str, totp_secret: str | None = None) -> Page:
    login = browser.get("/accounts/login/")
    page = browser.submit(
        login, login.form_with("login", "password"), login=email, password=DEFAULT_PASSWORD
    )
    if totp_secret:
        # A code read in a period's last seconds may be stale when a loaded server reads it, and
        # a code once used is refused (allauth): each sign-in waits for a fresh period it has
        # not used, with time to spare.
        period = mfa_settings.TOTP_PERIOD

        def fresh_period() -> bool:
            now = time.time()
            return now // period not in USED_TOTP_PERIODS and now % period < period - 8

        wait_until(fresh_period, timeout=period + 5, what="a fresh TOTP period")
        USED_TOTP_PERIODS.add(time.time() // period)
        page = browser.submit(page, page.form_with("code"), code=totp_code(totp_secret))
        assert "/2fa/" not in page.path, page.text[:2000]
    assert page.status == 200, (page.path, page.text[:2000])
    return page


def header_problems(page: Page, expected: dict[str, str], *, csp: bool) -> list[str]:
    problems = [
        f"{page.path}: {name} is {page.response.headers.get(name)!r}, not {value!r}"
        for name, value in expected.items()
        if page.response.headers.get(name) != value
    ]
    if csp:
        policy = page.response.headers.get("Content-Security-Policy", "")
        problems += [
            f"{page.path}: CSP lacks {rule}" for rule in CSP_MUST_HAVE if rule not in policy
        ]
    return problems


def test_every_page_and_hashed_static_file_answers_200_with_the_security_headers(deployment):
    anonymous = deployment.browser()
    pricing = anonymous.get("/pricing/")
    buy_links = {href for href in pricing.parsed.links if href.startswith("/buy/")}
    assert buy_links, f"/pricing/ links to no buy page\n{deployment.diagnostics()}"
    # Visitors reach the buy pages as far as they may: the sign-in or sign-up page the app sends
    # them to answers.
    public = ["/", "/pricing/", *sorted(buy_links), "/accounts/login/", "/accounts/signup/"]
    public += ["/admin/login/", "/api/v1/docs", "/api/v1/openapi.json"]
    pages = [anonymous.get(path) for path in public]

    customer = deployment.browser()
    sign_in(customer, CUSTOMER)
    staff = deployment.browser()
    sign_in(staff, ADMIN, deployment.totp_secret)
    # The console home, the two pages drawing charts (the vendored Chart.js) and the Django admin.
    signed_in = ["/account/", "/account/invoices/", "/staff/", "/staff/funnel/", "/staff/risk/"]
    signed_in.append("/admin/")
    pages += [customer.get(path) for path in signed_in[:2]]
    pages += [staff.get(path) for path in signed_in[2:]]

    problems = [f"{p.response.url}: {p.status}" for p in pages if p.status != 200]
    for page in pages:
        problems += header_problems(page, PAGE_HEADERS, csp=True)
    # Signed in, the pages are the signed-in pages, not a sign-in form that answered 200.
    assert [p.path for p in pages[len(public) :]] == signed_in, [p.path for p in pages]
    assert ADMIN in pages[len(public) + 2].text
    assert json.loads(pages[len(public) - 1].text)["info"]["title"] == "Onboarding API"

    static_files = set().union(*(page.static_files() for page in pages))
    for named in ("/static/css/app.", "/static/vendor/chartjs-4.6.1/chart.umd.min."):
        assert any(path.startswith(named) for path in static_files), (named, static_files)
    for path in sorted(static_files):
        if not HASHED_NAME.search(path):
            problems.append(f"{path}: not a hashed (manifest) name")
        answer = anonymous.get(path)
        if answer.status != 200:
            problems.append(f"{path}: {answer.status}")
        problems += header_problems(answer, STATIC_HEADERS, csp=False)
        if "immutable" not in answer.response.headers.get("Cache-Control", ""):
            problems.append(f"{path}: not cached as immutable")
        # collectstatic compressed it; WhiteNoise serves the variant the client accepts.
        encoding = answer.response.headers.get("Content-Encoding")
        if path.endswith((".css", ".js")) and encoding not in {"br", "gzip"}:
            problems.append(f"{path}: served uncompressed")
    assert problems == [], "\n".join(problems) + "\n" + deployment.diagnostics()


def test_debug_is_off_and_an_unknown_page_is_the_plain_404(deployment):
    page = deployment.browser().get("/no-such-page/")
    assert page.status == 404
    assert "Traceback" not in page.text and "URLconf" not in page.text
    assert page.response.headers.get("Strict-Transport-Security")


def test_a_request_that_did_not_come_through_tls_is_redirected_to_https(deployment):
    # Without the proxy's X-Forwarded-Proto, gunicorn's plain HTTP is not trusted as secure.
    plain = requests.get(f"{deployment.base_url}/pricing/", allow_redirects=False, timeout=30)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{urlsplit(deployment.base_url).netloc}/pricing/"
    # Health checks answer the load balancer on plain HTTP (SECURE_REDIRECT_EXEMPT).
    assert requests.get(f"{deployment.base_url}/healthz", timeout=30).status_code == 200


def verification_link(smtp: SmtpServer, address: str) -> str:
    def delivered() -> str | None:
        for mail in smtp.sink.to(address):
            found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.text())
            if found:
                return found.group(0)
        return None

    return wait_until(delivered, timeout=60, interval=0.2, what=f"verification mail to {address}")


def test_a_new_customer_buys_a_plan_and_the_worker_gets_the_first_invoice_paid(deployment):
    email = "buyer@production.test"
    password = "a long and unusual production passphrase"
    browser = deployment.browser()
    pricing = browser.get("/pricing/")
    page = browser.get(pricing.link_to(rf"^/buy/{PLAN}/"))
    # A visitor is offered sign-up (or sign-in, linking to sign-up), the chosen plan carried.
    if not any("password1" in form.fields for form in page.parsed.forms):
        page = browser.get(page.link_to(r"/accounts/signup/"))
    signup = page.form_with("email", "password1")
    values = {"email": email, "password1": password}
    if "password2" in signup.fields:
        values["password2"] = password
    page = browser.submit(page, signup, **values)
    assert page.status == 200, (page.path, page.text[:2000])

    # The relay sends the verification mail through SMTP; the link names SITE_URL (the proxy).
    link = verification_link(deployment.smtp, email)
    confirm = browser.get(link)
    page = browser.submit(confirm, confirm.form_posting_to(r"/accounts/confirm-email/"))
    assert page.status == 200, (page.path, page.text[:2000])

    buy_path = f"/buy/{PLAN}/?cycle=quarterly"
    buy = browser.get(buy_path)
    assert buy.path == f"/buy/{PLAN}/", f"not signed in after verifying: {buy.path}"
    profile = browser.get(buy.link_to(r"^/account/profile/"))
    saved = browser.submit(
        profile,
        profile.form_with("company", "address_line1", "city", "postal_code", "country"),
        company="Production Path Ltd",
        address_line1="3 Deploy Street",
        city="Manchester",
        postal_code="M1 1AA",
        country="GB",
    )
    # An accepted form sends the buyer on; a refused one answers again with its errors.
    assert saved.status == 200 and saved.path != profile.path, saved.text[:3000]
    card = browser.get(browser.get(buy_path).link_to(r"^/account/card/"))
    saved = browser.submit(
        card,
        card.form_with("number", "exp_month", "exp_year", "cvc"),
        number="4242 4242 4242 4242",
        exp_month="12",
        exp_year=str(timezone.now().year + 2),
        cvc="123",
    )
    assert saved.status == 200 and saved.path != card.path, saved.text[:3000]
    buy = browser.get(buy_path)
    purchase = buy.form_with("cycle")
    assert "quarterly" in purchase.choices["cycle"], purchase
    done = browser.submit(buy, purchase, cycle="quarterly")
    assert done.status == 200, (done.path, done.text[:3000])
    subscriptions = json.loads(browser.get("/api/v1/me/subscriptions").text)
    assert [(s["plan"], s["cycle"]) for s in subscriptions] == [(PLAN, "quarterly")], subscriptions

    def paid_invoice() -> dict | None:
        answer = browser.get("/api/v1/me/invoices")
        assert answer.status == 200, answer.text[:500]
        return next((inv for inv in json.loads(answer.text) if inv["status"] == "paid"), None)

    try:
        invoice = wait_until(paid_invoice, timeout=90, interval=0.5, what="a paid invoice")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{deployment.diagnostics()}") from None
    assert invoice["total_minor"] > 0 and invoice["paid_at"]
    invoices = browser.get("/account/invoices/")
    assert invoice["number"] in invoices.text
    # With the worker beating and the manifest collected, the load balancer may send traffic.
    ready = requests.get(f"{deployment.base_url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["static_files"] == "ok"


def test_the_risk_boards_live_stream_is_served_by_the_async_server(deployment):
    """What the proxy sends to the second server: the board's event stream, for staff only."""
    headers = {"X-Forwarded-Proto": "https", "Accept": "text/event-stream"}

    def events_server_answers() -> bool:
        try:
            return requests.get(deployment.events_url + "/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    wait_until(events_server_answers, timeout=60, what="the events server")
    # Without a session the async server refuses as the pages do: to the sign-in page. Asked
    # first, so the signed-in ask below also proves a later request sees a session made since.
    anonymous = requests.get(
        deployment.events_url + "/staff/risk/events",
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous.headers["Location"]

    staff = deployment.browser()
    sign_in(staff, ADMIN, deployment.totp_secret)
    board = staff.get("/staff/risk/")
    assert board.status == 200 and board.path == "/staff/risk/", board.path
    with staff.session.get(
        deployment.events_url + "/staff/risk/events", headers=headers, stream=True, timeout=30
    ) as stream:
        assert stream.status_code == 200, deployment.diagnostics()
        assert not stream.history, deployment.diagnostics()
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = next(stream.iter_lines(decode_unicode=True))
    assert first == "retry: 1000"
