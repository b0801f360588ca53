"""The customer's contract pages read right on a phone: the acknowledgement form comes back
opened at itself with its error, every aria-describedby names an element on the page, the form is
sent once; an issue date of today says "today"; the list stacks with each cell's column name."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.contracts.models import Contract

pytestmark = pytest.mark.django_db


def acknowledge_form(html: str) -> str:
    start = html.index('<section class="card" id="acknowledge">')
    return html[start : html.index("</section>", start)]


def described_ids_are_there(html: str) -> None:
    form = acknowledge_form(html)
    named = {i for ids in re.findall(r'aria-describedby="([^"]+)"', form) for i in ids.split()}
    assert named, "the name field is described by its help text"
    for element_id in named:
        assert f'id="{element_id}"' in form, element_id


def test_the_acknowledge_form_posts_to_its_own_anchor_once(buyer_client, delivered):
    html = buyer_client.get(reverse("contracts:detail", args=[delivered.pk])).content.decode()
    action = reverse("contracts:acknowledge", args=[delivered.pk]) + "#acknowledge"
    assert re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*data-submit-once', html
    )
    described_ids_are_there(html)


def test_a_refused_acknowledgement_shows_each_error_its_field_names(buyer_client, delivered):
    document = delivered.documents.get()
    response = buyer_client.post(
        reverse("contracts:acknowledge", args=[delivered.pk]),
        {"name": "", "document_sha256": document.sha256},
    )
    html = response.content.decode()
    assert response.status_code == 422
    form = acknowledge_form(html)
    assert 'id="id_name_error" role="alert">This field is required.' in form
    assert 'id="id_confirm_error" role="alert">Tick the box' in form
    assert 'aria-invalid="true"' in form
    described_ids_are_there(html)


@pytest.mark.parametrize(
    ("days", "said"), [(0, "(today)"), (1, "(yesterday)"), (5, "(5 days ago)")]
)
def test_the_issue_date_says_today_yesterday_or_days_ago(buyer_client, delivered, days, said):
    issued = timezone.now() - timedelta(days=days)
    Contract.objects.filter(pk=delivered.pk).update(issued_at=issued)
    html = buyer_client.get(reverse("contracts:detail", args=[delivered.pk])).content.decode()
    assert re.search(r"Issued [^<(]+" + re.escape(said), html)
    assert "0 days ago" not in html


def test_the_list_stacks_on_a_phone_with_each_cells_column_name(buyer_client, delivered):
    html = buyer_client.get(reverse("contracts:list")).content.decode()
    assert '<table class="stack contracts">' in html and html.count("<table") == 1
    assert html.count("<tr data-contract=") == 1
    row = html[html.index(f'data-contract="{delivered.pk}"') :]
    row = row[: row.index("</tr>")]
    labels = re.findall(r'<td data-label="([^"]+)"', row)
    assert labels == ["Contract", "Product", "Term", "State", "Acknowledged", "PDF"]
