"""A first-time buyer keeps the chosen plan and cycle from "Buy" on the pricing page through
sign-up, email verification (the link from real SMTP), sign-in, the profile and the card, to the
buy page, which then confirms without choosing again."""

import re
from urllib.parse import quote

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.intent import intent_from_url, intent_of
from onboarding.billing.models import Subscription
from onboarding.core.redirects import safe_next_url
from onboarding.notifications.relay import relay_drain
from tests.billing.conftest import buy, ready_customer
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db

HOST = "testserver"
PASSWORD = "a long and unusual passphrase"
YEAR = str(timezone.now().year + 2)
BUY = "/buy/business-care/?cycle=quarterly"
BANNER = "You are buying Business Care, billed quarterly"


@pytest.fixture
def plan():
    return plan_with_prices()


def verification_link(smtp_mail, address: str) -> str:
    relay_drain(worker_id="test")
    [mail] = smtp_mail.sink.to(address)
    [link] = re.findall(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.text())
    return link


def sign_up_as_buyer(client: Client, email: str) -> None:
    """Buy on the pricing page, then the sign-up form the buyer is sent to."""
    to_signup = client.get(BUY)
    assert to_signup.status_code == 302
    client.post(
        to_signup["Location"],
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "next": BUY},
    )


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_visitor_who_clicks_buy_is_offered_sign_up_first_with_the_plan_kept(client, plan):
    response = client.get(BUY)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_signup')}?next={quote(BUY, safe='')}"

    page = text_of(client.get(response["Location"]))
    assert "Create your account to buy Business Care" in page
    assert BANNER in page
    # Sign-in is the second offer, and keeps the plan.
    login = f"{reverse('account_login')}?next={quote(BUY, safe='')}"
    assert f'href="{login}"' in page


def test_the_sign_in_page_reached_from_sign_up_shows_the_plan_and_offers_sign_up_back(client, plan):
    page = text_of(client.get(f"{reverse('account_login')}?next={quote(BUY, safe='')}"))
    assert "Sign in to buy Business Care" in page
    assert BANNER in page
    assert f'href="{reverse("account_signup")}?next={quote(BUY, safe="")}"' in page


def test_the_plan_survives_sign_up_verification_profile_and_card_to_the_buy_page(
    client, plan, smtp_mail
):
    sign_up_as_buyer(client, "buyer@example.com")
    sent = client.get(reverse("account_email_verification_sent"))
    assert BANNER in text_of(sent)

    link = verification_link(smtp_mail, "buyer@example.com")
    confirm_page = client.get(link)
    assert BANNER in text_of(confirm_page)
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == BUY  # signed in, and straight to the plan

    buy_page = client.get(BUY)
    assert buy_page.status_code == 200
    html = buy_page.content.decode()
    assert re.search(r'<input type="radio" name="cycle" value="quarterly"[^>]*checked', html)
    assert (
        f'href="{reverse("accounts:profile")}?next=/buy/business-care/%3Fcycle%3Dquarterly"' in html
    )
    profile_url = f"{reverse('accounts:profile')}?next={quote(BUY, safe='')}"

    assert BANNER in text_of(client.get(profile_url))
    saved = client.post(
        profile_url,
        {
            "company": "Buyer Ltd",
            "address_line1": "2 Harbour Road",
            "city": "Leeds",
            "postal_code": "LS1 1AA",
            "country": "GB",
            "preferred_inbox": "email",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == BUY

    card_url = f"{reverse('payments:card')}?next={quote(BUY, safe='')}"
    assert BANNER in text_of(client.get(card_url))
    card = client.post(
        card_url,
        {"number": "4242424242424242", "exp_month": "12", "exp_year": YEAR, "cvc": "123"},
    )
    assert card.status_code == 302 and card["Location"] == BUY

    ready = client.get(BUY)
    assert "disabled" not in re.search(r"<button[^>]*>Confirm purchase", ready.content.decode())[0]
    bought = client.post(BUY, {"cycle": ready.context["form"]["cycle"].value()})
    assert bought.status_code == 302
    subscription = Subscription.objects.get(customer__user__email="buyer@example.com")
    assert (subscription.plan, subscription.cycle) == (plan, "quarterly")
    # Bought: the banner is gone from the pages that showed it.
    assert "You are buying" not in text_of(client.get(reverse("accounts:profile")))


def test_a_verification_link_opened_in_a_fresh_browser_signs_in_then_continues_to_the_plan(
    client, plan, smtp_mail
):
    sign_up_as_buyer(client, "phone@example.com")
    link = verification_link(smtp_mail, "phone@example.com")

    fresh = Client()
    assert BANNER in text_of(fresh.get(link))
    confirmed = fresh.post(link)
    assert confirmed.status_code == 302
    sign_in_url = confirmed["Location"]
    assert sign_in_url == f"{reverse('account_login')}?next={quote(BUY, safe='')}"
    assert "Sign in to buy Business Care" in text_of(fresh.get(sign_in_url))
    signed_in = fresh.post(
        sign_in_url, {"login": "phone@example.com", "password": PASSWORD, "next": BUY}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == BUY


def test_signing_in_without_a_next_still_continues_to_the_plan_chosen_in_this_browser(
    client, plan, customer
):
    client.get(BUY)  # not signed in yet: the plan is remembered on the way to sign-up
    response = client.post(
        reverse("account_login"),
        {"login": customer.email, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response["Location"] == BUY


@pytest.mark.parametrize(
    "bad_next",
    [
        "https://evil.example/buy/business-care/?cycle=quarterly",
        "//evil.example/buy/business-care/?cycle=quarterly",
        "/\\evil.example/",
        "/\t/evil.example/buy/business-care/",
        "javascript:alert(1)",
    ],
)
def test_a_next_to_another_site_is_refused(client, plan, customer_client, bad_next):
    request = RequestFactory().get("/", {"next": bad_next})
    assert safe_next_url(request, bad_next) == ""
    response = customer_client.post(
        f"{reverse('accounts:profile')}?next={quote(bad_next, safe='')}",
        {
            "company": "Buyer Ltd",
            "address_line1": "2 Harbour Road",
            "city": "Leeds",
            "postal_code": "LS1 1AA",
            "country": "GB",
            "preferred_inbox": "email",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_a_next_that_is_not_a_plan_on_sale_carries_no_purchase(plan):
    assert intent_from_url("/buy/no-such-plan/?cycle=annual") is None
    assert intent_from_url("/buy/business-care/?cycle=weekly") is None
    assert intent_from_url("/account/") is None
    assert intent_from_url(BUY).headline == BANNER
    assert intent_from_url(f"/accounts/login/?next={quote(BUY, safe='')}").headline == BANNER
    twice = f"/accounts/login/?next={quote(f'/accounts/login/?next={quote(BUY)}', safe='')}"
    assert intent_from_url(twice) is None
    plan.is_active = False
    plan.save()
    assert intent_from_url(BUY) is None


def test_sign_up_with_an_external_next_ends_nowhere_but_here(client, plan, smtp_mail):
    client.post(
        reverse("account_signup"),
        {
            "email": "wary@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    link = verification_link(smtp_mail, "wary@example.com")
    assert "evil" not in link
    confirmed = client.post(link)
    assert "evil" not in confirmed["Location"]


def test_the_header_links_keep_the_plan_on_every_page_a_visitor_sees(client, plan):
    client.get(BUY)  # the plan is in the session now, whatever page comes next
    for url in (reverse("account_signup"), reverse("catalog:pricing"), "/"):
        header = text_of(client.get(url)).split("</header>")[0]
        assert f'href="{reverse("account_login")}?next={quote(BUY, safe="")}"' in header, url
        assert f'href="{reverse("account_signup")}?next={quote(BUY, safe="")}"' in header, url


def test_a_buyer_page_reads_the_plan_from_next_before_the_session(client, plan):
    plan_with_prices("enterprise-care")
    client.get(BUY)
    other = "/buy/enterprise-care/?cycle=annual"
    request = RequestFactory().get("/accounts/login/", {"next": other})
    request.session = client.session
    assert intent_of(request).headline == "You are buying Enterprise Care, billed annually"


def test_without_a_chosen_plan_no_banner_and_no_next(client, plan):
    page = text_of(client.get(reverse("account_signup")))
    assert "You are buying" not in page
    assert "<h1>Create your account</h1>" in page


def test_a_plan_bought_another_way_is_no_longer_being_bought(client, plan, customer):
    client.get(BUY)  # chosen in this browser
    client.post(
        reverse("account_login"),
        {"login": customer.email, "password": "correct horse battery staple"},
    )
    assert BANNER in text_of(client.get(reverse("accounts:profile")))
    buy(ready_customer(customer), plan, "quarterly")  # through the API, another tab, staff...

    profile = client.get(reverse("accounts:profile"))

    assert BANNER not in text_of(profile)
    assert "purchase_intent" not in client.session


def test_the_currency_picked_on_the_pricing_page_is_kept_through_sign_up_to_the_purchase(
    client, smtp_mail
):
    plan_with_prices(also_in={"GBP": (8500, 24000, 85000)})
    in_pounds = "/buy/business-care/?cycle=quarterly&currency=GBP"
    to_signup = client.get(in_pounds)
    client.post(
        to_signup["Location"],
        {"email": "pounds@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    confirmed = Client().post(verification_link(smtp_mail, "pounds@example.com"))
    # A fresh browser signs in first: the link alone carries plan, cycle and currency there.
    assert confirmed["Location"].startswith(reverse("account_login"))
    assert intent_from_url(confirmed["Location"]).buy_url == in_pounds

    # This browser, signed in without any address: the session kept the currency too.
    client.post(reverse("account_login"), {"login": "pounds@example.com", "password": PASSWORD})
    buy_page = client.get("/buy/business-care/")
    assert buy_page.context["currency"] == "GBP"
    customer = ready_customer(user=buy_page.wsgi_request.user)
    bought = client.post("/buy/business-care/", {"cycle": "quarterly"})
    assert bought.status_code == 302
    subscription = Subscription.objects.get(customer=customer)
    assert (subscription.currency, subscription.amount_minor) == ("GBP", 24000)


def test_a_currency_the_plan_is_not_sold_in_is_dropped_from_the_purchase(plan):
    assert intent_from_url("/buy/business-care/?cycle=quarterly&currency=XYZ").currency == ""
    kept = intent_from_url("/buy/business-care/?cycle=quarterly&currency=eur")
    assert kept.currency == "EUR" and kept.buy_url.endswith("currency=EUR")
