"""The Django admin lists customers with their VAT numbers and finds them by one, read-only:
profile changes go through the audited profile service."""

from tests.factories import UserFactory, complete_profile

CUSTOMERS = "/admin/accounts/customer/"


def vat_customer(company: str, vat_number: str):
    return complete_profile(UserFactory().customer, company=company, vat_number=vat_number)


def test_the_admin_lists_customers_with_their_vat_number(admin_client_2fa):
    customer = vat_customer("Initech GmbH", "DE136695976")

    response = admin_client_2fa.get(CUSTOMERS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "VAT number" in page
    assert "DE136695976" in page
    assert customer.reference in page


def test_the_admin_finds_a_customer_by_vat_number_written_with_spaces_and_dots(admin_client_2fa):
    vat_customer("Initech GmbH", "DE136695976")
    vat_customer("Globex SARL", "FR40303265045")

    response = admin_client_2fa.get(CUSTOMERS, {"q": "de 136.695.976"})

    page = response.content.decode()
    assert "Initech GmbH" in page
    assert "Globex SARL" not in page


def test_the_admin_finds_a_customer_by_part_of_its_vat_number(admin_client_2fa):
    vat_customer("Initech GmbH", "DE136695976")
    vat_customer("Globex SARL", "FR40303265045")

    page = admin_client_2fa.get(CUSTOMERS, {"q": "303265"}).content.decode()

    assert "Globex SARL" in page
    assert "Initech GmbH" not in page


def test_the_admin_shows_a_customer_but_cannot_change_or_delete_it(admin_client_2fa):
    customer = vat_customer("Initech GmbH", "DE136695976")

    view = admin_client_2fa.get(f"{CUSTOMERS}{customer.pk}/change/")
    posted = admin_client_2fa.post(f"{CUSTOMERS}{customer.pk}/change/", {"vat_number": ""})

    assert view.status_code == 200
    assert "DE136695976" in view.content.decode()
    assert posted.status_code == 403
    assert admin_client_2fa.get(f"{CUSTOMERS}{customer.pk}/delete/").status_code == 403
    customer.refresh_from_db()
    assert customer.vat_number == "DE136695976"
