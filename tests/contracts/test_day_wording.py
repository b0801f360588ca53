"""Contract ages and days left read as people say them on the staff and customer pages: "issued
today", "1 day to expiry", never "0 days ago" or "1 days"."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.contracts.models import Contract

pytestmark = pytest.mark.django_db

TAGS = re.compile(r"<[^>]+>")


def _text(response) -> str:
    assert response.status_code == 200
    return " ".join(TAGS.sub(" ", response.content.decode()).split())


def _stand(contract: Contract, *, issued_days_ago: int, days_left: int) -> Contract:
    # Dates arranged for the test (not a workflow): issued and ending relative to today.
    end = timezone.now().replace(hour=12) + timedelta(days=days_left)
    Contract.objects.filter(pk=contract.pk).update(
        issued_at=timezone.now() - timedelta(days=issued_days_ago),
        term_start=end - timedelta(days=365),
        term_end=end,
    )
    return Contract.objects.get(pk=contract.pk)


def test_a_contract_issued_today_with_one_day_left_reads_so_on_the_staff_pages(
    delivered, sysops_client
):
    contract = _stand(delivered, issued_days_ago=0, days_left=1)
    assert contract.age_days == 0 and contract.days_left() == 1

    detail = _text(sysops_client.get(reverse("contracts_staff:detail", args=[contract.pk])))
    assert "1 day to expiry · issued today" in detail
    overview = _text(sysops_client.get(reverse("sysops:customer", args=[contract.customer_id])))
    assert re.search(r"issued [^()]+ \(today\)", overview), overview
    assert "ends in 1 day " in overview
    listing = _text(sysops_client.get(reverse("contracts_staff:list")))
    assert "1 day today" in listing  # the list's "Term ends" then "Issued" cells
    for text in (detail, overview, listing):
        assert "0 days ago" not in text and "0 days old" not in text
    assert not re.search(r"\b1 days\b", detail + listing)


def test_a_contract_issued_yesterday_reads_yesterday_for_staff_and_customer(
    delivered, sysops_client, buyer_client
):
    contract = _stand(delivered, issued_days_ago=1, days_left=90)
    staff = _text(sysops_client.get(reverse("contracts_staff:detail", args=[contract.pk])))
    mine = _text(buyer_client.get(reverse("contracts:detail", args=[contract.pk])))
    assert "90 days to expiry · issued yesterday" in staff
    assert re.search(r"Issued [^()]+ \(yesterday\)\.", mine), mine
    assert "90 days left in this term." in mine


def test_a_term_that_has_ended_says_when_not_a_negative_count(delivered, sysops_client):
    contract = _stand(delivered, issued_days_ago=400, days_left=-3)
    staff = _text(sysops_client.get(reverse("contracts_staff:detail", args=[contract.pk])))
    assert "Term ended" in staff
    assert "to expiry" not in staff
