"""A fault of ours in an acceptance write: the page and the API tell the one message declared
beside the services (SAVE_FAILED), an admin is alerted about the object, and it is audited."""

import pytest
from django.test import Client

from onboarding.acceptance import requirements
from onboarding.acceptance.models import Rating, RatingChange
from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.services import SAVE_FAILED
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysops_web(sysops):
    client = Client()
    client.force_login(sysops)
    return client


@pytest.fixture
def requirement(contract, sysops):
    return requirement_add(
        contract=contract, actor=sysops, title="Agent", criteria="installed", rating=Rating.RED
    )


@pytest.fixture
def settling_breaks(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(requirements, "status_settle", broken)


def test_a_rating_that_fails_on_our_side_says_so_on_the_page_and_in_the_api(
    sysops_web, sysops, requirement, settling_breaks
):
    page = sysops_web.post(
        f"/staff/acceptance/requirements/{requirement.pk}/rate/", {"rating": "green"}
    )
    api = sysops_web.post(
        f"/api/v1/staff/acceptance/requirements/{requirement.pk}/rating",
        {"rating": "green"},
        content_type="application/json",
    )

    assert page.status_code == 422
    assert page.context["rate_form"].non_field_errors() == [SAVE_FAILED.message]
    assert api.status_code == 503
    assert api.json() == {"detail": SAVE_FAILED.message, "code": "unavailable"}
    alert = AdminAlert.objects.get(reason="acceptance_failed")
    assert (alert.object_type, alert.object_id, alert.count) == (
        "acceptance.requirement",
        str(requirement.pk),
        2,
    )
    failures = AuditEntry.objects.filter(action="failure.acceptance_failed", actor=sysops)
    assert failures.count() == 2
    requirement.refresh_from_db()
    assert requirement.rating == Rating.RED
    assert RatingChange.objects.filter(requirement=requirement).count() == 1
