"""In a real browser: the customer finds their contract, reads it, types their name and
acknowledges it; the page then offers the certificate of acceptance, which says it is being
prepared until the worker has made it, then offers the download by itself."""

import re

import pytest
from django.conf import settings

from onboarding.contracts.models import ContractAcceptance, ContractState
from tests.factories import DEFAULT_PASSWORD
from tests.worker.conftest import run_worker_in_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = settings.VAR_DIR / "screenshots"


@pytest.fixture
def page(playwright_browser, live_server):
    context = playwright_browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_customer_acknowledges_their_contract_in_the_portal(page, buyer, delivered):
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(buyer.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()

    page.get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name=delivered.number).click()
    sha = page.locator("[data-sha256]").inner_text()
    assert sha == delivered.documents.get().sha256
    page.locator("#id_name").fill("Ada Lovelace")
    page.locator("#id_confirm").check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "contract-acknowledge.png"), full_page=True)
    page.get_by_role("button", name="Acknowledge").click()

    page.get_by_text("is acknowledged").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "contract-acknowledged.png"), full_page=True)
    # The worker renders the certificate; until it has, the link says it is being prepared.
    page.get_by_role("link", name=re.compile("Certificate of acceptance")).click()
    page.get_by_text("Being prepared", exact=True).wait_for()
    page.screenshot(path=str(SCREENSHOTS / "contract-certificate-pending.png"), full_page=True)
    run_worker_in_process()
    ready = page.get_by_role("link", name=re.compile("Download Certificate of acceptance"))
    ready.wait_for()  # the page asked again by itself (htmx) and now offers the download
    with page.expect_download() as download:
        ready.click()
    assert download.value.suggested_filename.endswith("-certificate.pdf")
    acceptance = ContractAcceptance.objects.get()
    assert acceptance.document_sha256 == sha
    assert "Chrome" in acceptance.user_agent or "Chromium" in acceptance.user_agent
    delivered.refresh_from_db()
    assert delivered.state == ContractState.ACTIVE
    assert not [e for e in errors if "Content Security Policy" in e]
