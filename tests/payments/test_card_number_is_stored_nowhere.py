"""The whole customer journey with a real card number, then a search for it everywhere."""

import logging

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from onboarding.accounts.models import User
from onboarding.notifications.relay import relay_drain
from tests.factories import plan_with_prices

CARD_FORMS = ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242")
CVC = "737"


def every_stored_value() -> str:
    """Every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_a_card_number_used_in_the_journey_is_stored_logged_and_mailed_nowhere(
    client, smtp_mail, caplog
):
    caplog.set_level(logging.DEBUG)
    plan = plan_with_prices()
    year = timezone.now().year + 3
    client.post(
        reverse("account_signup"),
        {
            "email": "card.holder@example.com",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )
    user = User.objects.get(email="card.holder@example.com")
    user.emailaddress_set.update(verified=True)
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {
            "company": "Holder GmbH",
            "address_line1": "Hauptstrasse 1",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
            "preferred_inbox": "email",
        },
    )
    # A declined attempt first, then the good card through the page, then again through the API.
    client.post(
        reverse("payments:card"),
        {"number": "4000 0000 0000 0002", "exp_month": "5", "exp_year": str(year), "cvc": CVC},
    )
    page = client.post(
        reverse("payments:card"),
        {"number": CARD_FORMS[1], "exp_month": "5", "exp_year": str(year), "cvc": CVC},
    )
    assert page.status_code == 302
    api = client.post(
        "/api/v1/me/card",
        {
            "number": CARD_FORMS[0],
            "exp_month": 5,
            "exp_year": year,
            "cvc": CVC,
            "password": "a long and unusual passphrase",
        },
        content_type="application/json",
    )
    assert api.status_code == 201
    bought = client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "monthly"})
    assert bought.status_code == 302
    relay_drain(worker_id="test-relay")

    stored = every_stored_value()
    assert "4242" in stored  # the last four are kept, so the search is looking in the right place
    logged = caplog.text
    mailed = "\n".join(m.message.as_string() for m in smtp_mail.sink.messages())
    assert smtp_mail.sink.messages(), "the journey sent mail, so the mail search means something"
    for text in (*CARD_FORMS, "4000000000000002"):
        assert text not in stored
        assert text not in logged
        assert text not in mailed
    assert f"'{CVC}'" not in stored
