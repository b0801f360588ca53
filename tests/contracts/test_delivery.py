"""Delivery: a notice to the preferred inbox and the PDF to the verified address, both audited;
no verified address means no email, an admin alert and a note on the contract."""

import hashlib
import io

import pytest
from allauth.account.models import EmailAddress
from pypdf import PdfReader

from onboarding.accounts.models import PreferredInbox
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.contracts.delivery import contract_deliver, contract_email_send
from onboarding.contracts.models import ContractState
from onboarding.core.errors import DomainError
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.models import InboxMessage, Notification
from onboarding.notifications.relay import relay_drain
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe

pytestmark = pytest.mark.django_db


def _journey_step(user) -> JourneyStep:
    return JourneyStep.objects.get(customer=user.customer, step=Step.CONTRACT)


def test_the_pdf_arrives_by_email_at_the_verified_address(smtp_mail, delivered, buyer):
    relay_drain(worker_id="test-relay")

    [mail] = [m for m in smtp_mail.sink.to(buyer.email) if "(PDF)" in m.subject]
    [(filename, content_type, content)] = mail.attachments()
    document = delivered.documents.get()
    assert filename == f"{delivered.number}-v1.pdf"
    assert content_type == "application/pdf"
    assert hashlib.sha256(content).hexdigest() == document.sha256
    assert delivered.number in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert document.sha256 in mail.text()


def test_the_notice_goes_to_the_preferred_inbox(media, plan):
    user = paying_customer(preferred_inbox=PreferredInbox.IN_APP)
    contract = deliver_inline(subscribe(user, plan))

    relay_drain(worker_id="test-relay")

    notice = InboxMessage.objects.get(recipient=user)
    assert contract.number in notice.subject
    assert Notification.objects.get(kind="contract_ready").channels == ["in_app"]


def test_delivery_is_logged_as_notifications_and_moves_the_contract_to_sent(delivered, buyer):
    actions = set(
        AuditEntry.objects.filter(object_id=str(delivered.pk)).values_list("action", flat=True)
    )
    assert {"contract.issued", "contract.document_generated", "contract.notice_sent"} <= actions
    assert {"contract.emailed", "contract.sent"} <= actions
    assert delivered.state == ContractState.SENT
    assert delivered.delivery_note == ""
    assert _journey_step(buyer).state == StepState.DONE


def test_delivering_twice_sends_nothing_more(delivered):
    contract_deliver(contract=delivered)
    assert Notification.objects.filter(kind="contract_document").count() == 1
    assert Notification.objects.filter(kind="contract_ready").count() == 1


def test_without_a_verified_address_nothing_is_emailed_and_an_admin_is_alerted(
    media, plan, admin_user
):
    user = paying_customer(verified=False)
    contract = deliver_inline(subscribe(user, plan))

    assert not Notification.objects.filter(kind="contract_document").exists()
    notice = Notification.objects.get(kind="contract_ready")
    assert notice.channels == ["in_app"]  # the preferred inbox is email, but not a verified one
    assert "verified email address" in contract.delivery_note
    alert = AdminAlert.objects.get(reason="contract_email_unverified")
    assert alert.object_id == str(contract.pk)
    assert _journey_step(user).state == StepState.FAILED


def test_once_verified_the_customer_can_have_the_pdf_emailed(media, plan):
    user = paying_customer(verified=False)
    contract = deliver_inline(subscribe(user, plan))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    contract_email_send(contract=contract, actor=user)

    email = Notification.objects.get(kind="contract_document")
    assert email.to_email == user.email
    assert email.attachments[0]["filename"] == f"{contract.number}-v1.pdf"
    contract.refresh_from_db()
    assert contract.delivery_note == ""
    assert _journey_step(user).state == StepState.DONE


def test_asking_for_the_email_without_a_verified_address_is_refused(media, plan):
    user = paying_customer(verified=False)
    contract = deliver_inline(subscribe(user, plan))
    with pytest.raises(DomainError):
        contract_email_send(contract=contract, actor=user)
