"""The staff console in German (docs/i18n.md, "The staff console (German)"): a member of staff
whose console language is German (User.staff_language) sees the staff home, the acceptance
console and a contract's acceptance, the health queue and a health review, the risk board and
the onboarding funnel with no English word left, gets German field errors and messages, and the
acceptance mail sent to them is German. Only data stays as it is: names, numbers, addresses,
requirement titles typed by staff, and the reasons and explanations recorded before they were
worded from codes (tests/health/test_german_health_text.py,
tests/risk/test_german_risk_reasons.py test them)."""

import html
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.accounts.models import User
from onboarding.health.reviews import health_review_act
from onboarding.notifications.models import Notification
from onboarding.risk.board_stream import BoardCursor
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import active_contract
from tests.health.shown import EXPLAINED, a_customer, counted, scored
from tests.health.test_reviews import fall_into_red

pytestmark = pytest.mark.django_db

# Words the English console is made of; none may be left in a German page's main content.
ENGLISH = [
    "Acceptance",
    "Requirement",
    "Requirements",
    "Rating",
    "Rate",
    "Review",
    "Contract",
    "Customer",
    "Customers",
    "Due",
    "due",
    "Next action",
    "next action",
    "Save",
    "Edit",
    "Remove",
    "Owner",
    "History",
    "Show",
    "Nothing",
    "Health",
    "Score",
    "Order",
    "Clear",
    "Previous",
    "Next",
    "Page",
    "Risk",
    "risk",
    "Resolve",
    "Open",
    "open",
    "red",
    "Red",
    "yellow",
    "Yellow",
    "green",
    "Green",
    "unrated",
    "waiting",
    "overdue",
    "Overdue",
    "Acknowledge",
    "acknowledged",
    "Escalate",
    "Cancel",
    "Request",
    "Accept",
    "conditions",
    "Counts",
    "Counting",
    "counted",
    "Requests",
    "Invoices",
    "Contracts",
    "Mail",
    "Tasks",
    "Funnel",
    "Alerts",
    "Background",
    "Every",
    "points",
    "days",
    "since",
    "the",
    "and",
    "with",
    "by",
    "of",
    "for",
    "not",
    "yet",
    "Step",
    "Reached",
    "Finished",
    "Conversion",
    "Drop-off",
    "What",
    "Why",
    "Who",
]


def main_text(response, *, until: str = "</main>") -> str:
    """The visible text of the page's <main> (up to `until`), with its labels for phones and
    screen readers, which a reader sees or hears too."""
    page = response.content.decode()
    main = page.split('id="content"', 1)[1].split(until, 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    labels = " ".join(re.findall(r'(?:data-label|aria-label|placeholder|title)="([^"]*)"', main))
    text = html.unescape(re.sub(r"<[^>]+>", " ", main) + " " + labels)
    return re.sub(r"\s+", " ", text)


def english_left(text: str, *data: str) -> list[str]:
    for item in sorted(data, key=len, reverse=True):  # a reason holds the contract's number
        text = text.replace(item, " ")
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def german_client(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(staff_language="de")
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))  # the session reads the language at sign-in
    return client


def data_of(contract, *people: User) -> list[str]:
    customer = contract.customer
    return [
        str(contract),
        contract.plan_name,
        contract.product_name,
        customer.display_name,
        customer.reference,
        *(person.email for person in people),
        "SysOps",
        "UTC",
    ]


@pytest.fixture
def red_contract(sysops, manager):
    contract = active_contract()
    requirement_add(
        contract=contract, actor=sysops, title="Fernzugang", criteria="VPN erreicht", rating="red"
    )
    return contract


def test_the_staff_home_is_german(sysops):
    client = german_client(sysops)
    page = client.get(reverse("staff:home"))
    assert page.status_code == 200
    text = main_text(page)
    assert "Mitarbeiterkonsole" in text or "Konsole" in text, text
    assert "Abnahme" in text and "Risikotafel" in text and "Hintergrundaufgaben" in text
    assert english_left(text, "SysOps", "UTC", "SLA") == []
    nav = page.content.decode().split('id="staff-nav"', 1)[1].split("</nav>", 1)[0]
    assert ">Kunden<" in nav and ">Abnahme<" in nav and ">Trichter<" in nav


def test_the_acceptance_console_and_a_contracts_acceptance_are_german(
    sysops, manager, red_contract
):
    client = german_client(manager)
    console = client.get(reverse("acceptance:console"))
    assert console.status_code == 200
    text = main_text(console)
    assert "Gültige Verträge" in text and "1 rot · 0 gelb · 0 grün" in text
    assert 'data-label="Anforderungen"' in console.content.decode()
    assert english_left(text, *data_of(red_contract, manager, sysops)) == []

    page = client.get(reverse("acceptance:contract", args=[red_contract.pk]))
    assert page.status_code == 200
    # The customer's overview below "Der Kunde" belongs to the customer view's own slice.
    text = main_text(page, until="<h2>Der Kunde</h2>")
    assert "Abnahme von" in text and "Stand" in text and "Nächster Schritt" in text
    assert "Unter Bedingungen abnehmen" in text and "Nachbesserung anfordern" in text
    assert "Noch nicht bewertet" in text or "Rot" in text
    left = english_left(text, *data_of(red_contract, manager, sysops), "Fernzugang", "VPN erreicht")
    assert left == [], text


def test_bad_input_on_the_contract_page_gives_german_field_errors(sysops, red_contract):
    client = german_client(sysops)
    url = reverse("acceptance:requirement_add", args=[red_contract.pk])
    answer = client.post(url, {"title": "", "criteria": "x", "rating": ""})
    assert answer.status_code == 422
    page = answer.content.decode()
    assert "Dieses Feld ist zwingend erforderlich." in page
    assert "Wählen Sie eine Bewertung: Rot, Gelb oder Grün." in page
    assert "This field is required." not in page and "Choose a rating" not in page


def test_the_acceptance_mail_to_a_german_manager_is_german(sysops, manager):
    User.objects.filter(pk=manager.pk).update(staff_language="de")
    contract = active_contract(number="CTR-2026-000301")
    requirement_add(contract=contract, actor=sysops, title="Zugang", criteria="da", rating="red")
    mail = Notification.objects.get(recipient=manager, kind="acceptance_escalation")
    assert mail.language == "de"
    assert mail.subject == f"Rot: Vertrag {contract} braucht eine Führungskraft"
    assert "ist mit ROT bewertet" in mail.body_text
    assert "Eine Führungskraft muss dies bis" in mail.body_text
    data = data_of(contract, manager)
    assert english_left(mail.subject + " " + mail.body_text, *data, settings.SITE_URL) == []


def test_the_health_queue_and_a_review_are_german(manager):
    contract = active_contract()
    worst, fine = a_customer("Schlecht AG"), a_customer("Gut GmbH")
    scored(worst, costs={"payment": 30, "acceptance": 20}, trend=-12)
    scored(fine, costs={"engagement": 5}, trend=2)
    counted()
    client = german_client(manager)
    queue = client.get(reverse("health:queue"))
    assert queue.status_code == 200
    text = main_text(queue)
    assert "Kundengesundheit" in text and "minus 12 Punkte" in text and "Kunden je Bereich" in text
    assert "Zahlung" in text and "Schlechtester Wert zuerst" in text
    people = [worst.display_name, fine.display_name, worst.reference, fine.reference]
    assert english_left(text, *EXPLAINED.values(), *people) == []

    review = fall_into_red(contract)
    page = client.get(reverse("health:review", args=[review.pk]))
    assert page.status_code == 200
    text = main_text(page)
    assert "ist auf Rot gefallen" in text and "Nächsten Schritt erfassen" in text
    assert "Kostet die meisten Punkte" in text
    # The review's reason is a record the system wrote in English (as the audit log).
    explanations = [f["explanation"] for f in review.snapshot.factors] if review.snapshot else []
    data = [*data_of(contract, manager), review.reason, *explanations]
    assert english_left(text, *data) == [], text


def test_a_bad_next_action_gives_a_german_field_error(manager):
    review = fall_into_red(active_contract())
    client = german_client(manager)
    answer = client.post(
        reverse("health:review_act", args=[review.pk]), {"action": "contact", "due": "2999-01-01"}
    )
    assert answer.status_code == 422
    assert "Wählen Sie, wer es erledigt." in answer.content.decode()


def test_the_risk_board_and_the_funnel_are_german(sysops, manager):
    contract = active_contract(number="CTR-2026-000401")
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    event = RiskEvent.objects.get(contract=contract)
    client = german_client(sysops)
    board = client.get(reverse("risk:board"))
    assert board.status_code == 200
    text = main_text(board)
    assert "Risikotafel" in text and "Offene Risiken" in text and "Erledigen" in text
    assert "Gelbe oder rote Abnahme nicht von einer Führungskraft bestätigt" in text
    assert (
        'data-live="live" data-reconnecting="Verbindung wird wiederhergestellt…"'
        in board.content.decode()
    )
    data = [*data_of(contract, sysops), event.reason, "VPN"]
    assert english_left(text, *data) == [], text

    answer = client.post(reverse("risk:resolve", args=[event.pk]), {"note": ""}, follow=True)
    assert "bevor Sie es lösen" in answer.content.decode()

    funnel = client.get(reverse("journey:funnel"))
    assert funnel.status_code == 200
    text = main_text(funnel)
    assert "Onboarding-Trichter" in text and "Konversion" in text and "Abbruch" in text
    series = client.get(reverse("journey:funnel_data")).json()["series"]
    assert series["standing"] == "Aktuell bei diesem Schritt"
    steps = [str(label) for label in client.get(reverse("journey:funnel_data")).json()["labels"]]
    assert english_left(text, *steps, "Onboarding") == [], text


def test_an_english_member_of_staff_keeps_the_english_console(sysops, red_contract):
    client = Client()
    client.force_login(sysops)
    text = main_text(client.get(reverse("acceptance:contract", args=[red_contract.pk])))
    assert "Acceptance of" in text and "Where it stands" in text and "Next action" in text


def test_the_risk_boards_live_rows_are_written_in_each_boards_language(sysops, manager):
    contract = active_contract(number="CTR-2026-000601")
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    german = "".join(BoardCursor(after=0, csrf_token="t", language="de").take())
    english = "".join(BoardCursor(after=0, csrf_token="t", language="en").take())
    assert "Erledigen" in german
    assert ">Resolve<" in english and "Erledigen" not in english


def test_the_health_notice_to_a_german_manager_is_german(manager):
    User.objects.filter(pk=manager.pk).update(staff_language="de")
    review = fall_into_red(active_contract())
    notice = Notification.objects.get(recipient=manager, kind="health.red")
    assert notice.language == "de"
    assert notice.subject.endswith("Gesundheit ist auf Rot gefallen (60)")
    assert "Bestätigen Sie bis" in notice.body_text and "Prüfung öffnen" in notice.body_html
    # The reason is worded in German from the recorded factors; the review keeps the English.
    assert "Gesundheit 60 (rot). Zahlung -30: 1 Rechnung seit 34 Tagen" in notice.body_text
    assert review.reason not in notice.body_text


def test_the_next_action_notice_to_a_german_owner_is_german(manager, sysops):
    User.objects.filter(pk=sysops.pk).update(staff_language="de")
    review = fall_into_red(active_contract())
    due = timezone.localdate() + timedelta(days=3)
    health_review_act(
        review=review,
        actor=manager,
        action="contact",
        owner=User.objects.get(pk=sysops.pk),
        due=due,
    )
    notice = Notification.objects.get(recipient=sysops, kind="health.review_assigned")
    assert notice.language == "de"
    assert notice.subject.endswith(f": Kunden kontaktieren bis {due:%Y-%m-%d}")
    assert f"{manager.email} bittet Sie: Kunden kontaktieren" in notice.body_text
