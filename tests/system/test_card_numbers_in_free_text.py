"""Card numbers typed into free text are masked before they are stored or sent (issue 13, item 8).

A customer, SysOps, a manager and an admin type card numbers into every free-text field of the
product through its pages and its API: the profile and contacts, the contract acknowledgement,
repair requests and their comments, acceptance requirements and the manager's actions, alert
and risk notes, a refund's reason. The background work runs (invoices and their PDFs, the
contract document, the credit note, every notice by email and in-app). Then the database (every
column of every table), the files written (documents, the mail drop), the captured logs and the
mail delivered to a real SMTP server hold none of the card numbers, in any spelling.
"""

import logging
import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from onboarding.acceptance.models import Review
from onboarding.alerts.models import AdminAlert
from onboarding.billing.models import CreditNote, Invoice, InvoiceStatus
from onboarding.billing.tasks import follow_ups_dispatch
from onboarding.contracts.models import (
    Contract,
    ContractAcceptance,
    ContractDocument,
    ContractState,
)
from onboarding.core.cardmask import contains_card_number
from onboarding.notifications.relay import relay_drain
from onboarding.payments.gateways.base import CardDetails
from onboarding.payments.methods import payment_method_add
from onboarding.risk.services import risk_event_raise
from onboarding.sysops.models import ServiceRequest, ServiceRequestUpdate
from tests.billing.conftest import run_tasks
from tests.factories import UserFactory, plan_with_prices, staff_user
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Stripe's test numbers (all pass the Luhn check), each typed in the spellings people use.
VISA = "4242424242424242"
VISA_DECLINED = "4000000000000002"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
DISCOVER = "6011111111111117"
MASTERCARD_DEBIT = "5200828282828210"
TYPED = [VISA, VISA_DECLINED, MASTERCARD, AMEX, DISCOVER, MASTERCARD_DEBIT]


def spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def dashed(number: str) -> str:
    return "-".join(number[i : i + 4] for i in range(0, len(number), 4))


def spellings_of(number: str) -> re.Pattern[str]:
    """The number with or without one separator between any two digits."""
    return re.compile(r"[\s\-]?".join(number))


CARD_PATTERNS = {number: spellings_of(number) for number in TYPED}


def leaks_in(text: str) -> list[str]:
    found = [number for number, pattern in CARD_PATTERNS.items() if pattern.search(text)]
    if contains_card_number(text):
        found.append("a Luhn-valid card number")
    return found


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)  # staff users come with TOTP (tests.factories.staff_user)
    return client


def background_work() -> None:
    follow_ups_dispatch()
    run_tasks()
    relay_drain(worker_id="cardmask-relay")


def ok(response, *codes: int) -> None:
    assert response.status_code in (codes or (200, 201, 302)), (
        response.status_code,
        response.content[:500],
    )


def api(client: Client, path: str, payload: dict, method: str = "post") -> dict:
    response = getattr(client, method)(f"/api/v1{path}", payload, content_type="application/json")
    ok(response, 200, 201)
    return response.json()


# --- scanning -------------------------------------------------------------------------------


def database_leaks() -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("utf-8", "replace")
                    if value is not None and (hits := leaks_in(str(value))):
                        found.append(f"{table}.{column}: {hits} in {str(value)[:200]!r}")
    return found


def file_text(path: Path) -> str:
    content = path.read_bytes()
    if content.startswith(b"%PDF"):
        return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages)
    return content.decode("utf-8", "replace")


def without_fingerprints(text: str) -> str:
    """`text` without the documents' SHA-256 fingerprints, however a PDF wrapped them: the
    certificate breaks a fingerprint anywhere (word-break: break-all), and a piece of it on its
    own line may be all digits, which the card check cannot tell from a number."""
    fingerprints = set(ContractDocument.objects.values_list("sha256", flat=True))
    for fingerprint in fingerprints:
        text = re.sub(r"\s?".join(fingerprint), " ", text)
    return text


def file_leaks(folder: Path) -> list[str]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return [
        f"{path}: {hits}"
        for path in files
        if (hits := leaks_in(without_fingerprints(file_text(path))))
    ]


def mail_leaks(messages) -> list[str]:
    found = []
    for mail in messages:
        parts = [mail.subject, mail.text(), mail.html()]
        parts += [file_text_of(name, content) for name, _, content in mail.attachments()]
        if hits := leaks_in("\n".join(parts)):
            found.append(f"mail {mail.subject!r} to {mail.recipients}: {hits}")
    return found


def file_text_of(name: str, content: bytes) -> str:
    if content.startswith(b"%PDF"):
        return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages)
    return content.decode("utf-8", "replace")


# A record's own attributes (thread id, timestamps) are numbers that may pass the Luhn check.
STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def log_leaks(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        extra = {k: str(v) for k, v in vars(record).items() if k not in STANDARD_RECORD_FIELDS}
        fields = {"message": record.getMessage(), "exc_info": str(record.exc_info or ""), **extra}
        # Each field alone: joined, two fields' numbers could read as one card.
        for name, text in fields.items():
            if hits := leaks_in(text):
                found.append(f"log {record.name} {record.msg!r} field {name}: {hits}")
    return found


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
def var_dir(settings, tmp_path):
    """Everything the product writes to disk in this test goes under one folder we can scan."""
    var = tmp_path / "var"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(var / "media")},
        },
    }
    settings.MAIL_DROP_DIR = var / "mail"
    return var


def test_card_numbers_typed_anywhere_are_stored_and_sent_masked(
    settings, smtp_mail, redis_url, var_dir, caplog
):
    caplog.set_level(logging.INFO)
    settings.SITE_URL = "http://testserver"
    plan = plan_with_prices()
    user = UserFactory(email="typist@example.com")
    sysops, manager, admin = (staff_user(role) for role in ("sysops", "manager", "admin"))
    me, desk, boss, root = (client_for(u) for u in (user, sysops, manager, admin))

    # --- the customer's profile and contacts (page and API) ------------------------------------
    ok(
        me.post(
            reverse("accounts:profile"),
            {
                "company": f"Card {spaced(VISA)} Ltd",
                "address_line1": f"{dashed(MASTERCARD)} High Street",
                "address_line2": f"Flat {AMEX}",
                "city": "Bristol",
                # A card number is never a postal code in any country's format (nor within the
                # length cap of a country without one): refused outright, not masked.
                "postal_code": "BS1 4DJ",
                "region": spaced(VISA_DECLINED),
                "country": "GB",
                "preferred_inbox": "email",
            },
        )
    )
    ok(
        me.post(
            reverse("accounts:contacts"),
            {"name": f"Ada {VISA}", "role": f"Billing {dashed(AMEX)}", "email": "ada@example.com"},
        )
    )
    contact = api(
        me,
        "/me/contacts",
        {"name": f"Bob {spaced(MASTERCARD)}", "role": MASTERCARD_DEBIT, "email": "bob@ex.com"},
    )
    api(
        me,
        f"/me/contacts/{contact['id']}",
        {"name": f"Bob {dashed(DISCOVER)}", "role": "Tech", "email": "bob@ex.com"},
        method="put",
    )
    profile = {
        "company": f"Card {VISA} Ltd",
        "address_line1": f"{spaced(AMEX)} Low Street",
        "address_line2": f"Unit {dashed(MASTERCARD_DEBIT)}",
        "city": f"Bath {DISCOVER}",
        "postal_code": "BA1 1AA",
        "region": VISA_DECLINED,
        "country": "GB",
    }
    api(me, "/me/profile", profile, method="put")

    # --- buy; the first invoice, its PDF and the contract are made and sent --------------------
    card = CardDetails(number=VISA, exp_month=12, exp_year=timezone.now().year + 2, cvc="123")
    payment_method_add(customer=user.customer, actor=user, card=card)
    api(me, "/me/subscriptions", {"plan": plan.slug, "cycle": "monthly"})

    def contract_sent():
        background_work()
        return Contract.objects.filter(customer=user.customer, state=ContractState.SENT).first()

    contract = wait_until(contract_sent, timeout=60, what="the contract to be delivered")
    document = contract.documents.get(version=contract.document_version_wanted)
    ok(
        me.post(
            reverse("contracts:acknowledge", args=[contract.pk]),
            {"name": f"Typist {spaced(VISA)}", "document_sha256": document.sha256, "confirm": "on"},
        )
    )
    assert ContractAcceptance.objects.filter(contract=contract).exists()
    background_work()  # contract.activated; the acknowledgement notice

    # --- repair and troubleshoot requests, from both sides -------------------------------------
    subscription = contract.subscription
    ok(
        me.post(
            reverse("requests:new"),
            {
                "subscription_id": subscription.pk,
                "kind": "repair",
                "severity": "high",
                "summary": f"Card {spaced(VISA)} charged twice",
                "description": f"My card {dashed(VISA_DECLINED)} was refused, then {AMEX}.",
            },
        )
    )
    by_api = api(
        me,
        "/me/requests",
        {
            "subscription_id": subscription.pk,
            "kind": "troubleshoot",
            "severity": "normal",
            "summary": f"{MASTERCARD} again",
            "description": f"Number {spaced(DISCOVER)}",
        },
    )
    by_phone = api(
        desk,
        "/staff/requests",
        {
            "customer_id": user.customer.pk,
            "subscription_id": subscription.pk,
            "kind": "repair",
            "severity": "normal",
            "summary": f"Phoned in: {dashed(MASTERCARD_DEBIT)}",
            "description": f"Read out {VISA} on the phone",
        },
    )
    first = ServiceRequest.objects.exclude(pk__in=[by_api["id"], by_phone["id"]]).get()
    ok(me.post(reverse("requests:detail", args=[first.pk]), {"body": f"Also {dashed(VISA)}"}))
    api(me, f"/me/requests/{by_api['id']}/comments", {"body": f"and {spaced(AMEX)}"})
    ok(
        desk.post(
            reverse("sysops:request_comment", args=[first.pk]),
            {"body": f"Internal: {VISA_DECLINED}", "internal": "on"},
        )
    )
    api(desk, f"/staff/requests/{by_api['id']}/comments", {"body": f"Reply {DISCOVER}"})
    ok(
        desk.post(
            reverse("sysops:request_move", args=[first.pk]),
            {"status": "in_progress", "note": f"Working on {spaced(MASTERCARD)}"},
        )
    )
    api(
        desk,
        f"/staff/requests/{by_phone['id']}/status",
        {"status": "in_progress", "note": f"Note {dashed(MASTERCARD_DEBIT)}"},
    )

    # --- acceptance: requirements, ratings, the manager's actions ------------------------------
    contract.refresh_from_db()
    ok(
        desk.post(
            reverse("acceptance:requirement_add", args=[contract.pk]),
            {
                "title": f"VPN {VISA}",
                "criteria": f"Works with {spaced(VISA_DECLINED)}",
                "rating": "red",
                "notes": f"See {dashed(AMEX)}",
            },
        )
    )
    requirement = contract.requirements.get()
    ok(
        desk.post(
            reverse("acceptance:edit", args=[requirement.pk]),
            {
                f"r{requirement.pk}-title": f"VPN {spaced(MASTERCARD)}",
                f"r{requirement.pk}-criteria": f"Works with {DISCOVER}",
                f"r{requirement.pk}-notes": f"See {spaced(MASTERCARD_DEBIT)}",
            },
        )
    )
    api(
        desk,
        f"/staff/acceptance/contracts/{contract.pk}/requirements",
        {"title": f"Backups {AMEX}", "criteria": f"Nightly {VISA}", "rating": "red"},
    )
    ok(
        desk.post(
            reverse("acceptance:rate", args=[requirement.pk]),
            {"rating": "yellow", "note": f"Why {dashed(VISA)}"},
        )
    )
    review = Review.objects.filter(contract=contract).order_by("-pk").first()
    ok(boss.post(reverse("acceptance:escalate", args=[review.pk]), {"note": f"Up {spaced(AMEX)}"}))
    due = (timezone.now() + timedelta(days=3)).date().isoformat()
    ok(
        boss.post(
            reverse("acceptance:remediation", args=[review.pk]),
            {"owner": sysops.pk, "due": due, "note": f"Fix {dashed(DISCOVER)}"},
        )
    )
    api(
        boss,
        f"/staff/acceptance/reviews/{review.pk}/actions",
        {"action": "accept_with_conditions", "note": f"If {MASTERCARD}"},
    )

    # --- an admin resolves the escalation's alert; a risk is resolved ---------------------------
    alert = AdminAlert.objects.filter(reason="acceptance_escalated").get()
    ok(root.post(reverse("alerts:resolve", args=[alert.pk]), {"note": f"Done {spaced(VISA)}"}))
    other = AdminAlert.objects.filter(resolved_at__isnull=True).first()
    if other is not None:
        api(root, f"/staff/alerts/{other.pk}/resolve", {"note": f"Done {AMEX}"})
    risk = risk_event_raise(
        type="acceptance_unacknowledged",
        level="red",
        contract=contract,
        reason="nobody acknowledged",
        dedupe_key="cardmask-test",
        rating="red",
    )
    ok(boss.post(reverse("risk:resolve", args=[risk.pk]), {"note": f"Called {dashed(AMEX)}"}))

    # --- a refund with a reason; the contract amended and cancelled with reasons ---------------
    invoice = Invoice.objects.get(subscription=subscription, status=InvoiceStatus.PAID)
    ok(
        desk.post(
            reverse("billing:staff_invoice_refund", args=[invoice.pk]),
            {"amount": "10.00", "reason": f"Refund to {spaced(VISA)} please"},
        )
    )
    assert CreditNote.objects.filter(invoice=invoice).exists()
    api(desk, f"/staff/contracts/{contract.pk}/amend", {"reason": f"Changed {MASTERCARD}"})
    background_work()
    ok(
        me.post(
            reverse("contracts:cancel", args=[contract.pk]),
            {"cancel-confirm": "on", "cancel-reason": f"Leaving, card {dashed(DISCOVER)}"},
        )
    )
    background_work()
    background_work()

    # Everything typed was stored (masked), so the scan below is not vacuous.
    assert ServiceRequest.objects.count() == 3
    assert ServiceRequestUpdate.objects.exclude(body="").count() >= 5
    assert smtp_mail.sink.to("typist@example.com")

    leaks = (
        database_leaks()
        + file_leaks(var_dir)
        + mail_leaks(smtp_mail.sink.messages())
        + log_leaks(caplog.records)
    )
    assert leaks == [], "\n".join(leaks)
    # ...and what was typed is kept, masked, with its last four digits.
    assert "•••• •••• •••• 4242" in ServiceRequest.objects.get(pk=first.pk).summary
