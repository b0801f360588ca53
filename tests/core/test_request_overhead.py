"""Per-request work kept constant (issue 15): what a page costs in queries, and the shortcuts
(no user load for anonymous headers, the CSP header built once, fixed addresses reversed once)
answering exactly what the long way answers."""

import pytest
from csp.decorators import csp_update
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, empty

from onboarding.core.middleware import CSPMiddleware, signed_in

DJANGO_CSP = "csp.middleware.CSPMiddleware"
OURS = "onboarding.core.middleware.CSPMiddleware"


@pytest.fixture
def our_csp(settings):
    settings.MIDDLEWARE = [OURS if m == DJANGO_CSP else m for m in settings.MIDDLEWARE]
    assert OURS in settings.MIDDLEWARE


def _lazy_user(loaded: list) -> SimpleLazyObject:
    def load():
        loaded.append(True)
        return AnonymousUser()

    return SimpleLazyObject(load)


def test_an_anonymous_request_is_answered_without_loading_its_user(db):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    loaded: list = []
    request.user = _lazy_user(loaded)
    assert signed_in(request) is False
    assert loaded == []
    assert request.user._wrapped is empty


def test_a_session_with_a_user_id_loads_the_user(db, customer):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session["_auth_user_id"] = str(customer.pk)
    loaded: list = []
    request.user = _lazy_user(loaded)
    assert signed_in(request) is False  # the loader decides: here it answers anonymous
    assert loaded == [True]


def test_a_loaded_user_is_asked_directly(customer):
    request = RequestFactory().get("/")
    request.user = customer
    assert signed_in(request) is True


def test_signed_in_pages_are_private_and_anonymous_ones_are_not(client, customer_client, db):
    assert "no-store" in customer_client.get("/")["Cache-Control"]
    assert "Vary" in customer_client.get("/") and "Cookie" in customer_client.get("/")["Vary"]
    anonymous = client.get("/")
    assert "Cache-Control" not in anonymous
    assert "camera=()" in anonymous["Permissions-Policy"]
    assert "camera=()" in customer_client.get("/")["Permissions-Policy"]


def test_our_csp_header_is_django_csps_header(client, db, settings, our_csp):
    ours = client.get(reverse("account_login"))
    settings.MIDDLEWARE = [DJANGO_CSP if m == OURS else m for m in settings.MIDDLEWARE]
    theirs = client.get(reverse("account_login"))
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in ours["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in ours


def test_a_changed_policy_is_not_served_from_the_cached_header(client, db, settings, our_csp):
    client.get(reverse("account_login"))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(reverse("account_login"))["Content-Security-Policy"] == "default-src 'none'"


def test_a_view_with_its_own_policy_keeps_it():
    @csp_update({"img-src": ["https://img.example"]})
    def view(request):
        return HttpResponse("ok")

    middleware = CSPMiddleware(view)
    request = RequestFactory().get("/")
    response = middleware(request)
    assert "img-src 'self' data: https://img.example" in response["Content-Security-Policy"]
    plain = CSPMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
    assert "https://img.example" not in plain["Content-Security-Policy"]


def test_a_nonce_asked_for_after_the_header_is_an_error():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    CSPMiddleware(lambda request: HttpResponse("ok"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_nonce_used_by_the_page_is_in_the_header(settings):
    from csp.constants import NONCE, SELF

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}

    def view(request):
        return HttpResponse(str(request.csp_nonce))

    request = RequestFactory().get("/")
    response = CSPMiddleware(view)(request)
    assert f"'nonce-{response.content.decode()}'" in response["Content-Security-Policy"]


def test_site_url_is_the_reversed_address():
    rendered = Template("{% load site_urls %}{% site_url 'catalog:pricing' %}").render(Context())
    assert rendered == reverse("catalog:pricing")


def test_site_url_follows_the_script_prefix():
    from django.urls import get_script_prefix, set_script_prefix

    before = get_script_prefix()
    template = Template("{% load site_urls %}{% site_url 'catalog:pricing' %}")
    try:
        set_script_prefix("/shop/")
        assert template.render(Context()) == reverse("catalog:pricing")
        assert template.render(Context()).startswith("/shop/")
    finally:
        set_script_prefix(before)
    assert not template.render(Context()).startswith("/shop/")


def test_a_signed_in_customer_page_costs_the_session_and_the_user(
    customer_client, django_assert_num_queries
):
    customer_client.get("/")  # the catalogue snapshot is read once per process, not per page
    with django_assert_num_queries(2):  # the session row and the user row, nothing else
        response = customer_client.get("/")
    assert response.status_code == 200
    assert reverse("billing:invoices") in response.content.decode()


def test_an_anonymous_page_costs_no_query(client, db, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_site_static_is_the_static_tags_address(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    ours = Template("{% load site_urls %}{% site_static 'css/app.css' %}").render(Context())
    django = Template("{% load static %}{% static 'css/app.css' %}").render(Context())
    assert ours == django == "/static/css/app.css"
    settings.STATIC_URL = "/assets/"
    settings.STORAGES = {**settings.STORAGES}  # a new storage object, as a deploy would make
    assert Template("{% load site_urls %}{% site_static 'css/app.css' %}").render(Context()) == (
        "/assets/css/app.css"
    )
