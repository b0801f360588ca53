"""Every email the project can send fills every placeholder and names the product.

The templates are found on disk (allauth's account and MFA mail, the project's overrides, and
every app's notification mail), so a new template is checked as soon as it exists: without a
context here its test fails and says which one to add. They are rendered the way the project
renders them (allauth's adapter with the project's mail context; notification_send) with a
realistic context, and with the template engine's `string_if_invalid` set to a sentinel, so a
variable the context lacks shows up instead of rendering as nothing.
"""

import copy
import html
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.account.internal import flows
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.core.context import request_context
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy

from onboarding.acceptance.models import Rating, Review
from onboarding.accounts.mail import account_mail_context
from onboarding.alerts.models import AlertSeverity
from onboarding.billing.models import CreditNote, InvoiceStatus
from onboarding.contracts.models import ContractAcceptance, ContractDocument
from onboarding.notifications.services import notification_send
from onboarding.sla.models import ClockKind, SlaClock
from onboarding.sysops.models import ServiceCredit, ServiceRequestUpdate
from onboarding.sysops.sla_alerts import HEADLINES as SLA_HEADLINES
from tests.factories import UserFactory, plan_with_prices, staff_user
from tests.sysops.conftest import make_contract, make_invoice, open_request, subscribe

pytestmark = pytest.mark.django_db

SENTINEL = "@@NO VALUE FOR %s@@"
MISSING = re.compile(r"@@NO VALUE FOR [^@]*@@")
# What an empty placeholder leaves behind: a word and then punctuation where a name belonged
# ("Hello from !", "an account on .", "Dear ,"), empty brackets, or a bare sign-up host prefix.
TELLTALES = [
    re.compile(r"\w[ \t]+[!.,;:?](?=\s|$)"),
    re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}|\"\"|“”"),
    re.compile(r"\[(127\.0\.0\.1|localhost|testserver)[^\]]*\]"),
]
HOST = "127.0.0.1:18555"

BASE_DIR = Path(settings.BASE_DIR)
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
ALLAUTH_APPS = [
    config.name.removeprefix("allauth.")
    for config in apps.get_app_configs()
    if config.name.startswith("allauth.")
]


def allauth_mail_prefixes() -> list[str]:
    """Every allauth email the installed allauth apps can send, with the project's overrides."""
    prefixes = set()
    for app in ALLAUTH_APPS:
        for root in (ALLAUTH_TEMPLATES, BASE_DIR / "templates"):
            directory = root / app / "email"
            for path in directory.glob("*_message.*"):
                if path.name.startswith("base_"):
                    continue  # the layout the messages extend, never sent alone
                prefixes.add(f"{app}/email/{path.name.rsplit('_message.', 1)[0]}")
    return sorted(prefixes)


def notification_templates() -> list[str]:
    """Every template notification_send can be given: each app's templates/<app>/email/ and the
    generic notice (accounts/email/prerendered carries allauth's mail, rendered already)."""
    found = {"notifications/generic"}
    for path in BASE_DIR.glob("onboarding/*/templates/*/email/*.*"):
        if path.suffix in {".txt", ".html"}:
            found.add(f"{path.parent.parent.name}/email/{path.stem}")
    return sorted(found)


# French sets a space before : ; ! ? (a no-break one, which subjects' whitespace folding turns
# into a plain space): there only a space before . or , is a telltale.
FRENCH_TELLTALE = re.compile(r"\w[ \t]+[.,](?=\s|$)")


def blanks_in(text: str, language: str = "en") -> list[str]:
    found = MISSING.findall(text)
    patterns = [FRENCH_TELLTALE, *TELLTALES[1:]] if language == "fr" else TELLTALES
    for pattern in patterns:
        found += [match.group(0) for match in pattern.finditer(text)]
    return found


def html_text(markup: str) -> str:
    return html.unescape(strip_tags(markup))


@pytest.fixture
def strict_templates(settings):
    """The template engine renders a variable the context lacks as a visible sentinel."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = SENTINEL
    settings.TEMPLATES = templates


# --- allauth's mail -----------------------------------------------------------------------


@pytest.fixture
def member(db):
    return UserFactory(email="ann.example@example.com", first_name="Ann", last_name="Example")


def allauth_request(user) -> object:
    request = RequestFactory().get("/accounts/signup/", HTTP_HOST=HOST)
    request.user = user or AnonymousUser()
    request.session = {}
    return request


def allauth_context(name: str, *, user, request) -> dict:
    """The context allauth's own callers build for each email (allauth.account.adapter and
    internal/flows); anything else is a notification (send_notification_mail)."""
    adapter = get_adapter(request)
    address = EmailAddress.objects.get(user=user, primary=True)
    confirmation = {
        "user": user,
        "key": EmailConfirmationHMAC(address).key,
        "activate_url": adapter.get_email_confirmation_url(request, EmailConfirmationHMAC(address)),
    }
    reset_url = adapter.get_reset_password_from_key_url("3-c7k2f0-0a1b2c3d4e5f")
    notification = {
        "timestamp": timezone.now(),
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    }
    contexts = {
        "email_confirmation": confirmation,
        "email_confirmation_signup": confirmation,
        "password_reset_key": {
            "user": user,
            "password_reset_url": reset_url,
            "uid": "3",
            "key": "c7k2f0-0a1b2c3d4e5f",
            "request": request,
        },
        "password_reset_code": {"code": "K7Q2WX", "request": request},
        "login_code": {"code": "K7Q2WX", "request": request},
        "unknown_account": {"signup_url": flows.signup.get_signup_url(request), "request": request},
        "account_already_exists": {
            "signup_url": flows.signup.get_signup_url(request),
            "password_reset_url": flows.password_reset.get_reset_password_url(request),
        },
        "email_changed": {
            **notification,
            "from_email": "ann.old@example.com",
            "to_email": "ann.example@example.com",
        },
        "email_deleted": {**notification, "deleted_email": "ann.old@example.com"},
    }
    return contexts.get(name, notification)


# The link or code each email exists to deliver.
LINKS = {
    "email_confirmation": "activate_url",
    "email_confirmation_signup": "activate_url",
    "password_reset_key": "password_reset_url",
    "account_already_exists": "password_reset_url",
    "unknown_account": "signup_url",
    "login_code": "code",
    "password_reset_code": "code",
}


LANGUAGES = [code for code, _name in settings.LANGUAGES]
# Words an English email has and a German or French one must not: a string left unmarked.
ENGLISH_ONLY = re.compile(r"\b(Hello|Your|your|Please|Thank you|invoice)\b")
# What the test's data says in English (a card's decline message comes from the gateway).
ENGLISH_DATA = ("Your card was declined.", "Your card has insufficient funds.", "Your bank reports")


def english_left(text: str) -> re.Match | None:
    for data in ENGLISH_DATA:
        text = text.replace(data, "")
    return ENGLISH_ONLY.search(text)


# Mail that is not checked for English: the prerendered account mail (allauth's, checked on its
# own) and the generic body (its words are the caller's).
STAFF_TEMPLATES = {
    "accounts/email/prerendered",
    "notifications/generic",
}
# Staff mail: staff read English or German (User.staff_language), so the German is checked;
# French staff mail is never sent. (The alert mail is checked like a customer's.)
STAFF_TEMPLATES_GERMAN = {
    "acceptance/email/manager_escalation",
    "acceptance/email/remediation_requested",
    "acceptance/email/review_sla",
    "billing/email/dunning_decision",
    "contracts/email/expiry_reminder_sysops",
    "sysops/email/request_sla",
    "sysops/email/service_credit",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("prefix", allauth_mail_prefixes())
def test_every_allauth_email_fills_its_placeholders_and_names_the_product(
    strict_templates, member, prefix, language
):
    request = allauth_request(member)
    adapter = get_adapter(request)
    with request_context(request), translation.override(language):
        context = allauth_context(prefix.rsplit("/", 1)[-1], user=member, request=request)
        context = account_mail_context(email=member.email, context={"request": request, **context})
        message = adapter.render_mail(prefix, member.email, context)
    parts = {"subject": message.subject, "body": message.body}
    parts.update(
        {f"html ({mime})": html_text(c) for c, mime in getattr(message, "alternatives", [])}
    )
    for part, text in parts.items():
        assert not blanks_in(text, language), f"{prefix} {part} has an empty placeholder:\n{text}"
    assert "  " not in message.subject and message.subject == message.subject.strip()
    assert settings.SITE_NAME in message.subject, message.subject
    assert settings.SITE_NAME in message.body, message.body
    assert HOST not in message.subject
    link = LINKS.get(prefix.rsplit("/", 1)[-1])
    if link:
        assert str(context[link]) in message.body, f"{prefix} does not carry its {link}"
    if language != "en" and prefix.startswith("account/"):
        assert not ENGLISH_ONLY.search(message.subject + message.body), (
            f"{prefix} in {language} has English left:\n{message.subject}\n{message.body}"
        )


def test_the_allauth_mail_list_covers_what_the_project_sends():
    # The enumeration found allauth's templates and the project's own wording for each.
    prefixes = allauth_mail_prefixes()
    assert "account/email/email_confirmation_signup" in prefixes
    assert "mfa/email/totp_activated" in prefixes
    for prefix in prefixes:
        assert (BASE_DIR / "templates" / f"{prefix}_message.txt").exists(), (
            f"{prefix}: write the product's own wording in templates/{prefix}_message.txt"
        )
        assert (BASE_DIR / "templates" / f"{prefix}_subject.txt").exists(), prefix


# --- notification mail --------------------------------------------------------------------


@pytest.fixture
def world(db):
    """Real rows for the notification contexts: a customer with a purchase, its invoice and
    contract, a request, SysOps and a manager."""
    now = timezone.now()
    buyer = UserFactory(email="ops@northwind.test", first_name="Nancy", last_name="Davolio")
    subscription = subscribe(buyer, plan_with_prices())
    customer = subscription.customer
    invoice = make_invoice(subscription, 0, status=InvoiceStatus.PAID, paid_at=now)
    failed = make_invoice(
        subscription,
        1,
        status=InvoiceStatus.OPEN,
        last_payment_message="Your card was declined.",
        next_retry_at=now + timedelta(days=2),
    )
    uncollectible = make_invoice(
        subscription,
        2,
        status=InvoiceStatus.UNCOLLECTIBLE,
        last_payment_message="Your card has insufficient funds.",
    )
    hard_declined = make_invoice(
        subscription,
        3,
        status=InvoiceStatus.OPEN,
        last_payment_message="Your bank reports this card as lost.",
        retry_stopped="hard_decline",
    )
    contract = make_contract(subscription, 0, service_ends_at=now + timedelta(days=40))
    document = ContractDocument(
        contract=contract, version=2, sha256="9f" * 32, storage_path="c/v2.pdf", size_bytes=1
    )
    acceptance = ContractAcceptance(
        pk=42,
        contract=contract,
        document=document,
        user=buyer,
        typed_name="Nancy Davolio",
        accepted_at=now,
    )
    request = open_request(subscription)
    manager = staff_user(role="manager", email="mia.manager@example.com")
    sysops = staff_user(email="sam.sysops@example.com", first_name="Sam", last_name="Ops")
    return {
        "now": now,
        "user": buyer,
        "customer": customer,
        "subscription": subscription,
        "plan": subscription.plan,
        "method": customer.payment_methods.first(),
        "invoice": invoice,
        "failed": failed,
        "uncollectible": uncollectible,
        "hard_declined": hard_declined,
        "credit_note": CreditNote(
            invoice=invoice,
            customer=customer,
            number="CN-2026-000007",
            currency="EUR",
            subtotal_minor=4950,
            tax_minor=990,
            total_minor=5940,
            reason="Service credit for the outage on 3 March",
        ),
        "contract": contract,
        "document": document,
        "acceptance": acceptance,
        "review": Review(contract=contract, rating=Rating.RED, ack_due_at=now + timedelta(hours=1)),
        "request": request,
        "manager": manager,
        "sysops": sysops,
    }


def _billing(w, invoice, outcome):
    # billing/followups.py _context
    receipt = {
        "amount": invoice.total,
        "paid_at": invoice.paid_at,
        "card": str(w["method"]),
        "reference": "ch_3PqLx2",
    }
    return {
        "invoice": invoice,
        "customer": w["customer"],
        "plan": w["plan"],
        "outcome": outcome,
        "receipt": receipt if outcome == "paid" else None,
        "invoice_url": f"{settings.SITE_URL}/account/invoices/{invoice.pk}/",
        "card_url": f"{settings.SITE_URL}/account/card/",
        "site_url": settings.SITE_URL,
    }


def _contract(w, **extra):
    # the context of contracts/delivery.py contract_notice_send and lifecycle.contract_expiry_remind
    return {"contract": w["contract"], "user": w["user"], "site_url": settings.SITE_URL, **extra}


def _request_update(w, kind, recipient, **fields):
    update = ServiceRequestUpdate(request=w["request"], kind=kind, **fields)
    return {
        "request": w["request"],
        "update": update,
        # The headlines the service writes (sysops/services.py), lazy: in the reader's language.
        "headline": gettext_lazy("a new reply from SysOps")
        if kind == "comment"
        else gettext_lazy("we received your request"),
        "recipient": recipient,
        "url": f"{settings.SITE_URL}/account/requests/{w['request'].pk}/",
    }


def _alert(w):
    # alerts/services.py _alert_notify_admins
    return {
        "alert_id": 17,
        "reason": "payment.declined",
        "message": "The card ending 4242 was declined",
        "severity": "warning",
        "severity_label": AlertSeverity.WARNING.label,
        "object_label": str(w["invoice"]),
        "object_url": f"{settings.SITE_URL}/staff/invoices/{w['invoice'].pk}/",
        "customer_id": w["customer"].pk,
        "first_seen_at": w["now"],
        "alert_url": f"{settings.SITE_URL}/staff/alerts/17/",
        "context_json": '{\n  "decline_code": "card_declined"\n}',
    }


# Each template's contexts, as its service builds them; one per branch the template takes.
def _plan_change(w, invoice) -> dict:
    """What plan_settle._tell gives a plan-change notice, with the change's own fields."""
    change = SimpleNamespace(
        from_plan=w["plan"], to_plan=w["plan"], effective_at=timezone.now(), invoice=invoice
    )
    return {
        "customer": w["customer"],
        "change": change,
        "invoice": invoice,
        "from_terms": "1 seat",
        "to_terms": "2 seats",
        "site_url": settings.SITE_URL,
    }


NOTIFICATION_CONTEXTS = {
    "notifications/generic": lambda w: [
        {"greeting": "Hello Nancy,", "body": "Your request was updated.", "subject": "Update"},
        {
            "body": "Your plan changes on 1 May.",
            "action_url": f"{settings.SITE_URL}/account/",
            "action_label": "Open your account",
        },
    ],
    "billing/email/purchase_confirmed": lambda w: [
        {
            "subscription": w["subscription"],
            "plan": w["plan"],
            "customer": w["customer"],
            "billed": "annually",
            "site_url": settings.SITE_URL,
        }
    ],
    "billing/email/invoice_issued": lambda w: [
        _billing(w, w["invoice"], "paid"),
        _billing(w, w["failed"], "failed"),
        _billing(w, w["uncollectible"], "failed"),
        _billing(w, w["hard_declined"], "failed"),
        _billing(w, w["failed"], None),
    ],
    "billing/email/payment_received": lambda w: [_billing(w, w["invoice"], "paid")],
    "billing/email/change_scheduled": lambda w: [
        {
            "customer": w["customer"],
            # A live subscription: its period ends when the change takes effect.
            "subscription": SimpleNamespace(current_period_end=timezone.now() + timedelta(days=9)),
            "plan": w["plan"],
            "from_terms": "3 seats",
            "to_terms": "2 seats",
            "site_url": settings.SITE_URL,
        }
    ],
    "billing/email/scheduled_change_not_applied": lambda w: [
        {
            "customer": w["customer"],
            "renewed_on": timezone.now(),
            "plan": w["plan"],
            "terms": "3 seats",
            "cycle": "monthly",
            "wanted_plan": w["plan"],
            "wanted_terms": "2 seats",
            "wanted_cycle": wanted_cycle,
            "reason": "Gold has no monthly price in EUR.",
            "site_url": settings.SITE_URL,
        }
        for wanted_cycle in ("", "annual")
    ],
    "billing/email/plan_changed": lambda w: [_plan_change(w, w["invoice"])],
    "billing/email/plan_change_declined": lambda w: [_plan_change(w, w["failed"])],
    "billing/email/payment_failed": lambda w: [
        _billing(w, w["failed"], "failed"),
        _billing(w, w["uncollectible"], "failed"),
        _billing(w, w["hard_declined"], "failed"),
    ],
    "billing/email/dunning_decision": lambda w: [
        {
            "invoice": w["failed"],
            "reasons": "open critical request REQ-000042",
            "url": f"{settings.SITE_URL}/staff/invoices/{w['failed'].pk}/",
        }
    ],
    "billing/email/payment_action_required": lambda w: [
        {
            **_billing(w, invoice, None),
            "final": final,
            "confirm_url": f"{settings.SITE_URL}/account/invoices/{invoice.pk}/confirm/",
        }
        for invoice, final in ((w["failed"], False), (w["uncollectible"], True))
    ],
    "billing/email/credit_note_issued": lambda w: [
        {
            "credit_note": w["credit_note"],
            "invoice": w["invoice"],
            "customer": w["customer"],
            "invoice_url": f"{settings.SITE_URL}/account/invoices/{w['invoice'].pk}/",
            "site_url": settings.SITE_URL,
        }
    ],
    "payments/email/card_expiring": lambda w: [
        {
            "customer": w["customer"],
            "method": w["method"],
            "expired": expired,
            "card_url": f"{settings.SITE_URL}/account/card/",
        }
        for expired in (False, True)
    ],
    "alerts/email/alert_raised": lambda w: [_alert(w)],
    # portal/signup.py: allauth's mail, rendered already, on its way through the outbox.
    "accounts/email/prerendered": lambda w: [
        {
            "text": f"Hello,\n\nOpen this link:\n\n{settings.SITE_URL}/c/1/\n\n-- \n{name}",
            "html": html,
        }
        for name in [settings.SITE_NAME]
        for html in ("", f"<p>Hello,</p><p>{name}</p>")
    ],
    "contracts/email/contract_ready": lambda w: [
        _contract(w, document=w["document"], emailed_to=w["user"].email),
        _contract(w, document=w["document"], emailed_to=None),
    ],
    "contracts/email/contract_document": lambda w: [
        {
            "contract": w["contract"],
            "document": w["document"],
            "user": w["user"],
            "site_url": settings.SITE_URL,
        }
    ],
    "contracts/email/contract_acknowledged": lambda w: [_contract(w, acceptance=w["acceptance"])],
    "contracts/email/contract_cancelled": lambda w: [_contract(w)],
    "contracts/email/expiry_reminder": lambda w: [
        _contract(w, days_before=30, will_renew=renew) for renew in (True, False)
    ],
    "contracts/email/expiry_reminder_sysops": lambda w: [
        _contract(w, days_before=7, will_renew=renew, user=w["sysops"]) for renew in (True, False)
    ],
    "sysops/email/request_update": lambda w: [
        _request_update(w, "comment", w["user"], body="We are looking at it now."),
        _request_update(w, "status", w["sysops"], body="", from_status="new", to_status="open"),
    ],
    "sysops/email/request_sla": lambda w: [
        {
            "request": w["request"],
            "recipient": w["sysops"],
            # As sla_alerts passes them: lazy, written in the recipient's language.
            "headline": SLA_HEADLINES[(event, ClockKind.FIRST_RESPONSE)],
            "event": event,
            "clock_label": ClockKind.FIRST_RESPONSE.label,
            "clock_kind": ClockKind.FIRST_RESPONSE.value,
            "due_at": w["now"],
            "url": f"{settings.SITE_URL}/staff/requests/{w['request'].pk}/",
        }
        for event in ("warning", "breached")
    ],
    "sysops/email/service_credit": lambda w: [
        {
            "credit": ServiceCredit(
                request=w["request"],
                clock=SlaClock(kind="resolution"),
                percent=10,
                base_minor=9900,
                amount_minor=1188,
                currency="EUR",
                invoice=invoice,
            ),
            "recipient": w["manager"],
            "url": f"{settings.SITE_URL}/staff/service-credits/1/",
        }
        for invoice in (w["invoice"], None)
    ],
    "acceptance/email/manager_escalation": lambda w: [
        {
            "review": w["review"],
            "contract": w["contract"],
            "customer": w["customer"],
            "site_url": settings.SITE_URL,
        }
    ],
    "acceptance/email/remediation_requested": lambda w: [
        {
            "review": w["review"],
            "contract": w["contract"],
            "due": (w["now"] + timedelta(days=5)).date(),
            "note": note,
            "site_url": settings.SITE_URL,
        }
        for note in ("Order the spare disks first.", "")
    ],
    "acceptance/email/review_sla": lambda w: [
        {
            "review": w["review"],
            "contract": w["contract"],
            "recipient": w["manager"],
            "headline": headline,
            "event": event,
            "due_at": w["now"],
            "url": f"{settings.SITE_URL}/staff/acceptance/contracts/{w['contract'].pk}/",
        }
        for event, headline in (
            # Lazy, as acceptance/sla_alerts.py passes them: in the recipient's language.
            ("warning", gettext_lazy("next action due soon")),
            ("breached", gettext_lazy("next action deadline missed")),
        )
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", notification_templates())
def test_every_notification_email_fills_its_placeholders(
    strict_templates, world, template, language
):
    assert template in NOTIFICATION_CONTEXTS, (
        f"{template} is a notification email without a context in this test: add the context "
        "its service builds to NOTIFICATION_CONTEXTS"
    )
    # Written in the recipient's language, as the relay and the worker send it.
    world["customer"].language = language
    world["customer"].save(update_fields=["language"])
    for n, context in enumerate(NOTIFICATION_CONTEXTS[template](world)):
        notification = notification_send(
            recipient=world["user"],
            kind="test.placeholders",
            subject=f"{template} {n}",
            template=template,
            context=context,
            dedupe_key=f"placeholders:{template}:{n}:{language}",
            channels=["email"],
        )
        for part, text in (
            ("text", notification.body_text),
            ("html", html_text(notification.body_html)),
        ):
            assert not blanks_in(text, language), (
                f"{template} ({part}, context {n}) has an empty placeholder:\n{text}"
            )
        assert settings.SITE_NAME in notification.body_text, f"{template} does not name the product"
        assert notification.language == language
        staff_french = template in STAFF_TEMPLATES_GERMAN and language != "de"
        if language != "en" and template not in STAFF_TEMPLATES and not staff_french:
            for part, text in (("text", notification.body_text), ("html", notification.body_html)):
                assert not english_left(html_text(text)), (
                    f"{template} ({part}, context {n}) in {language} has English left:\n{text}"
                )
        if notification.body_html:
            assert settings.SITE_NAME in html_text(notification.body_html), template


def test_the_notification_template_list_is_found_on_disk():
    templates = notification_templates()
    assert "billing/email/invoice_issued" in templates
    assert "contracts/email/contract_ready" in templates
    assert "accounts/email/prerendered" in templates
