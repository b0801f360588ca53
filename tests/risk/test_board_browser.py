"""In a real browser: a new risk appears on the open board within a second, without a reload."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.risk.models import RiskEvent
from onboarding.sla.seed import sla_seed
from tests.acceptance.conftest import active_contract

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_risk_appears_on_the_board_within_a_second(
    playwright_browser, live_server, sysops, manager
):
    client = Client()
    client.force_login(sysops)
    context = playwright_browser.new_context()
    try:
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/risk/")
        page.wait_for_selector('#live-state[data-state="live"]', timeout=10_000)
        assert page.locator("#open-red").inner_text() == "0"

        contract = active_contract(number="CTR-2026-000777")
        sla_seed()  # the plan's SLA terms: the red review's next action has a deadline
        requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
        timers_fire_due(
            now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1)
        )
        raised = time.monotonic()
        event = RiskEvent.objects.get(contract=contract)
        page.wait_for_selector(f"#risk-{event.pk}", timeout=1_000)
        shown_after = time.monotonic() - raised
        assert shown_after < 1.0
        assert page.locator("#open-red").inner_text() == "1"
        assert "CTR-2026-000777" in page.locator(f"#risk-{event.pk}").inner_text()
        due = page.locator(f'#risk-{event.pk} [data-next-action="running"]')
        expect(due).to_be_visible()
        expect(due).to_contain_text("Next action due by")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "risk-board.png"), full_page=True)
    finally:
        context.close()
