"""In a real browser, in the embedded mode (no EMAIL_URL): staff see every email as a copy, a
verification email with its link withheld, while the whole email lies in the drop folder;
screenshots at desktop and phone width go to var/screenshots/."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from onboarding.notifications.models import SentMail
from onboarding.notifications.relay import relay_drain
from onboarding.notifications.withholding import LINK_WITHHELD
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import WIDTHS, signed_in_context
from tests.notifications.conftest import send

PASSPHRASE = "a long and unusual passphrase"


@pytest.fixture
def empty_cache():
    # Sign-up rate-limit counters live in the cache table, which a transactional test leaves.
    cache.clear()
    yield
    cache.clear()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", list(WIDTHS))
def test_staff_see_embedded_mail_with_secrets_withheld(
    playwright_browser, live_server, embedded_mail, sysops, customer, device, empty_cache
):
    Client().post(
        reverse("account_signup"),
        {"email": "new.buyer@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE},
    )
    send(customer, "embedded-browser:1", channels=["email"], subject="Your invoice INV-2026-0007")
    relay_drain(worker_id="test-relay")
    [dropped] = embedded_mail.to("new.buyer@example.com")
    assert "/accounts/confirm-email/" in dropped.text()
    verification = SentMail.objects.get(to=["new.buyer@example.com"])
    width, height = WIDTHS[device]
    context = signed_in_context(playwright_browser, live_server, sysops, width=width, height=height)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        page.goto("/staff/mail/")
        body = page.locator("main").inner_text()
        assert "No email leaves this machine" in body
        assert "Your invoice INV-2026-0007" in body
        assert body.count("Kept here") == 2 and "secrets withheld" in body
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SCREENSHOTS / f"mail-list-embedded-{device}.png"), full_page=True)

        page.goto(f"/staff/mail/{verification.pk}/")
        text = page.locator("main").inner_text()
        assert LINK_WITHHELD in text and "confirm-email" not in text
        frame = page.frame_locator("iframe.mail-html")
        assert "confirm-email" not in frame.locator("body").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot = SCREENSHOTS / f"mail-detail-embedded-{device}.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
