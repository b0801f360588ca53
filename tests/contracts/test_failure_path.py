"""An unexpected failure behind a contract page or the API: the person is told in the one message
the service (or the document notice) declares, on the page and in the API alike, an admin is
alerted and the failure audited against the contract and the person who acted."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.contracts import acknowledgement, issuing, lifecycle
from onboarding.contracts.acknowledgement import ACKNOWLEDGE_FAILED
from onboarding.contracts.documents import DOCUMENT_UNAVAILABLE
from onboarding.contracts.lifecycle import contracts_lifecycle_advance
from onboarding.contracts.models import Contract, ContractState
from onboarding.contracts.transitions import ACTION_FAILED

pytestmark = pytest.mark.django_db


def _broken(*args, **kwargs):
    raise RuntimeError("the database went away")


def _failures(reason: str, contract: Contract) -> list[tuple[int | None, int | None]]:
    return list(
        AuditEntry.objects.filter(
            action=f"failure.{reason}", object_id=str(contract.pk)
        ).values_list("actor_id", "customer_id")
    )


def test_a_failing_staff_action_is_told_in_one_message_on_the_page_and_in_the_api(
    monkeypatch, sysops_client, sysops, delivered
):
    monkeypatch.setattr(lifecycle, "contract_locked", _broken)

    page = sysops_client.post(
        reverse("contracts_staff:action", args=[delivered.pk, "renew"]), follow=True
    )
    api = sysops_client.post(f"/api/v1/staff/contracts/{delivered.pk}/renew")

    assert str(ACTION_FAILED.message) in page.content.decode()
    assert api.status_code == 503
    assert api.json() == {"detail": ACTION_FAILED.message, "code": "unavailable"}
    alert = AdminAlert.objects.get(reason="contract_action_failed")
    assert (alert.object_id, alert.customer_id, alert.count) == (
        str(delivered.pk),
        delivered.customer_id,
        2,
    )
    assert (
        _failures("contract_action_failed", delivered) == [(sysops.pk, delivered.customer_id)] * 2
    )
    assert Contract.objects.get(pk=delivered.pk).state == ContractState.SENT


def test_a_failing_acknowledgement_is_told_in_one_message_on_the_page_and_in_the_api(
    monkeypatch, buyer_client, buyer, delivered
):
    sha256 = delivered.documents.get().sha256
    monkeypatch.setattr(acknowledgement, "contract_locked", _broken)

    page = buyer_client.post(
        reverse("contracts:acknowledge", args=[delivered.pk]),
        {"name": "Ada Lovelace", "document_sha256": sha256, "confirm": "on"},
    )
    api = buyer_client.post(
        f"/api/v1/me/contracts/{delivered.pk}/acknowledge",
        {"name": "Ada Lovelace", "document_sha256": sha256},
        content_type="application/json",
    )

    assert page.status_code == 422
    assert str(ACKNOWLEDGE_FAILED.message) in page.content.decode()
    assert api.status_code == 503
    assert api.json()["detail"] == ACKNOWLEDGE_FAILED.message
    assert AdminAlert.objects.get(reason="contract_acknowledge_failed").count == 2
    assert _failures("contract_acknowledge_failed", delivered) == [(buyer.pk, buyer.pk)] * 2
    assert not delivered.acceptances.exists()


def test_a_changed_file_is_told_in_one_message_on_the_page_and_in_the_api(buyer_client, delivered):
    document = delivered.documents.get()
    with default_storage.open(document.storage_path, "wb") as handle:
        handle.write(b"%PDF-1.7 something else entirely")

    page = buyer_client.get(reverse("contracts:pdf", args=[delivered.pk, 1]), follow=True)
    api = buyer_client.get(f"/api/v1/me/contracts/{delivered.pk}/pdf")

    assert str(DOCUMENT_UNAVAILABLE.message) in page.content.decode()
    assert api.status_code == 503
    assert api.json()["detail"] == DOCUMENT_UNAVAILABLE.message
    alert = AdminAlert.objects.get(reason="contract_document_unavailable")
    assert (alert.object_id, alert.count) == (str(delivered.pk), 2)
    assert not AuditEntry.objects.filter(action="contract.document_viewed").exists()


def test_a_renewal_the_periodic_pass_cannot_make_is_a_lifecycle_failure_alone(
    monkeypatch, delivered
):
    end = timezone.now() - timedelta(seconds=1)
    Contract.objects.filter(pk=delivered.pk).update(
        term_start=end - timedelta(days=365), term_end=end
    )
    monkeypatch.setattr(issuing, "contract_draft_create", _broken)

    report = contracts_lifecycle_advance()

    assert report.failed == [delivered.pk]
    assert list(AdminAlert.objects.values_list("reason", flat=True)) == [
        "contract_lifecycle_failed"
    ]
