"""allauth's pages we do not override, in the site's formal German (docs/i18n.md, issue 20).

allauth's German catalogue says *du*; our catalogue (LOCALE_PATHS, read first) holds a formal
entry for every allauth text a customer can reach (onboarding/accounts/allauth_wording.py).
Each page and message is reached here the way a customer reaches it, through allauth's real
views, and checked for informal words."""

import html
import re
from pathlib import Path

import allauth
import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from babel.messages.pofile import read_po
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from onboarding.accounts.allauth_wording import ALLAUTH_FORMAL
from onboarding.accounts.models import Customer
from tests.factories import DEFAULT_PASSWORD, add_totp

pytestmark = pytest.mark.django_db

# The pronouns, and the imperatives allauth's German uses without one ("Bitte versuche es ...").
INFORMAL = re.compile(r"\b(du|dich|dir|dein\w*|versuche|gib|lass)\b", re.IGNORECASE)
WRONG = "not-the-password-42"


def _allauth_catalogue(language: str):
    path = Path(allauth.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as source:
        return read_po(source, locale=language)


def page_text(response) -> str:
    """The whole page as a reader gets it: text, attributes' words and the scripts' strings (the
    email page's confirmation before removing an address is a JSON string)."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def informal(*texts: str) -> list[str]:
    return [match.group(0) for text in texts for match in INFORMAL.finditer(text)]


@pytest.fixture
def german(customer) -> Client:
    """A German customer (profile language), signed in, who has just given their password again
    (email and second-factor changes ask for it), whose browser asks for German too (the
    sign-out's next page is read as a visitor)."""
    Customer.objects.filter(pk=customer.pk).update(language="de")
    EmailAddress.objects.update_or_create(
        user=customer, email=customer.email, defaults={"primary": True, "verified": True}
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(customer)
    given = client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    assert given.status_code == 302, given.content[:500]
    return client


def test_each_listed_text_is_allauths_and_formal_in_german_and_french():
    """A listed msgid that allauth renamed would be silently ignored: each is allauth's own, and
    ours replaces its informal German."""
    theirs = _allauth_catalogue("de")
    for msgid in ALLAUTH_FORMAL:
        assert theirs.get(msgid) is not None, msgid
        assert informal(theirs.get(msgid).string), msgid  # why it is listed
        with translation.override("de"):
            german = gettext(msgid)
        with translation.override("fr"):
            french = gettext(msgid)
        assert german != msgid and not informal(german), german
        assert french != msgid and not re.search(r"\b(tu|toi|ton|ta|tes)\b", french), french


def test_the_email_page_and_its_messages_say_sie(german, customer):
    text = page_text(german.get(reverse("account_email")))
    assert "Möchten Sie die ausgewählte E-Mail-Adresse wirklich entfernen?" in text
    assert informal(text) == [], text

    removed = german.post(reverse("account_email"), {"action_remove": "", "email": customer.email})
    said = flashes(removed)
    assert f"Sie können Ihre primäre E-Mail-Adresse ({customer.email}) nicht entfernen." in said
    assert informal(*said) == []

    unverified = EmailAddress.objects.create(
        user=customer, email="zweite@example.com", primary=False, verified=False
    )
    refused = german.post(
        reverse("account_email"), {"action_primary": "", "email": "zweite@example.com"}
    )
    said = flashes(refused)
    assert "Ihre primäre E-Mail-Adresse muss bestätigt sein." in said, said
    assert informal(*said) == []

    confirmed = german.post(
        reverse("account_confirm_email", args=[EmailConfirmationHMAC(unverified).key])
    )
    said = flashes(confirmed)
    assert "Sie haben zweite@example.com bestätigt." in said, said
    assert informal(*said) == []


def test_the_password_change_refuses_a_wrong_current_password_formally(german):
    refused = german.post(
        reverse("account_change_password"),
        {"oldpassword": WRONG, "password1": "violet-harbour-7x", "password2": "violet-harbour-7x"},
    )
    text = page_text(refused)
    assert "Bitte geben Sie Ihr aktuelles Passwort ein." in text
    assert informal(text) == [], text


def test_the_password_reset_pages_from_the_link_say_sie(german):
    signed_in = page_text(german.get(reverse("account_reset_password")))
    assert "Sie sind bereits als " in signed_in and " angemeldet." in signed_in
    visitor = Client(HTTP_ACCEPT_LANGUAGE="de")
    bad = page_text(
        visitor.get(
            reverse("account_reset_password_from_key", args=["1", "not-a-key"]), follow=True
        )
    )
    assert "Der Link zum Zurücksetzen des Passworts ist ungültig" in bad
    done = page_text(visitor.get(reverse("account_reset_password_from_key_done")))
    assert "Ihr Passwort wurde geändert." in done
    assert informal(signed_in, bad, done) == []


def test_signing_out_asks_and_says_so_formally(german):
    asked = page_text(german.get(reverse("account_logout")))
    assert "Möchten Sie sich wirklich abmelden?" in asked
    out = german.post(reverse("account_logout"))
    said = flashes(out)
    assert "Sie haben sich abgemeldet." in said, said
    assert informal(asked, *said) == []


def test_too_many_wrong_passwords_are_refused_formally(customer):
    visitor = Client(HTTP_ACCEPT_LANGUAGE="de")
    for _ in range(6):
        answer = visitor.post(
            reverse("account_login"), {"login": customer.email, "password": WRONG}
        )
    text = page_text(answer)
    assert "Bitte versuchen Sie es später erneut." in text, text
    assert informal(text) == [], text


def test_the_second_factors_pages_say_sie(german, customer):
    add_totp(customer)
    text = page_text(german.get(reverse("mfa_deactivate_totp")))
    assert "Sie sind dabei, die Anmeldung per Authentifizierungs-App zu deaktivieren." in text, text
    generated = page_text(german.get(reverse("mfa_generate_recovery_codes")))
    assert "Sie sind dabei, einen neuen Satz Wiederherstellungscodes" in generated, generated
    overview = page_text(german.get(reverse("mfa_index")))
    assert informal(text, generated, overview) == []
