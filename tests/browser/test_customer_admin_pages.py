"""The Django admin's customer list, with VAT numbers, at desktop and phone widths."""

import pytest

from tests.browser.sessions import sign_in
from tests.factories import UserFactory, complete_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "label"), [(1280, "desktop"), (390, "phone")])
def test_the_admin_customer_list_shows_and_finds_vat_numbers(
    page, live_server, screenshot, admin_user, width, label
):
    for company, number in [("Initech GmbH", "DE136695976"), ("Globex SARL", "FR40303265045")]:
        complete_profile(UserFactory().customer, company=company, vat_number=number)
    complete_profile(UserFactory().customer, company="Acme Ltd")
    sign_in(page.context, live_server, admin_user)
    page.set_viewport_size({"width": width, "height": 800})

    page.goto("/admin/accounts/customer/")
    header = page.locator("#result_list thead").inner_text()
    screenshot(f"admin-customers-{label}")
    page.goto("/admin/accounts/customer/?q=de+136.695.976")
    rows = page.locator("#result_list tbody tr")
    screenshot(f"admin-customers-vat-search-{label}")

    assert "VAT NUMBER" in header.upper()
    assert rows.count() == 1
    assert "DE136695976" in rows.first.inner_text()
