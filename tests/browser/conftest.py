"""A real browser (Debian's chromium, driven by Playwright) against the live test server."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def page(playwright_browser, live_server):
    context = playwright_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as error:
            # Chromium now and then refuses a capture while a loaded machine keeps it busy
            # ("Unable to capture screenshot"); once more, after the page has settled.
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_load_state()
            page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def screenshot_dir() -> Path:
    """var/screenshots/, made if missing, for a test that drives its own browser context."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
