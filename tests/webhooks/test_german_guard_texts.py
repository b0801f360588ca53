"""The URL guard's refusals and the test clocks' texts a German admin reads (docs/i18n.md,
issue 20): the guard refuses in English (the delivery log stores it so), and a page words the
stored refusal in the reader's language; anything else in the log is shown as stored."""

import pytest
from django.urls import reverse
from django.utils import translation

from onboarding.testclocks.services import TEST_CUSTOMER_FAILED, clock_create
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.guard import UnsafeURL, url_check
from onboarding.webhooks.guard_texts import guard_text
from onboarding.webhooks.models import WebhookAttempt
from onboarding.webhooks.services import endpoint_create
from tests.system.test_german_staff_console import _get, english_left, german, main_text
from tests.webhooks.helpers import record, seal_and_dispatch

REFUSED = [
    "https://127.0.0.1/hook",
    "https://0.0.0.0/hook",
    "https://169.254.169.254/latest",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://10.0.0.1/",
    "https://100.64.0.1/",
    "https://metadata.google.internal/",
    "ftp://example.com/",
    "https://user:pass@example.com/",
    "https:///nohost",
    "https://example.com:99999/",
]
ENGLISH_WORDS = {
    *("is", "a", "an", "the", "address", "refused", "resolves", "to", "must", "has", "no", "host"),
}


def refusal_of(url: str) -> str:
    with pytest.raises(UnsafeURL) as refused:
        url_check(url)
    return refused.value.message


@pytest.mark.parametrize("url", REFUSED)
def test_each_refusal_is_stored_english_and_shown_german(settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    english = refusal_of(url)
    with translation.override("en"):
        assert guard_text(english) == english
    with translation.override("de"):
        shown = guard_text(english)
    assert shown != english
    words = set(shown.replace(",", " ").replace(".", " ").replace(":", " ").split())
    assert words & ENGLISH_WORDS == set(), shown


def test_other_log_text_is_shown_as_stored():
    with translation.override("de"):
        assert guard_text("ConnectError: connection refused") == "ConnectError: connection refused"
        assert guard_text("") == ""


def test_a_refused_delivery_is_german_in_a_german_admins_log(db, settings):
    admin, client = german()
    endpoint = endpoint_create(
        actor=admin, url="http://127.0.0.1:9/hooks/crm", event_types=["invoice.paid"]
    ).endpoint
    record("invoice.paid")
    seal_and_dispatch()
    settings.WEBHOOKS_ALLOW_LOOPBACK = False  # the name now points somewhere it may not
    webhooks_deliver_due(rounds=1)
    attempt = WebhookAttempt.objects.get()
    assert attempt.error == "127.0.0.1 resolves to 127.0.0.1, a loopback address: refused."
    text = main_text(_get(client, reverse("webhooks:detail", args=[endpoint.pk])))
    assert "127.0.0.1 wird zu 127.0.0.1 aufgelöst, eine Loopback-Adresse: abgelehnt." in text
    assert attempt.error not in text


def test_registering_a_refused_url_says_why_in_german(db):
    _admin, client = german()
    answer = client.post(reverse("webhooks:list"), {"url": "https://10.0.0.1/hooks"})
    page = answer.content.decode()
    assert "10.0.0.1 wird zu 10.0.0.1 aufgelöst, eine Adresse eines privaten Netzes" in page


def test_the_test_customer_form_and_failure_are_german(db):
    admin, client = german()
    test_clock = clock_create(actor=admin, name="Jahreswechsel")
    page = _get(client, reverse("testclocks:detail", args=[test_clock.pk])).content.decode()
    assert 'value="Testkunde"' in page and 'value="Test customer"' not in page
    text = main_text(_get(client, reverse("testclocks:detail", args=[test_clock.pk])))
    assert english_left(text, "Jahreswechsel", "test_clock.created", "4242424242424242") == []
    with translation.override("de"):
        shown = str(TEST_CUSTOMER_FAILED.message)
    assert shown.startswith("Der Testkunde konnte wegen eines Problems auf unserer Seite")
    with translation.override("en"):
        assert str(TEST_CUSTOMER_FAILED.message).startswith("The test customer could not be")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "10.0.0.1 resolves to 10.0.0.1, a private network address: refused."),
        ("de", "10.0.0.1 wird zu 10.0.0.1 aufgelöst, eine Adresse eines privaten Netzes"),
    ],
)
def test_the_api_says_why_a_url_is_refused_in_the_callers_language(db, language, expected):
    """Registering or changing an endpoint through the API: the guard's refusal follows the
    call's Accept-Language (English word for word as the guard writes it); code and field are
    the same in every language."""
    admin, client = german()
    base = "/api/v1/staff/webhooks"
    answer = client.post(
        f"{base}/",
        {"url": "https://10.0.0.1/hooks"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["detail"].startswith(expected), body
    assert (body["code"], body["field"]) == ("unsafe_url", "url")

    endpoint = endpoint_create(actor=admin, url="http://127.0.0.1:9/hooks/crm").endpoint
    answer = client.patch(
        f"{base}/{endpoint.pk}",
        {"url": "https://metadata.google.internal/"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 400, answer.content
    with translation.override(language):
        assert answer.json()["detail"] == guard_text(
            refusal_of("https://metadata.google.internal/")
        )
    if language == "de":
        assert "metadata.google.internal ist" in answer.json()["detail"]
