"""Every view that reads `next` sends people only to this site (the open-redirect hole).

Each view is walked with GET and POST, with `next` in the query and in the form, for addresses
on other sites written the ways browsers read them, and with a good local path, which is kept.
"""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from onboarding.accounts.permissions import login_url_for
from onboarding.core.redirects import safe_next_url
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

ELSEWHERE = [
    "https://evil.example/x",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example/x",
    "/\t/evil.example/x",
    "https:evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    " //evil.example/x",
]
GOOD = "/account/contacts/?tab=all"
PROFILE = {
    "company": "Buyer Ltd",
    "address_line1": "2 Harbour Road",
    "city": "Leeds",
    "postal_code": "LS1 1AA",
    "country": "GB",
    "preferred_inbox": "email",
}


def card(number: str = "4242424242424242") -> dict:
    return {"number": number, "exp_month": "11", "exp_year": "2040", "cvc": "123"}


def stays_here(location: str) -> bool:
    """A Location a browser resolves on this site, however it reads slashes and whitespace."""
    cleaned = location.strip().replace("\\", "/")
    cleaned = "".join(ch for ch in cleaned if ch not in "\t\r\n")
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc and cleaned.startswith("/")


def every_location(response) -> list[str]:
    """The redirect target and any `next` it carries on (a sign-in link's next is followed)."""
    if "Location" not in response:
        return []
    location = response["Location"]
    nested = parse_qs(urlsplit(location).query).get("next", [])
    return [location, *nested]


def assert_stays_here(response, *, page_too: bool = True) -> None:
    for location in every_location(response):
        assert stays_here(location), location
    if page_too:  # no link or hidden field carries the address on either
        assert b"evil.example" not in response.content


def _with_next(path: str, target: str) -> str:
    return f"{path}?next={quote(target, safe='')}"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_one_helper_refuses_every_other_site(target):
    request = RequestFactory().get("/")
    assert safe_next_url(request, target, "/account/") == "/account/"


def test_the_one_helper_keeps_a_local_path():
    request = RequestFactory().get("/")
    assert safe_next_url(request, GOOD, "/account/") == GOOD
    assert safe_next_url(request, None, "/account/") == "/account/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_profile_page_never_leads_off_the_site(customer_client, target):
    assert_stays_here(customer_client.get(_with_next(reverse("accounts:profile"), target)))
    saved = customer_client.post(_with_next(reverse("accounts:profile"), target), PROFILE)
    assert saved.status_code == 302
    assert saved["Location"] == reverse("accounts:home")
    posted = customer_client.post(reverse("accounts:profile"), {**PROFILE, "next": target})
    assert_stays_here(posted)


def test_profile_page_keeps_a_local_next(customer_client):
    page = customer_client.get(_with_next(reverse("accounts:profile"), GOOD))
    assert f'href="{GOOD.replace("&", "&amp;")}"'.encode() in page.content
    saved = customer_client.post(_with_next(reverse("accounts:profile"), GOOD), PROFILE)
    assert saved["Location"] == GOOD


@pytest.mark.parametrize("target", ELSEWHERE)
def test_card_page_never_leads_off_the_site(customer_client, target):
    assert_stays_here(customer_client.get(_with_next(reverse("payments:card"), target)))
    added = customer_client.post(_with_next(reverse("payments:card"), target), card())
    assert added.status_code == 302
    assert added["Location"] == reverse("accounts:home")


@pytest.mark.parametrize("target", ELSEWHERE)
def test_card_form_field_next_never_leads_off_the_site(customer_client, target):
    added = customer_client.post(reverse("payments:card"), {**card(), "next": target})
    assert added.status_code == 302
    assert added["Location"] == reverse("accounts:home")


def test_card_page_keeps_a_local_next(customer_client):
    page = customer_client.get(_with_next(reverse("payments:card"), GOOD))
    assert f'value="{GOOD.replace("&", "&amp;")}"'.encode() in page.content
    added = customer_client.post(reverse("payments:card"), {**card(), "next": GOOD})
    assert added["Location"] == GOOD


@pytest.mark.parametrize("target", ELSEWHERE)
def test_admin_sign_in_passes_on_only_a_local_next(client, target):
    response = client.get(_with_next("/admin/login/", target))
    assert response.status_code == 302
    assert_stays_here(response)


def test_admin_sign_in_keeps_a_local_next(admin_client_2fa):
    response = admin_client_2fa.get(_with_next("/admin/login/", "/admin/audit/"))
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/admin/audit/"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_admin_sign_in_of_a_signed_in_admin_passes_on_only_a_local_next(admin_client_2fa, target):
    response = admin_client_2fa.get(_with_next("/admin/login/", target))
    assert response.status_code == 302
    assert_stays_here(response)


def test_a_staff_door_sends_to_sign_in_with_only_a_local_next():
    request = RequestFactory().get("/staff/")
    request.path = "//evil.example/x"  # what a proxy may pass on for `GET //evil.example/x`
    request.path_info = request.path
    assert all(stays_here(url) for url in every_location_of(login_url_for(request)))
    good = RequestFactory().get("/staff/risk/?q=1")
    assert parse_qs(urlsplit(login_url_for(good)).query)["next"] == ["/staff/risk/?q=1"]


def every_location_of(url: str) -> list[str]:
    return [url, *parse_qs(urlsplit(url).query).get("next", [])]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_in_never_leads_off_the_site(client, customer, target):
    signed_in = client.post(
        _with_next(reverse("account_login"), target),
        {"login": customer.email, "password": DEFAULT_PASSWORD, "next": target},
    )
    assert signed_in.status_code == 302
    assert_stays_here(signed_in)


def test_sign_in_keeps_a_local_next(client, customer):
    signed_in = client.post(
        reverse("account_login"),
        {"login": customer.email, "password": DEFAULT_PASSWORD, "next": GOOD},
    )
    assert signed_in["Location"] == GOOD


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_up_never_leads_off_the_site(client, target):
    # allauth echoes `next` into the form's hidden field as given; it is checked when used.
    assert_stays_here(client.get(_with_next(reverse("account_signup"), target)), page_too=False)
    signed_up = client.post(
        reverse("account_signup"),
        {
            "email": "new-person@example.com",
            "password1": "grapefruit-lantern-orbit-77",
            "password2": "grapefruit-lantern-orbit-77",
            "next": target,
        },
    )
    assert signed_up.status_code == 302
    assert_stays_here(signed_up)


@pytest.mark.parametrize("target", ELSEWHERE)
def test_reauthentication_never_leads_off_the_site(customer_client, target):
    done = customer_client.post(
        _with_next(reverse("account_reauthenticate"), target),
        {"password": DEFAULT_PASSWORD, "next": target},
    )
    assert done.status_code == 302
    assert_stays_here(done)


def test_reauthentication_keeps_a_local_next(customer_client):
    done = customer_client.post(
        reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD, "next": GOOD}
    )
    assert done["Location"] == GOOD


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_out_never_leads_off_the_site(customer_client, target):
    done = customer_client.post(reverse("account_logout"), {"next": target})
    assert done.status_code == 302
    assert_stays_here(done)


@pytest.mark.parametrize("target", ELSEWHERE)
def test_no_page_without_arguments_echoes_or_follows_another_site(customer, target):
    """The walk: every page that takes no arguments, anonymous and signed in, GET with `next`."""
    visitors = [Client(), Client()]
    visitors[1].force_login(customer)
    pages = list(_pages_without_arguments(get_resolver()))
    walked = {path for _name, path in pages}
    assert {"/account/profile/", "/account/card/", "/accounts/login/", "/admin/login/"} <= walked
    for name, path in pages:
        for visitor in visitors:
            response = visitor.get(_with_next(path, target))
            assert all(stays_here(url) for url in every_location(response)), (name, response)


def _pages_without_arguments(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _pages_without_arguments(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and not entry.pattern.regex.groups:
            route = prefix + str(entry.pattern)
            if any(ch in route for ch in "^$<(\\"):
                continue
            yield entry.name, "/" + route
