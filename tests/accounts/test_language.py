"""Languages (docs/i18n.md): English, German and French. The page's language is the signed-in
customer's profile language, else the visitor's choice (the switcher's cookie), else the
browser's Accept-Language; the profile page, the API and the switcher change it, audited, and
refuse a language the site does not speak with a field-level error."""

import json

import pytest
from django.conf import settings
from django.urls import reverse

from onboarding.accounts.models import Customer, User
from onboarding.audit.models import AuditEntry
from onboarding.notifications.models import InboxMessage
from onboarding.notifications.relay import relay_drain
from onboarding.notifications.services import notification_send
from tests.factories import complete_profile

pytestmark = pytest.mark.django_db

STRONG = "correct horse battery staple 42"
PROFILE = {
    "company": "Acme GmbH",
    "phone": "",
    "address_line1": "Unter den Linden 1",
    "address_line2": "",
    "city": "Berlin",
    "postal_code": "10117",
    "region": "",
    "country": "DE",
    "preferred_inbox": "email",
}
ADDRESS = {k: v for k, v in PROFILE.items() if k != "preferred_inbox"}


def _page(client, url="/", **headers) -> str:
    answer = client.get(url, **headers)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def test_a_visitors_browser_language_is_respected(client):
    page = _page(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert '<html lang="de">' in page and ">Anmelden</a>" in page and "Konto erstellen" in page
    page = _page(client, HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9")
    assert '<html lang="fr">' in page and ">Se connecter</a>" in page
    page = _page(client, HTTP_ACCEPT_LANGUAGE="ja")
    assert '<html lang="en">' in page and ">Sign in</a>" in page


def test_the_switcher_remembers_a_visitors_choice_over_the_browser(client):
    answer = client.post(reverse("set_language"), {"language": "fr", "next": "/pricing/"})
    assert answer.status_code == 302 and answer["Location"] == "/pricing/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = _page(client, HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="fr">' in page and "Changer de langue" in page


def test_the_switcher_refuses_a_language_it_does_not_offer_and_changes_nothing(client):
    answer = client.post(
        reverse("set_language"), {"language": "xx", "next": "/pricing/"}, follow=True
    )
    assert answer.redirect_chain[0] == ("/pricing/", 302)
    assert "Choose one of the languages offered." in answer.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_the_switcher_takes_no_get(client):
    assert client.get(reverse("set_language")).status_code == 303


def test_a_signed_in_customers_pages_are_in_their_profile_language(customer_client, customer):
    Customer.objects.filter(pk=customer.pk).update(language="de")
    # The profile wins over the browser.
    page = _page(customer_client, reverse("accounts:home"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="de">' in page and ">Rechnungen</a>" in page and ">Abmelden</button>" in page
    assert "Invoices</a>" not in page


def test_the_switcher_while_signed_in_changes_the_profile_language(customer_client, customer):
    answer = customer_client.post(reverse("set_language"), {"language": "fr", "next": "/account/"})
    assert answer.status_code == 302
    assert Customer.objects.get(pk=customer.pk).language == "fr"
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert entry.changes["language"] == ["en", "fr"]
    assert '<html lang="fr">' in _page(customer_client, "/account/")


def test_the_profile_page_changes_the_language_and_audits_it(customer_client, customer):
    complete_profile(customer.customer, **ADDRESS)
    answer = customer_client.post(reverse("accounts:profile"), PROFILE | {"language": "de"})
    assert answer.status_code == 302
    assert Customer.objects.get(pk=customer.pk).language == "de"
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert entry.changes["language"] == ["en", "de"]


def test_a_profile_post_without_a_language_keeps_it(customer_client, customer):
    record = complete_profile(customer.customer, **ADDRESS)
    Customer.objects.filter(pk=record.pk).update(language="fr")
    assert customer_client.post(reverse("accounts:profile"), PROFILE).status_code == 302
    assert Customer.objects.get(pk=customer.pk).language == "fr"


def test_a_language_the_site_does_not_speak_is_a_field_error(customer_client, customer):
    complete_profile(customer.customer, **ADDRESS)
    answer = customer_client.post(
        reverse("accounts:profile"), PROFILE | {"language": "xx", "city": "Hamburg"}
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors["language"]
    record = Customer.objects.get(pk=customer.pk)
    assert (record.language, record.city) == ("en", "Berlin")


def test_the_api_sets_the_language_and_refuses_a_bad_one(customer_client, customer):
    url = "/api/v1/me/profile"
    answer = customer_client.put(
        url, json.dumps(ADDRESS | {"language": "fr"}), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["language"] == "fr"
    # Left out: unchanged.
    answer = customer_client.put(url, json.dumps(ADDRESS), content_type="application/json")
    assert answer.json()["language"] == "fr"
    answer = customer_client.put(
        url, json.dumps(ADDRESS | {"language": "klingon"}), content_type="application/json"
    )
    assert answer.status_code == 422, answer.content
    assert "language" in json.dumps(answer.json())
    assert Customer.objects.get(pk=customer.pk).language == "fr"


def test_sign_up_takes_the_browsers_language(client):
    answer = client.post(
        reverse("account_signup"),
        {"email": "neu@example.com", "password1": STRONG, "password2": STRONG},
        HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.8",
    )
    assert answer.status_code == 302, answer.content[:300]
    assert User.objects.get(email="neu@example.com").customer.language == "de"


def test_sign_up_takes_the_language_chosen_on_the_form(client):
    page = _page(client, reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<option value="fr" selected>' in page
    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": STRONG, "password2": STRONG, "language": "en"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert User.objects.get(email="new@example.com").customer.language == "en"


def test_a_change_through_the_api_or_the_profile_page_shows_on_the_next_page(
    customer_client, customer
):
    # The language rides in the session (no query per page): each change writes it there too.
    assert '<html lang="en">' in _page(customer_client, "/account/")
    customer_client.put(
        "/api/v1/me/profile",
        json.dumps(ADDRESS | {"language": "fr"}),
        content_type="application/json",
    )
    assert '<html lang="fr">' in _page(customer_client, "/account/")
    answer = customer_client.post(
        reverse("accounts:profile"), PROFILE | {"language": "de"}, follow=True
    )
    page = answer.content.decode()
    assert '<html lang="de">' in page and "Ihr Profil ist gespeichert." in page


def test_the_inbox_is_in_the_customers_language_and_so_is_the_notice(customer_client, customer):
    Customer.objects.filter(pk=customer.pk).update(language="de")
    customer.refresh_from_db()
    notification_send(
        recipient=customer,
        kind="test.inbox",
        subject="Update",
        template="notifications/generic",
        context={"body": "Body", "action_url": "https://example.com/x"},
        dedupe_key="test-inbox-de",
        channels=["in_app"],
    )
    relay_drain(worker_id="test-relay")  # the relay files it in the inbox
    page = _page(customer_client, reverse("notifications:inbox"))
    assert "<title>Posteingang (1 ungelesen)" in page
    assert "Ungelesen</span>" in page and "gerade eben" in page and "Als gelesen markieren" in page
    message = InboxMessage.objects.get(notification__dedupe_key="test-inbox-de")
    detail = _page(customer_client, reverse("notifications:detail", args=[message.pk]))
    assert 'Öffnen: <a href="https://example.com/x"' in detail and "Supportverträge" in detail
