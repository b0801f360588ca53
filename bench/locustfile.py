"""Locust scenario for bench/load_journey.py: customers going through the onboarding journey, and
SysOps staff looking customers up. Run by the runner, which seeds the database and passes:

- LOAD_PLAN: the seed's JSON (password, seeded customers, SysOps accounts and TOTP secrets)
- LOAD_SAMPLES: where to write every response and the journey figures when the run stops
- LOAD_SYSOPS_USERS, LOAD_SIGNUP_SHARE, LOAD_FAILING_CARD_SHARE, LOAD_THINK ("min,max" seconds)
- LOAD_MAIL_DROP_DIR: the embedded mailbox's folder (MAIL_DROP_DIR), where the relay writes each
  email whole; a new customer's verification link is read there, as the customer would from their
  mail (staff's copy in the database has it withheld)

A customer's journey, page by page as a browser would fetch them (redirects are separate
requests, each measured under its route): home, pricing, a plan's "Buy" link, then sign-up (the
address verified through the emailed link, the profile filled in) or sign-in as a seeded
customer; the card page with a sandbox test card (4242... or, for a share, 4000 0000 0000 9995,
accepted on file but its charges fail); the purchase; the invoices page until the worker has
issued and charged the first invoice; the invoice (when its charge failed: replace the card,
pay now); its PDF; the contracts page until the contract is there; the contract, its PDF, the
acknowledgement; the inbox and its newest message; sign-out. Then the same simulated person
starts over as the next customer, from a new address and with no cookies.
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import sys
import time
from collections import defaultdict
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote, urlsplit

import gevent
from locust import HttpUser, events, task
from locust.clients import LocustHttpAdapter
from locust.exception import StopUser
from urllib3 import PoolManager

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
SIGNUP_SHARE = float(os.environ.get("LOAD_SIGNUP_SHARE", "0.25"))
FAILING_CARD_SHARE = float(os.environ.get("LOAD_FAILING_CARD_SHARE", "0.2"))
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "0.5,2").split(","))
POLL_SECONDS = 3.0  # a customer waiting for their invoice or contract reloads the page this often
POLL_LIMIT = 180.0  # and gives up (a failure) after this long

GOOD_CARD = "4242 4242 4242 4242"
FAILING_CARD = "4000 0000 0000 9995"  # on file fine; every charge fails (insufficient funds)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BUY_LINK = re.compile(r'href="(/buy/[\w-]+/\?cycle=\w+)"')
INVOICE_ROW = re.compile(r'<tr data-invoice="(\d+)">(.*?)</tr>', re.S)
CONTRACT_ROW = re.compile(r'<tr data-contract="(\d+)">(.*?)</tr>', re.S)
CUSTOMER_LINK = re.compile(r'href="/staff/customers/(\d+)/"')
INBOX_LINK = re.compile(r'href="/inbox/(\d+)/"')
ACKNOWLEDGE_FORM = 'id="acknowledge"'
VERIFY_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^\s/]+/)")
MAIL_DROP = Path(os.environ["LOAD_MAIL_DROP_DIR"])

customers = iter(PLAN["customers"])
sysops_accounts = iter(PLAN["sysops"])
identities = itertools.count(1)
run_tag = f"{int(time.time()) % 100000:05d}"

requests_seen: list[dict] = []
# Verification links found in the drop folder so far, by address; files already read.
verification_links: dict[str, str] = {}
mail_files_read: set[str] = set()
background: dict[str, list[float]] = defaultdict(list)
journeys: dict[str, int] = defaultdict(int)
journey_failures: dict[str, int] = defaultdict(int)


def _read_new_mail() -> None:
    """Note the verification link of every email written to the drop folder since last time."""
    for path in MAIL_DROP.glob("*.eml"):
        if path.name in mail_files_read:
            continue
        mail_files_read.add(path.name)
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        found = VERIFY_LINK.search(body.get_content() if body is not None else "")
        if found:
            verification_links[str(message["To"])] = found.group(1)


clock = {"started_at": None, "spawned_at": None, "stopped_at": None}


class JourneyFailed(Exception):
    """The page answered, but not what the journey needs; start over. `request_failed`: the
    cause is a request already recorded as failed (a wrong status); otherwise every response
    was a success and the journey still failed (a PDF that is not a PDF, a payment that did not
    pay), which only this count shows."""

    def __init__(self, message: str, *, request_failed: bool = False) -> None:
        super().__init__(message)
        self.request_failed = request_failed


def journey_failed(kind: str, failed: Exception) -> None:
    """Count a failed journey by what failed, and apart those whose every request succeeded."""
    journey_failures[f"{kind}: {failed}"] += 1
    if not getattr(failed, "request_failed", False):
        journeys["failed_with_every_request_ok"] += 1


def totp_code(secret: str, at: float) -> str:
    """RFC 6238 as authenticator apps compute it (SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Person(HttpUser):
    """Someone with a browser: one address, cookies, pages fetched one at a time."""

    abstract = True

    def wait_time(self) -> float:
        return random.uniform(*THINK)

    def new_identity(self) -> None:
        """A new person: no cookies, a loopback address of their own (rate limits count per
        address)."""
        n = next(identities)
        address = f"127.{1 + n // 62500}.{(n // 250) % 250 + 1}.{n % 250 + 1}"
        self.client.cookies.clear()
        pool = PoolManager(maxsize=1, source_address=(address, 0))
        self.client.mount("http://", LocustHttpAdapter(pool_manager=pool))

    def think(self) -> None:
        gevent.sleep(random.uniform(*THINK))

    def fetch(
        self, method: str, path: str, name: str, expect: int | tuple[int, ...] = 200, **kwargs
    ):
        """One request; a status not expected is a failure. Returns the response."""
        expected = expect if isinstance(expect, tuple) else (expect,)
        with self.client.request(
            method, path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in expected:
                where = response.headers.get("Location", "")
                response.failure(
                    f"{name}: {response.status_code}, expected {expect} {where}"
                    f"{no_answer(response)}"
                )
                raise JourneyFailed(name, request_failed=True)
            response.success()
            return response

    def page(self, path: str, name: str, **kwargs) -> str:
        return self.fetch("GET", path, name, **kwargs).text

    def submit(self, path: str, name: str, form_page: str, data: dict, expect: int = 302) -> str:
        """POST a form with the CSRF token of the page it came from; returns the redirect target."""
        token = CSRF.search(form_page)
        if token is None:
            raise JourneyFailed(f"no CSRF token before {name}")
        with self.client.post(
            path,
            {"csrfmiddlewaretoken": token.group(1), **data},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                errors = re.findall(
                    r'class="(?:field-error|errorlist)[^"]*"[^>]*>(.*?)<', response.text
                )
                response.failure(
                    f"{name}: {response.status_code}, expected {expect} {errors[:2]}"
                    f"{no_answer(response)}"
                )
                raise JourneyFailed(name, request_failed=True)
            response.success()
            return path_of(response.headers.get("Location", ""))

    def sign_in(self, email: str, login: str = "/accounts/login/") -> str:
        form = self.page(login, "/accounts/login/")
        self.think()
        return self.submit(
            login, "/accounts/login/ (POST)", form, {"login": email, "password": PLAN["password"]}
        )


def no_answer(response) -> str:
    """Status 0 is no HTTP answer at all: say what the connection did instead."""
    if response.status_code:
        return ""
    error = getattr(response, "error", None)
    return f" ({type(error).__name__}: {error})" if error else ""


class Customer(Person):
    weight = 1

    @task
    def journey(self) -> None:
        self.new_identity()
        journeys["started"] += 1
        try:
            self._journey()
        except StopUser:
            raise
        except JourneyFailed as failed:
            journeys["failed"] += 1
            journey_failed("customer", failed)
        except Exception as error:  # a page the journey cannot read is a failed journey too
            journeys["failed"] += 1
            journey_failed("customer", RuntimeError(f"{type(error).__name__}: {error}"))
        else:
            journeys["completed"] += 1

    def _journey(self) -> None:
        self.page("/", "/")
        self.think()
        pricing = self.page("/pricing/", "/pricing/")
        if random.random() < 0.5:  # a look at another billing cycle's prices
            self.think()
            cycle = random.choice(re.findall(r'href="\?cycle=(\w+)"', pricing))
            pricing = self.page(f"/pricing/?cycle={cycle}", "/pricing/?cycle=")
        buy = random.choice(BUY_LINK.findall(pricing)).replace("&amp;", "&")
        self.think()
        # Not signed in: the plan's page sends the visitor to sign up (or in) first, and back.
        door = path_of(self.fetch("GET", buy, "/buy/[plan]/ (anonymous)", 302).headers["Location"])
        if not door.startswith(("/accounts/login/?next=", "/accounts/signup/?next=")):
            raise JourneyFailed("the plan page did not ask for a sign-up or sign-in")
        back = door.split("?", 1)[1]
        login = f"/accounts/login/?{back}"
        self.think()
        if random.random() < SIGNUP_SHARE:
            self._sign_up(buy, f"/accounts/signup/?{back}")
            journeys["signed_up"] += 1
        else:
            account = next(customers, None)
            if account is None:
                raise StopUser  # every seeded customer has been used
            landed = self.sign_in(account["email"], login)
            if landed != buy:
                raise JourneyFailed(f"signed in to {landed}, not {buy}")
            journeys["signed_in"] += 1
        self.think()
        failing = random.random() < FAILING_CARD_SHARE
        self._add_card(FAILING_CARD if failing else GOOD_CARD, next_path=buy)
        self.think()
        page = self.page(buy, "/buy/[plan]/")
        self.think()
        cycle = buy.rsplit("=", 1)[1]
        self.submit(buy, "/buy/[plan]/ (POST)", page, {"cycle": cycle})
        purchased = time.time()
        journeys["purchased"] += 1
        self.page("/account/", "/account/")
        self.think()

        invoice_id, state = self._wait_for_invoice()
        paid = time.time()
        background["purchase → first invoice charged"].append((paid - purchased) * 1000)
        invoice_path = f"/account/invoices/{invoice_id}/"
        detail = self.page(invoice_path, "/account/invoices/[id]/")
        self.think()
        if state != "Paid":
            if not failing or "did not go through" not in detail:
                raise JourneyFailed(f"first invoice {state} with a working card")
            journeys["first_charge_failed"] += 1
            self._add_card(GOOD_CARD, next_path=invoice_path, replacing=True)
            self.think()
            detail = self.page(invoice_path, "/account/invoices/[id]/")
            self.think()
            self.submit(f"{invoice_path}pay/", "/account/invoices/[id]/pay/ (POST)", detail, {})
            detail = self.page(invoice_path, "/account/invoices/[id]/")
            if "Thank you: invoice" not in detail:
                raise JourneyFailed("paying now did not pay the invoice")
            journeys["paid_now"] += 1
            paid = time.time()
            self.think()
        pdf = self._invoice_pdf(invoice_path)
        if not pdf.startswith(b"%PDF"):
            raise JourneyFailed("the invoice PDF is not a PDF")
        self.think()

        contract_id = self._wait_for_contract()
        contract_path = f"/account/contracts/{contract_id}/"
        detail = self.page(contract_path, "/account/contracts/[id]/")
        if ACKNOWLEDGE_FORM not in detail:
            # The document is there but the contract is not delivered yet: no form. Reload.
            journeys["contract_shown_before_acknowledgeable"] += 1
            detail = self._wait_for_acknowledge_form(contract_path)
        waited = time.time() - paid
        background["invoice seen paid → contract can be acknowledged"].append(waited * 1000)
        version = re.search(rf'href="{contract_path}documents/(\d+)\.pdf"', detail)
        digest = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', detail)
        if version is None or digest is None:
            raise JourneyFailed("the contract page offers no document to acknowledge")
        self.think()
        document = self.fetch(
            "GET", f"{contract_path}documents/{version.group(1)}.pdf", "/account/contracts/[id]/pdf"
        )
        if hashlib.sha256(document.content).hexdigest() != digest.group(1):
            raise JourneyFailed("the contract PDF is not the document the page fingerprints")
        self.think()
        self.submit(
            f"{contract_path}acknowledge",
            "/account/contracts/[id]/acknowledge (POST)",
            detail,
            {"name": "Bench Customer", "document_sha256": digest.group(1), "confirm": "on"},
        )
        acknowledged = self.page(contract_path, "/account/contracts/[id]/")
        if 'id="acknowledgement"' not in acknowledged:
            raise JourneyFailed("the contract does not show its acknowledgement")
        journeys["acknowledged"] += 1
        self.think()

        inbox = self.page("/inbox/", "/inbox/")
        message = INBOX_LINK.search(inbox)
        if message:
            self.think()
            self.page(f"/inbox/{message.group(1)}/", "/inbox/[id]/")
        self.think()
        account = self.page("/account/", "/account/")
        self.submit("/accounts/logout/", "/accounts/logout/ (POST)", account, {})

    def _sign_up(self, buy: str, signup: str) -> None:
        email = f"new-{run_tag}-{next(identities)}@bench-load.test"
        form = self.page(signup, "/accounts/signup/")
        self.think()
        sent = self.submit(
            signup,
            "/accounts/signup/ (POST)",
            form,
            {"email": email, "password1": PLAN["password"], "password2": PLAN["password"]},
        )
        self.page(sent, "/accounts/confirm-email/")
        signed_up = time.time()
        link = self._verification_link(email)
        background["sign-up → verification email delivered"].append(
            (time.time() - signed_up) * 1000
        )
        confirm = self.page(link, "/accounts/confirm-email/[key]/")
        self.think()
        landed = self.submit(link, "/accounts/confirm-email/[key]/ (POST)", confirm, {})
        if landed != buy:  # signed in by the link, and back where the visitor was going
            raise JourneyFailed(f"the verification led to {landed}, not back to {buy}")
        self.page(buy, "/buy/[plan]/")
        self.think()
        profile_path = f"/account/profile/?next={quote(buy)}"
        form = self.page(profile_path, "/account/profile/")
        self.think()
        landed = self.submit(
            profile_path,
            "/account/profile/ (POST)",
            form,
            {
                "company": "Newcomer Ltd",
                "address_line1": "2 Harbour Road",
                "city": "Leeds",
                "postal_code": "LS1 1AA",
                "country": "GB",
                "preferred_inbox": random.choice(["in_app", "email"]),
            },
        )
        if landed != buy:
            raise JourneyFailed(f"the profile led to {landed}, not back to {buy}")

    def _verification_link(self, email: str) -> str:
        """The link in the email the relay delivered, read from the embedded mailbox's folder."""
        deadline = time.time() + POLL_LIMIT
        while time.time() < deadline:
            _read_new_mail()
            if email in verification_links:
                return verification_links.pop(email)
            gevent.sleep(0.5)
        raise JourneyFailed(f"no verification email for {email}")

    def _add_card(self, number: str, *, next_path: str, replacing: bool = False) -> None:
        card_path = f"/account/card/?next={quote(next_path)}"
        if replacing:
            # Replacing the card asks for the password again first (allauth's reauthentication).
            asked = self.fetch("GET", card_path, "/account/card/ (to reauthenticate)", expect=302)
            reauth = asked.headers["Location"]
            form = self.page(reauth, "/accounts/reauthenticate/")
            self.think()
            back = self.submit(
                reauth, "/accounts/reauthenticate/ (POST)", form, {"password": PLAN["password"]}
            )
            if urlsplit(back).path != "/account/card/":
                raise JourneyFailed(f"reauthentication led to {back}, not back to the card")
        form = self.page(card_path, "/account/card/")
        self.think()
        data = {
            "holder_name": "Bench Customer",
            "number": number,
            "exp_month": "12",
            "exp_year": str(time.gmtime().tm_year + 2),
            "cvc": "123",
        }
        landed = self.submit(card_path, "/account/card/ (POST)", form, data)
        if landed != next_path:
            raise JourneyFailed(f"the card led to {landed}, not back to {next_path}")

    def _invoice_pdf(self, invoice_path: str) -> bytes:
        """The invoice's PDF; while the page answers that it is being prepared (the worker makes
        it), reload it as a person would, and record how long that took."""
        asked = time.time()
        deadline = asked + POLL_LIMIT
        while True:
            # 202 with "being prepared" while the worker makes it, then 200 with the PDF.
            answer = self.fetch(
                "GET", f"{invoice_path}pdf/", "/account/invoices/[id]/pdf/", expect=(200, 202)
            )
            content = answer.content
            if content.startswith(b"%PDF"):
                background["invoice PDF asked → PDF received"].append((time.time() - asked) * 1000)
                return content
            if b"being prepared" not in content.lower():
                return content  # neither the PDF nor "being prepared": the journey fails
            if time.time() > deadline:
                raise JourneyFailed("the invoice PDF was still being prepared")
            gevent.sleep(POLL_SECONDS)

    def _wait_for_invoice(self) -> tuple[str, str]:
        """Reload the invoices page until the first invoice is there and its charge settled."""
        deadline = time.time() + POLL_LIMIT
        while time.time() < deadline:
            listing = self.page("/account/invoices/", "/account/invoices/")
            for invoice_id, row in INVOICE_ROW.findall(listing):
                state = re.search(r'<span class="badge [^"]*">([^<]+)</span>', row).group(1)
                if "Payment pending" not in row:
                    return invoice_id, state
            gevent.sleep(POLL_SECONDS)
        raise JourneyFailed("no charged invoice in time")

    def _wait_for_acknowledge_form(self, contract_path: str) -> str:
        deadline = time.time() + POLL_LIMIT
        while time.time() < deadline:
            gevent.sleep(POLL_SECONDS)
            detail = self.page(contract_path, "/account/contracts/[id]/")
            if ACKNOWLEDGE_FORM in detail:
                return detail
        raise JourneyFailed("the contract never offered its acknowledgement")

    def _wait_for_contract(self) -> str:
        deadline = time.time() + POLL_LIMIT
        while time.time() < deadline:
            listing = self.page("/account/contracts/", "/account/contracts/")
            for contract_id, row in CONTRACT_ROW.findall(listing):
                if "PDF being prepared" not in row and "Being prepared" not in row:
                    return contract_id
            gevent.sleep(POLL_SECONDS)
        raise JourneyFailed("no contract in time")


class SysOps(Person):
    """Staff: sign in with password and TOTP once, then search customers and open their view."""

    fixed_count = int(os.environ.get("LOAD_SYSOPS_USERS", "5"))

    def on_start(self) -> None:
        self.new_identity()
        account = next(sysops_accounts, None)
        if account is None:
            raise StopUser  # no SysOps account left: a TOTP code is used once per account
        try:
            landed = self.sign_in(account["email"])
            if not landed.startswith("/accounts/2fa/authenticate"):
                raise JourneyFailed(f"the password led to {landed}, not the TOTP step")
            form = self.page(landed, "/accounts/2fa/authenticate/")
            # A person waits for a fresh code rather than type one about to expire (the server
            # accepts the current 30-second step only).
            if time.time() % 30 > 27:
                gevent.sleep(30 - time.time() % 30 + 0.2)
            self.submit(
                landed,
                "/accounts/2fa/authenticate/ (POST)",
                form,
                {"code": totp_code(account["secret"], time.time())},
            )
        except JourneyFailed as failed:
            journey_failed("SysOps sign-in", failed)
            raise StopUser from failed

    @task(3)
    def search_and_open(self) -> None:
        try:
            self._search_and_open()
        except JourneyFailed as failed:
            journey_failed("SysOps search", failed)

    def _search_and_open(self) -> None:
        seeded = random.choice(PLAN["customers"])
        query = random.choice(
            [seeded["last"], f"{seeded['first']} {seeded['last']}", seeded["email"], "new-"]
        )
        results = self.page(
            "/staff/customers/", "/staff/customers/?q= (search)", params={"q": query}
        )
        found = CUSTOMER_LINK.findall(results)
        if not found:
            return
        self.think()
        self.page(f"/staff/customers/{random.choice(found)}/", "/staff/customers/[id]/")

    @task(1)
    def search_as_typed(self) -> None:
        """The search box asks for the results fragment (htmx) as the name is typed."""
        try:
            self.page(
                "/staff/customers/",
                "/staff/customers/?q= (htmx fragment)",
                params={"q": random.choice(PLAN["surnames"])},
                headers={"HX-Request": "true"},
            )
        except JourneyFailed as failed:
            journey_failed("SysOps search as typed", failed)


# --- Recording ------------------------------------------------------------------------------------


@events.test_start.add_listener
def on_test_start(environment, **kwargs) -> None:
    clock["started_at"] = time.time()
    gevent.spawn(progress, environment)


@events.spawning_complete.add_listener
def on_spawned(user_count, **kwargs) -> None:
    clock["spawned_at"] = time.time()


@events.request.add_listener
def on_request(name, response_time, response, exception, start_time, **kwargs):
    requests_seen.append(
        {
            "name": name,
            "start": start_time,
            "ms": response_time,
            "status": getattr(response, "status_code", 0) or 0,
            "error": str(exception)[:200] if exception else "",
        }
    )


def progress(environment) -> None:
    last = 0
    while True:
        gevent.sleep(10)
        done = len(requests_seen)
        failures = sum(1 for r in requests_seen if r["error"])
        elapsed = time.time() - clock["started_at"]
        print(
            f"[locust] {elapsed:5.0f}s  users {environment.runner.user_count}"
            f"  requests {done} ({(done - last) / 10:.1f}/s)  failures {failures}"
            f"  journeys {dict(journeys)}",
            file=sys.stderr,
            flush=True,
        )
        last = done


@events.test_stop.add_listener
def on_test_stop(environment, **kwargs) -> None:
    clock["stopped_at"] = time.time()
    Path(os.environ["LOAD_SAMPLES"]).write_text(
        json.dumps(
            {
                **clock,
                "spawned_at": clock["spawned_at"] or clock["started_at"],
                "requests": requests_seen,
                "background": background,
                "journeys": journeys,
                "journey_failures": journey_failures,
            }
        )
    )
