"""The confirmation pages tell people where they stand: a link opened again says the address is
already confirmed and leads on; "Check your email" names a real address to write to, and once the
address was confirmed elsewhere it sends the tab on to sign in."""

from email.utils import parseaddr

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "a long and unusual passphrase"
EMAIL = "first.buyer@example.com"


def _sign_up(client: Client) -> EmailAddress:
    response = client.post(
        reverse("account_signup"), {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    return EmailAddress.objects.get(email=EMAIL)


def _confirm_elsewhere(address: EmailAddress) -> str:
    """Confirm as the email's link does, in a browser of its own; the link's path."""
    link = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    assert Client().post(link).status_code == 302
    assert EmailAddress.objects.get(pk=address.pk).verified
    return link


def test_a_confirmation_link_opened_again_says_the_address_is_already_confirmed(client):
    link = _confirm_elsewhere(_sign_up(client))
    page = Client().get(link).content.decode()
    assert "This email address is already confirmed" in page
    assert "expired or is not valid" not in page
    assert f'href="{reverse("account_login")}"' in page


def test_a_link_opened_again_by_the_signed_in_owner_leads_to_their_account(client):
    address = _sign_up(client)
    link = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    client.post(link)  # confirms and signs this browser in
    page = client.get(link).content.decode()
    assert "already confirmed" in page
    assert f'href="{reverse("accounts:home")}"' in page


def test_a_forged_link_is_still_called_not_valid(client):
    page = client.get(reverse("account_confirm_email", args=["not-a-key"])).content.decode()
    assert "This confirmation link has expired or is not valid." in page
    assert "already confirmed" not in page


def test_check_your_email_names_the_support_address(client):
    _sign_up(client)
    page = client.get(reverse("account_email_verification_sent")).content.decode()
    support = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert f'<a href="mailto:{support}">{support}</a>' in page
    assert "or contact us." not in page
    assert 'http-equiv="refresh"' not in page


def test_the_waiting_tab_reloaded_after_confirming_elsewhere_is_sent_to_sign_in(client):
    _confirm_elsewhere(_sign_up(client))
    page = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "Your email address is confirmed" in page
    assert "Check your email" not in page
    assert f'<meta http-equiv="refresh" content="0; url={reverse("account_login")}">' in page
