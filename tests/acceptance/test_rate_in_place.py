"""Rating a requirement in place: an htmx POST answers with the requirement's row and, out of
band, the status, the summary and the review; a plain POST still redirects; one h1 per page."""

import re

import pytest
from django.test import Client

from onboarding.acceptance.models import Rating, RatingChange, Requirement, Review
from onboarding.acceptance.requirements import requirement_add

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sysops_web(sysops):
    client = Client()
    client.force_login(sysops)
    return client


@pytest.fixture
def green(contract, sysops) -> Requirement:
    return requirement_add(
        contract=contract,
        actor=sysops,
        title="Remote access",
        criteria="VPN reaches the server",
        rating=Rating.GREEN,
    )


def rate(client, requirement, *, htmx=True, **data):
    fields = {"rating": "red", "note": "VPN is down"} | data
    return client.post(
        f"/staff/acceptance/requirements/{requirement.pk}/rate/", fields, **(HTMX if htmx else {})
    )


def _oob(html: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+ [^>]*id="{element_id}"[^>]*hx-swap-oob="true"[^>]*>', html)
    assert match, f"no out-of-band #{element_id} in the answer"
    return match.group(0)


def test_an_htmx_rating_answers_with_the_row_and_the_new_status_out_of_band(
    sysops_web, contract, green
):
    response = rate(sysops_web, green)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="req-{green.pk}" data-rating="red">')
    assert "<html" not in html  # a fragment, not the page
    assert 'data-status="red"' in _oob(html, "acceptance-status")
    _oob(html, "requirements-summary")
    _oob(html, "review")
    _oob(html, "manager-actions-slot")
    assert "1 red · 0 yellow · 0 green" in html
    assert "The managers were notified" in html  # the red review the rating opened
    green.refresh_from_db()
    assert green.rating == Rating.RED
    assert RatingChange.objects.filter(requirement=green, to_rating=Rating.RED).count() == 1
    assert Review.objects.filter(contract=contract).order_by("-pk").first().rating == Rating.RED


def test_a_bad_htmx_rating_shows_the_field_error_in_the_row_and_changes_nothing(
    sysops_web, contract, green
):
    before = RatingChange.objects.count()

    response = rate(sysops_web, green, rating="purple")

    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith(f'<tr id="req-{green.pk}" data-rating="green">')
    assert "Select a valid choice" in html
    assert 'aria-invalid="true"' in html
    assert 'data-status="green"' in _oob(html, "acceptance-status")
    green.refresh_from_db()
    assert green.rating == Rating.GREEN
    assert RatingChange.objects.count() == before


def test_without_htmx_a_rating_still_redirects_back_to_the_page(sysops_web, contract, green):
    response = rate(sysops_web, green, htmx=False)

    assert response.status_code == 302
    assert response["Location"] == f"/staff/acceptance/contracts/{contract.pk}/"
    green.refresh_from_db()
    assert green.rating == Rating.RED


def test_without_htmx_a_bad_rating_shows_the_page_with_the_error(sysops_web, green):
    response = rate(sysops_web, green, htmx=False, rating="purple")

    assert response.status_code == 422
    assert b"Select a valid choice" in response.content
    assert b"<html" in response.content


def test_the_rating_form_posts_in_place_and_falls_back_to_a_plain_post(sysops_web, contract, green):
    html = sysops_web.get(f"/staff/acceptance/contracts/{contract.pk}/").content.decode()

    form = re.search(r'<form[^>]*class="inline-form rate-form"[^>]*>', html).group(0)
    url = f"/staff/acceptance/requirements/{green.pk}/rate/"
    assert f'action="{url}"' in form and f'hx-post="{url}"' in form
    assert 'hx-target="closest tr"' in form


@pytest.mark.parametrize("page", ["contract", "console"])
def test_each_acceptance_page_has_exactly_one_h1(sysops_web, contract, green, page):
    url = (
        f"/staff/acceptance/contracts/{contract.pk}/"
        if page == "contract"
        else "/staff/acceptance/?show=all"
    )

    html = sysops_web.get(url).content.decode()

    assert len(re.findall(r"<h1[\s>]", html)) == 1
