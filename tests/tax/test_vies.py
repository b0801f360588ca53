"""The VIES adapter against a VIES stand-in on loopback serving recorded-shape answers
(tests/tax/vies_answers/), and the profile change it guards. Off by default: `make test` never
needs the real register."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from onboarding.accounts.services import customer_profile_update
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import DomainError
from onboarding.tax.vies import ViesUnavailable, vies_applies, vies_check
from tests.factories import UserFactory, complete_profile

ANSWERS = Path(__file__).parent / "vies_answers"


class _Register(BaseHTTPRequestHandler):
    """GET /ms/<prefix>/vat/<number>: the recorded answer; a few numbers misbehave on purpose."""

    hang = threading.Event()
    asked: list[str] = []  # one register per test, reset by the fixture

    def do_GET(self) -> None:
        _, _ms, prefix, _vat, number = self.path.split("/")
        self.asked.append(prefix + number)
        if number == "811569869":  # a server error
            self._answer(500, b"<html>Internal error</html>", "text/html")
        elif number == "129273398":  # an answer that is not JSON
            self._answer(200, b"<html>maintenance</html>", "text/html")
        elif number == "118716466":  # no answer within the timeout
            self.hang.wait(5)
            self._answer(200, b"{}", "application/json")
        else:
            recorded = ANSWERS / f"{prefix}{number}.json"
            self._answer(200, recorded.read_bytes(), "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def register(settings) -> Iterator[type[_Register]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Register)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Register.asked = []
    _Register.hang.clear()
    settings.TAX_VIES_ENABLED = True
    settings.TAX_VIES_URL = f"http://127.0.0.1:{server.server_port}/"
    settings.TAX_VIES_TIMEOUT_SECONDS = 1
    yield _Register
    _Register.hang.set()
    server.shutdown()
    server.server_close()


def test_a_registered_number_is_confirmed_with_the_registers_reference(register):
    answer = vies_check("FR40303265045")
    assert answer.valid
    assert answer.name == "SA SODIMAS"
    assert answer.request_identifier == "WAPIAAAAZxYz5aQp"
    assert register.asked == ["FR40303265045"]


def test_an_undisclosed_name_is_empty_not_dashes(register):
    answer = vies_check("DE136695976")
    assert answer.valid and answer.name == "" and answer.address == ""


def test_a_number_the_register_does_not_know_is_not_valid(register):
    assert vies_check("NL004495445B01").valid is False


@pytest.mark.parametrize(
    "number",
    [
        "ATU13585627",  # the member state's register is down
        "DE811569869",  # VIES answers 500
        "DE129273398",  # VIES answers a page, not JSON
        "DE118716466",  # VIES does not answer in time
    ],
)
def test_a_register_that_cannot_answer_is_unavailable_not_a_verdict(register, number):
    with pytest.raises(ViesUnavailable):
        vies_check(number)


def test_the_check_is_off_by_default_and_never_asks_for_non_eu_numbers(settings):
    assert settings.TAX_VIES_ENABLED is False
    assert not vies_applies("DE136695976")
    settings.TAX_VIES_ENABLED = True
    assert vies_applies("EL094259216") and vies_applies("XI980780684")
    assert not vies_applies("GB980780684") and not vies_applies("CHE116281710MWST")


def _customer():
    return complete_profile(UserFactory().customer, country="DE")


@pytest.mark.django_db
def test_a_new_vat_number_is_saved_once_the_register_confirms_it(register):
    customer = _customer()
    saved = customer_profile_update(
        customer=customer, actor=customer.user, profile={"vat_number": "fr 403 032 650 45"}
    )
    assert saved.vat_number == "FR40303265045"
    entry = AuditEntry.objects.filter(action="customer.profile_updated").latest("id")
    assert "WAPIAAAAZxYz5aQp" in entry.changes["vat_number_vies"][1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("NL004495445B01", "does not know this VAT number"),
        ("ATU13585627", "cannot confirm your VAT number just now"),
    ],
)
def test_a_number_the_register_refuses_or_cannot_confirm_changes_nothing(register, number, says):
    customer = _customer()
    with pytest.raises(DomainError) as refused:
        customer_profile_update(
            customer=customer, actor=customer.user, profile={"vat_number": number, "city": "Köln"}
        )
    assert refused.value.field == "vat_number"
    assert says in refused.value.message
    customer.refresh_from_db()
    assert (customer.vat_number, customer.city) == ("", "Bristol")


@pytest.mark.django_db
def test_an_unchanged_or_malformed_number_is_not_sent_to_the_register(register):
    customer = _customer()
    customer.vat_number = "DE136695976"
    customer.save()
    customer_profile_update(
        customer=customer, actor=customer.user, profile={"vat_number": "DE136695976"}
    )
    with pytest.raises(Exception, match="check digits"):
        customer_profile_update(
            customer=customer, actor=customer.user, profile={"vat_number": "DE136695977"}
        )
    assert register.asked == []


def test_json_answers_on_file_are_well_formed():
    for answer in ANSWERS.glob("*.json"):
        assert isinstance(json.loads(answer.read_text())["isValid"], bool)
