"""'Billed to' names the customer once: the email address is not repeated under itself."""

import io

import pypdf
import pytest
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice
from tests.billing.conftest import buy, ready_customer, today
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _billed_to(page: str) -> str:
    return page.split("<h2>Billed to</h2>", 1)[1].split("</section>", 1)[0]


def _invoice_of(user, plan, **profile) -> Invoice:
    buy(ready_customer(user, **profile), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get(customer=user.customer)


def test_a_customer_without_company_or_name_sees_their_email_once(client, plan):
    user = UserFactory(first_name="", last_name="")
    invoice = _invoice_of(user, plan, company="")
    assert invoice.bill_to_name == user.email
    client.force_login(user)
    page = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert _billed_to(page).count(user.email) == 1


def test_a_company_sees_its_name_and_its_email_address(client, plan):
    user = UserFactory()
    invoice = _invoice_of(user, plan)
    client.force_login(user)
    billed_to = _billed_to(
        client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    )
    assert "Acme Ltd" in billed_to
    assert billed_to.count(user.email) == 1


def test_the_pdf_names_an_email_only_customer_once(client, plan):
    user = UserFactory(first_name="", last_name="")
    invoice = _invoice_of(user, plan, company="")
    invoice_follow_up(invoice_id=invoice.pk)
    client.force_login(user)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    content = b"".join(response.streaming_content)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert text.count(user.email) == 1
