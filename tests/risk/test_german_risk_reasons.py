"""A risk's reason on the board in its reader's language (docs/i18n.md, issue 20).

The worker records the reason in English (`RiskEvent.reason`, the Redis Stream's payload, the
API) and its values in `RiskEvent.details`; the board (page and live rows) words them for a
German reader. English is the record byte for byte; an event raised before `details` keeps its
recorded English on every board."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.accounts.models import User
from onboarding.risk.board_stream import BoardCursor
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import active_contract
from tests.core.test_german_staff_console import english_left, german_client, main_text

pytestmark = pytest.mark.django_db


def unacknowledged_red(number: str, sysops) -> RiskEvent:
    contract = active_contract(number=number)
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    return RiskEvent.objects.get(contract=contract)


def test_the_board_words_the_reason_in_german_and_keeps_the_english_record(sysops):
    event = unacknowledged_red("CTR-2026-000701", sysops)
    assert event.reason.startswith(
        "Red acceptance of contract CTR-2026-000701 not acknowledged by a manager by "
    )
    assert set(event.details) == {"contract", "due_at"}
    # What machines read is unchanged: the stream's payload has the English reason, no details.
    message = event.as_message()
    assert message["reason"] == event.reason and "details" not in message

    german = main_text(german_client(sysops).get(reverse("risk:board")))
    assert "Rote Abnahme des Vertrags CTR-2026-000701 bis " in german
    assert " UTC nicht von einer Führungskraft bestätigt" in german
    assert event.reason not in german
    assert english_left(german, "CTR-2026-000701", "VPN", sysops.email) == [], german

    User.objects.filter(pk=sysops.pk).update(staff_language="en")
    english = Client()
    english.force_login(User.objects.get(pk=sysops.pk))
    assert event.reason in english.get(reverse("risk:board")).content.decode()


def live(language: str) -> list[dict]:
    """The live stream's risk messages for a board in `language`."""
    sent = BoardCursor(after=0, csrf_token="t", language=language).take()
    return [json.loads(m.split("data: ", 1)[1]) for m in sent if "event: risk" in m]


def test_the_live_row_is_worded_in_each_boards_language(sysops):
    event = unacknowledged_red("CTR-2026-000702", sysops)
    [german], [english] = live("de"), live("en")
    # The row a board inserts (board.js reads only its html) is worded in its language...
    assert "Rote Abnahme des Vertrags CTR-2026-000702 bis " in german["html"]
    assert event.reason not in german["html"]
    assert event.reason in english["html"]
    # ...beside the event's message, machine data, as the stream publishes it.
    assert german["reason"] == english["reason"] == event.reason


def test_an_event_raised_before_details_shows_its_recorded_english(sysops):
    event = unacknowledged_red("CTR-2026-000703", sysops)
    RiskEvent.objects.filter(pk=event.pk).update(details={})
    german = main_text(german_client(sysops).get(reverse("risk:board")))
    assert event.reason in german
    [row] = live("de")
    assert event.reason in row["html"]


def test_details_a_later_version_wrote_fall_back_to_the_record(sysops):
    event = unacknowledged_red("CTR-2026-000704", sysops)
    RiskEvent.objects.filter(pk=event.pk).update(details={"something": "else"})
    german = main_text(german_client(sysops).get(reverse("risk:board")))
    assert event.reason in german
