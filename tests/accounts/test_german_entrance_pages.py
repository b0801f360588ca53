"""The entrance in German and French (issue 20, docs/i18n.md): the confirmation pages, the
"forgot your password" pages in the site's formal words (allauth's German says "du"), the
sign-up's mismatch refusal, and the two-factor mail."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import strip_tags

pytestmark = pytest.mark.django_db

# Informal German (allauth's catalogue) and English words: neither may be on these pages.
NOT_FORMAL_GERMAN = re.compile(r"\b(du|dein|deine|dir|Dir|Gib|kontaktiere|the|your|and|email)\b")


def main_text(response) -> str:
    html = response.content.decode()
    main = re.search(r"(?s)<main.*</main>", html).group(0)
    return re.sub(r"[ \t\r\n]+", " ", strip_tags(main))  # keeps French no-break spaces


def german() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="de")


def test_the_forgot_password_pages_say_sie():
    client = german()
    text = main_text(client.get("/accounts/password/reset/"))
    assert "Geben Sie Ihre E-Mail-Adresse ein" in text
    assert NOT_FORMAL_GERMAN.findall(text) == [], text
    done = client.post("/accounts/password/reset/", {"email": "niemand@example.com"}, follow=True)
    text = main_text(done)
    assert "Prüfen Sie Ihr E-Mail-Postfach" in text
    assert NOT_FORMAL_GERMAN.findall(text) == [], text


def test_the_forgot_password_page_in_french_has_its_no_break_space():
    text = main_text(Client(HTTP_ACCEPT_LANGUAGE="fr").get("/accounts/password/reset/"))
    assert "Mot de passe oublié\u00a0?" in text


def test_an_expired_confirmation_link_is_explained_in_german():
    text = main_text(german().get("/accounts/confirm-email/not-a-key/"))
    assert "Bestätigen Sie Ihre E-Mail-Adresse" in text
    assert "Dieser Bestätigungslink ist abgelaufen oder ungültig." in text
    assert NOT_FORMAL_GERMAN.findall(text) == [], text


def test_two_passwords_that_differ_are_refused_in_german(settings):
    settings.ACCOUNT_FORMS = {
        **settings.ACCOUNT_FORMS,
        "signup": "onboarding.accounts.forms.SignupForm",
    }
    response = german().post(
        "/accounts/signup/",
        {"email": "neu@example.com", "password1": "kurz", "password2": "anders"},
    )
    assert "Geben Sie bitte beide Male dasselbe Passwort ein." in main_text(response)


@pytest.mark.parametrize(
    ("template", "german_words"),
    [
        ("mfa/email/totp_activated", "Zwei-Faktor-Anmeldung"),
        ("mfa/email/totp_deactivated", "deaktiviert"),
        ("mfa/email/recovery_codes_generated", "Wiederherstellungscodes"),
        ("mfa/email/webauthn_added", "Sicherheitsschlüssel"),
        ("mfa/email/webauthn_removed", "Sicherheitsschlüssel"),
    ],
)
def test_the_two_factor_mail_is_german(template, german_words):
    context = {
        "site_name": "Onboarding",
        "email": "kunde@example.com",
        "timestamp": timezone.now(),
        "ip": "192.0.2.1",
        "user_agent": "Firefox",
        "site_url": "https://onboarding.test",
    }
    with translation.override("de"):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_message.txt", context)
    assert german_words in subject + body
    assert "kunde@example.com" in body
    with translation.override("en"):
        english = render_to_string(f"{template}_subject.txt", context)
    assert english != subject
