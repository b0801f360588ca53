"""The "contract ready" notice says what is true when it is written: the PDF comes in a separate
email to the verified address (queued with it), or why it does not."""

import pytest

from onboarding.accounts.models import PreferredInbox
from onboarding.notifications.models import Notification
from tests.contracts.conftest import paying_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(db):
    return paying_customer(preferred_inbox=PreferredInbox.IN_APP)


def test_the_in_app_notice_says_a_separate_email_brings_the_pdf(delivered, buyer):
    notice = Notification.objects.get(recipient=buyer, kind="contract_ready")
    assert notice.channels == ["in_app"]
    assert f"A separate email brings you the PDF at {buyer.email}" in notice.body_text
    assert "We are emailing" not in notice.body_text
    assert notice.body_text.startswith("Hello Ada Lovelace,")
    document_mail = Notification.objects.get(recipient=buyer, kind="contract_document")
    assert document_mail.to_email == buyer.email
