"""A rating is always a choice someone makes: the forms start on "Choose a rating", and a rating
left out is a field error (page and API, 422) that saves nothing. A green left in by default
would log an acceptance nobody gave."""

import re

import pytest
from django.test import Client

from onboarding.acceptance.models import (
    Rating,
    RatingChange,
    Requirement,
    RequirementTemplate,
    Review,
)
from onboarding.acceptance.requirements import requirements_start_from_template
from onboarding.audit.models import AuditEntry

HTMX = {"HTTP_HX_REQUEST": "true"}
API = "/api/v1/staff/acceptance"
CHOOSE = "Choose a rating: Red, Yellow or Green."


@pytest.fixture
def sysops_web(sysops):
    client = Client()
    client.force_login(sysops)
    return client


@pytest.fixture
def unrated(contract, sysops) -> Requirement:
    RequirementTemplate.objects.create(plan=contract.plan, title="VPN", criteria="VPN reaches it")
    [requirement] = requirements_start_from_template(contract=contract, actor=sysops)
    return requirement


def rate_url(requirement) -> str:
    return f"/staff/acceptance/requirements/{requirement.pk}/rate/"


def nothing_rated(requirement) -> None:
    requirement.refresh_from_db()
    assert requirement.rating == Rating.UNRATED
    assert not RatingChange.objects.filter(requirement=requirement).exists()
    assert not Review.objects.exists()
    assert not AuditEntry.objects.filter(action="acceptance.rated").exists()


def select_of(html: str, requirement) -> str:
    match = re.search(
        rf'<select name="rating" id="rating-{requirement.pk}"[^>]*>.*?</select>', html
    )
    assert match, "no rating select for the requirement"
    return match.group(0)


def test_an_unrated_requirements_select_starts_on_choose_a_rating(sysops_web, contract, unrated):
    html = sysops_web.get(f"/staff/acceptance/contracts/{contract.pk}/").content.decode()

    select = select_of(html, unrated)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert options[0] == ("", "", "Choose a rating")
    assert not any(selected for _value, selected, _label in options)  # the first one shows
    assert " required" in select


@pytest.mark.parametrize("data", [{}, {"rating": ""}], ids=["left-out", "empty"])
def test_rating_without_a_choice_is_a_field_error_in_the_row(sysops_web, unrated, data):
    response = sysops_web.post(rate_url(unrated), {"note": "looked"} | data, **HTMX)

    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith(f'<tr id="req-{unrated.pk}" data-rating="unrated">')
    assert CHOOSE in html
    assert 'aria-invalid="true"' in select_of(html, unrated)
    nothing_rated(unrated)


def test_without_htmx_rating_without_a_choice_shows_the_page_with_the_error(sysops_web, unrated):
    response = sysops_web.post(rate_url(unrated), {"note": "looked"})

    assert response.status_code == 422
    assert b"<html" in response.content
    assert CHOOSE.encode() in response.content
    nothing_rated(unrated)


@pytest.mark.parametrize("payload", [{}, {"rating": ""}, {"rating": None}])
def test_the_api_refuses_a_rating_left_out_on_its_field(sysops_web, unrated, payload):
    response = sysops_web.post(
        f"{API}/requirements/{unrated.pk}/rating",
        {"note": "looked"} | payload,
        content_type="application/json",
    )

    assert response.status_code == 422, response.content
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["rating"]
    nothing_rated(unrated)


def test_the_api_schemas_have_no_default_rating(sysops_web):
    schema = sysops_web.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("RateIn", "RequirementIn"):
        assert "rating" in schema[name]["required"], name
        assert "default" not in schema[name]["properties"]["rating"], name


def test_the_add_requirement_form_starts_on_choose_a_rating(sysops_web, contract):
    html = sysops_web.get(f"/staff/acceptance/contracts/{contract.pk}/").content.decode()

    form = html[html.index('id="add-requirement"') :]
    select = re.search(r'<select name="rating"[^>]*>.*?</select>', form, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert options[0][0::2] == ("", "Choose a rating")
    assert [value for value, selected, _label in options if selected] in ([], [""])


def test_adding_a_requirement_without_a_rating_is_a_field_error_and_adds_nothing(
    sysops_web, contract
):
    response = sysops_web.post(
        f"/staff/acceptance/contracts/{contract.pk}/requirements/",
        {"title": "Remote access", "criteria": "VPN reaches the server", "rating": ""},
    )

    assert response.status_code == 422
    assert CHOOSE.encode() in response.content
    assert not Requirement.objects.exists()
    assert not Review.objects.exists()
