"""schemathesis over the invoice API, with invoices to act on: no input gets a server error and
every answer matches the OpenAPI document, for a customer and for staff."""

import pytest

from onboarding.billing.billrun import bill_run_execute
from tests.api.test_onboarding_api_fuzz import CSRF, fuzz_operations
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import UserFactory, plan_with_prices, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(db):
    plan = plan_with_prices()
    paid = ready_customer(UserFactory())
    buy(paid, plan)
    buy(ready_customer(UserFactory(), card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    return paid


def cookies_for(client, user) -> dict:
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}


def test_no_input_breaks_the_customers_invoice_api(wsgi_app, client, invoices):
    tried = fuzz_operations(
        wsgi_app, r"^/api/v1/me/invoices", cookies_for(client, invoices.user), examples=25
    )
    assert "POST /api/v1/me/invoices/{invoice_id}/pay" in tried


def test_no_input_breaks_the_staff_invoice_api(wsgi_app, client, invoices):
    tried = fuzz_operations(
        wsgi_app, r"^/api/v1/staff/invoices", cookies_for(client, staff_user()), examples=25
    )
    assert "POST /api/v1/staff/invoices/{invoice_id}/refund" in tried
