"""In a real browser: an email's HTML is shown, but its scripts do not run in the staff page."""

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from onboarding.notifications.mailbox import sent_mail_store

HOSTILE_HTML = """<!doctype html><html><body>
<p id="greeting">Hello from the email</p>
<script>document.getElementById("greeting").textContent = "script ran";</script>
<script>parent.document.title = "parent reached";</script>
</body></html>"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_emails_script_does_not_run_in_the_staff_mail_page(
    playwright_browser, live_server, sysops
):
    mail = EmailMultiAlternatives("Hostile", "text part", to=["someone@example.com"])
    mail.attach_alternative(HOSTILE_HTML, "text/html")
    stored = sent_mail_store(mail)
    client = Client()
    client.force_login(sysops)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    context = playwright_browser.new_context()
    try:
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session_cookie,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/mail/{stored.pk}/")
        frame = page.frame_locator("iframe.mail-html")
        greeting = frame.locator("#greeting")
        greeting.wait_for()
        assert greeting.inner_text() == "Hello from the email"
        assert page.title() != "parent reached"
    finally:
        context.close()
