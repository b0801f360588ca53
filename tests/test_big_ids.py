import pytest

BIG = 2**63


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/me/invoices/{BIG}",
        f"/api/v1/me/invoices/{BIG}/credit-notes/1/pdf",
        f"/api/v1/me/contracts/{BIG}",
        f"/api/v1/me/requests/{BIG}",
        f"/account/contracts/{BIG}/",
        f"/account/invoices/{BIG}/",
    ],
)
def test_an_id_too_large_for_the_database_is_a_404_not_a_500(customer_client, path):
    assert customer_client.get(path).status_code == 404
