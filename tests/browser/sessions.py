"""A browser signed in as a given user: the session of a Django test client's force_login,
handed to the browser as its cookie (staff factories already have TOTP, so no second step)."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

# The two widths every page is looked at: a desktop and a phone.
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def sign_in(context, live_server, user, *, password_again: str | None = None) -> None:
    """Give the browser `context` a signed-in session of `user` on the live server. With
    `password_again`, the session has just reauthenticated (allauth), so the pages that replace
    the card or change email addresses open for the next few minutes without asking."""
    client = Client()
    client.force_login(user)
    if password_again is not None:
        answer = client.post(reverse("account_reauthenticate"), {"password": password_again})
        assert answer.status_code == 302, answer.status_code
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def signed_in_context(playwright_browser, live_server, user, *, width: int, height: int):
    """A new browser context of the given size, signed in as `user`; the caller closes it."""
    context = playwright_browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(15_000)
    sign_in(context, live_server, user)
    return context
