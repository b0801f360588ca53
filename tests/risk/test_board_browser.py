"""In a real browser: a new risk appears on the open board without a reload.

The board asks for new risks every RISK_BOARD_POLL_SECONDS (0.5 s), so a risk shows within a
second on a quiet machine. Speed belongs to benchmarks (bench/risk_latency.py times a rating to
its event on the stream); this test runs beside others on a loaded CI machine and allows a few
seconds."""

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
def test_a_new_risk_appears_on_the_open_board_without_a_reload(
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
        assert settings.RISK_BOARD_POLL_SECONDS <= 1.0
        page.goto(f"{live_server.url}/staff/risk/")
        page.wait_for_selector('#live-state[data-state="live"]', timeout=10_000)
        page.evaluate("window.loadedOnce = true")  # gone if the page reloads
        assert page.locator("#open-red").inner_text() == "0"

        contract = active_contract(number="CTR-2026-000777")
        sla_seed()  # the plan's SLA terms: the red review's next action has a deadline
        requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
        timers_fire_due(
            now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1)
        )
        event = RiskEvent.objects.get(contract=contract)
        row = page.locator(f"#risk-{event.pk}")
        expect(row).to_be_visible(timeout=5_000)
        expect(row).to_contain_text("CTR-2026-000777")
        expect(page.locator("#open-red")).to_have_text("1")
        assert page.evaluate("window.loadedOnce") is True  # the same page: no reload
        due = page.locator(f'#risk-{event.pk} [data-next-action="running"]')
        expect(due).to_be_visible()
        expect(due).to_contain_text("Next action due by")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "risk-board.png"), full_page=True)
    finally:
        context.close()
