"""The whole journey in a real browser (Debian's chromium), as the seed tells it.

A new customer buys a plan, verifies their email (the link read from a real SMTP server on
loopback), adds a card, gets the first invoice and pays it (the card on file, by the project's
own worker), receives the contract and acknowledges it. From the portal they then upgrade to a
higher plan and take more seats: each a preview, a confirmation and a proration invoice (a
credit for the unused part, a charge for the new terms) paid with the card on file; the
contract is amended to a new version they acknowledge, and the new plan's standard requirement
is added for SysOps. A SysOps user finds them, opens the full view and records a requirement
rated red; the managers are notified; nobody acknowledges in
time, so the risk board shows it; a manager then acts. Screenshots of the key pages go to
var/screenshots/journey-<database>-*.png (CI keeps them).
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.acceptance.models import Rating, Review, ReviewState
from onboarding.acceptance.timers import timers_fire_due
from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Invoice, InvoiceStatus
from onboarding.billing.tasks import follow_ups_dispatch
from onboarding.contracts.models import Contract, ContractState
from onboarding.notifications.models import Notification
from onboarding.notifications.relay import relay_drain
from onboarding.risk.models import RiskEvent
from tests.billing.conftest import run_tasks
from tests.browser.test_purchase_journey import (
    add_card,
    fill_profile,
    open_from_buy_page,
    sign_up_and_verify,
)
from tests.factories import plan_with_prices
from tests.system.journey_changes import (
    HIGHER,
    HIGHER_ANNUAL,
    MAX_SEATS,
    ON_CALL,
    amended,
    assert_prorated,
    change_settled,
    confirm,
    higher_plan,
    open_plan_change,
    paid_with_card_on_file,
    preview,
    show_invoice,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
EMAIL = "journey@example.com"


def shoot(page, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    # Named by database: CI runs the suite on SQLite and then PostgreSQL and keeps both.
    path = folder / f"journey-{connection.vendor}-{name}.png"
    page.screenshot(path=str(path), full_page=True)


def background_work() -> None:
    """What the worker (with its periodic follow-up dispatch) and the relay do in production,
    run here in this process."""
    follow_ups_dispatch()
    run_tasks()
    relay_drain(worker_id="journey-relay")


def staff_page(playwright_browser, live_server, user):
    client = Client()
    client.force_login(user)  # a staff user with TOTP set up (tests.factories.staff_user)
    context = playwright_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def acknowledge(page, contract: Contract) -> None:
    """The customer reads the contract's current version and acknowledges it."""
    page.get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name=contract.number).click()
    page.locator("#id_name").fill("Journey Customer")
    page.locator("#id_confirm").check()
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("is acknowledged").wait_for()


@pytest.fixture
def page(playwright_browser, live_server):
    context = playwright_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_whole_journey(
    page, playwright_browser, live_server, smtp_mail, sysops, manager, settings
):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    enterprise = higher_plan()

    # --- the customer buys -----------------------------------------------------------------
    # The new buyer's way: pricing -> Buy -> sign-up -> verify -> the plan's buy page, where the
    # plan and cycle chosen on the pricing page are still chosen (the banner says so throughout).
    sign_up_and_verify(page, smtp_mail, live_server, EMAIL, cycle="Annual")
    fill_profile(page, cycle="Annual")
    open_from_buy_page(
        page, "Add a card", "/account/card/", "You are buying Business Care, billed annually"
    )
    add_card(page, "4242 4242 4242 4242")
    page.wait_for_url(re.compile(r"/buy/business-care/\?cycle=annual"))
    expect(page.get_by_role("radio", name=re.compile("^Annual"))).to_be_checked()
    page.get_by_role("button", name="Confirm purchase").click()
    page.get_by_text("Thank you for your order: Business Care, billed annually.").wait_for()
    shoot(page, "01-purchase-confirmed")

    # --- the first invoice, paid with the card on file; the contract is made and sent -------
    def contract_sent():
        background_work()
        return Contract.objects.filter(
            customer__user__email=EMAIL, state=ContractState.SENT
        ).first()

    contract = wait_until(contract_sent, timeout=60, what="the contract to be delivered")
    background_work()  # the invoice's PDF and the payment notice
    invoice = Invoice.objects.get(subscription__customer__user__email=EMAIL)
    assert invoice.status == InvoiceStatus.PAID
    page.get_by_role("link", name="Invoices").first.click()
    page.get_by_role("link", name=invoice.number).click()
    page.get_by_text("Paid", exact=False).first.wait_for()
    shoot(page, "02-first-invoice-paid")
    # The invoice and its receipt ("paid") reached the customer, the PDF attached by email.
    notice = Notification.objects.get(recipient__email=EMAIL, kind="invoice_issued")
    assert notice.subject.endswith("(paid)")
    assert any(invoice.number in mail.subject for mail in smtp_mail.sink.to(EMAIL))
    # The contract document went by email to the acknowledged address.
    assert any(contract.number in mail.subject for mail in smtp_mail.sink.to(EMAIL))

    # --- the customer acknowledges the contract ---------------------------------------------
    acknowledge(page, contract)
    shoot(page, "03-contract-acknowledged")
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE

    background_work()  # contract.activated: acceptance starts waiting for the requirements

    # --- the customer upgrades to Enterprise Care from the portal ------------------------------
    subscription = invoice.subscription
    open_plan_change(page)
    credit, charge = preview(page, plan=HIGHER)
    assert "Unused time on Helpdesk Suite · Business Care (1 seat)" in credit
    assert "Remaining time on Helpdesk Suite · Enterprise Care (1 seat)" in charge
    shoot(page, "04-plan-change-preview")
    confirm(page)
    change, upgrade = change_settled(background_work, subscription, to_quantity=1)
    assert (change.from_plan, change.to_plan) == (subscription.plan, enterprise)
    subscription.refresh_from_db()
    assert (subscription.plan, subscription.quantity) == (enterprise, 1)
    assert_prorated(upgrade, old_total=99000, new_total=HIGHER_ANNUAL, sub=subscription)
    paid_with_card_on_file(upgrade)
    show_invoice(page, upgrade)
    shoot(page, "05-upgrade-invoice")
    # The notice in the preferred inbox (email, the default), and the audit trail.
    notice = Notification.objects.get(recipient__email=EMAIL, kind="plan_changed")
    assert notice.channels == [subscription.customer.user.preferred_inbox] == ["email"]
    assert any(mail.subject == notice.subject for mail in smtp_mail.sink.to(EMAIL))
    assert AuditEntry.objects.filter(
        action="subscription.plan_changed",
        object_id=str(subscription.pk),
        changes__plan=["business-care", HIGHER],
    ).exists()
    # The contract follows: a new version to acknowledge, and the plan's own requirement.
    # Waited for until delivered: a change made while the amendment is still "issued" is not
    # carried to the contract (contracts.amendments looks only at contracts in force).
    contract = amended(background_work, contract, version=2)
    assert (contract.plan_id, contract.amount_minor) == (enterprise.pk, HIGHER_ANNUAL)
    assert AuditEntry.objects.filter(action="contract.amended", object_id=str(contract.pk)).exists()
    on_call = contract.requirements.get(title=ON_CALL)
    assert on_call.rating == Rating.UNRATED

    # --- ... and then takes two more seats -------------------------------------------------
    # More seats than the plan is sold for are refused on the page, before any preview.
    open_plan_change(page)
    page.fill("#id_quantity", str(MAX_SEATS + 1))
    page.get_by_role("button", name="See what it costs", exact=True).click()
    expect(page.locator("#id_quantity_error")).to_contain_text(f"sold for 1 to {MAX_SEATS} seats")
    credit, charge = preview(page, seats=3)
    assert "Unused time on Helpdesk Suite · Enterprise Care (1 seat)" in credit
    assert "Remaining time on Helpdesk Suite · Enterprise Care (3 seats)" in charge
    shoot(page, "06-seats-preview")
    confirm(page)
    _, seats = change_settled(background_work, subscription, to_quantity=3)
    subscription.refresh_from_db()
    assert (subscription.plan, subscription.quantity) == (enterprise, 3)
    assert_prorated(seats, old_total=HIGHER_ANNUAL, new_total=3 * HIGHER_ANNUAL, sub=subscription)
    paid_with_card_on_file(seats)
    show_invoice(page, seats)
    shoot(page, "07-seats-invoice")
    contract = amended(background_work, contract, version=3)
    assert (contract.plan_id, contract.amount_minor) == (enterprise.pk, 3 * HIGHER_ANNUAL)
    assert contract.requirements.filter(title=ON_CALL).count() == 1  # the same plan: none added

    # --- the customer acknowledges the amended contract -------------------------------------
    acknowledge(page, contract)
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE
    assert contract.acceptances.get(document__version=3).typed_name == "Journey Customer"
    shoot(page, "08-amendment-acknowledged")
    background_work()

    # --- SysOps find the customer and capture a red requirement ------------------------------
    sysops_context, desk = staff_page(playwright_browser, live_server, sysops)
    try:
        desk.goto("/staff/customers/")
        desk.locator("#id_q").fill("journey@")
        desk.get_by_role("button", name="Search").click()
        desk.get_by_role("link", name=re.compile("journey@example.com|Visitor", re.I)).first.click()
        desk.get_by_role("heading", name="Address and contacts").wait_for()
        shoot(desk, "09-sysops-full-customer-view")

        desk.goto(f"/staff/acceptance/contracts/{contract.pk}/")
        form = desk.locator("#add-requirement")
        form.locator("#id_title").fill("Remote access")
        form.locator("#id_criteria").fill("Our engineers reach the customer's servers over VPN")
        form.locator("#id_rating").select_option("red")
        form.get_by_role("button", name="Add requirement").click()
        desk.get_by_text("Requirement added.").wait_for()
        # The badge keeps its id across the swap: htmx settles its new attributes after the text.
        expect(desk.locator("#acceptance-status")).to_have_attribute("data-status", "red")
        shoot(desk, "10-sysops-red-requirement")
    finally:
        sysops_context.close()

    # --- the managers are notified; nobody acknowledges in time -----------------------------
    background_work()
    notice = Notification.objects.get(recipient=manager, kind="acceptance_escalation")
    assert contract.number in notice.subject
    assert any(contract.number in mail.subject for mail in smtp_mail.sink.to(manager.email))
    overdue = timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1)
    assert timers_fire_due(now=overdue) == 1
    event = RiskEvent.objects.get(contract=contract)

    boss_context, boss = staff_page(playwright_browser, live_server, manager)
    try:
        boss.goto("/staff/risk/")
        boss.locator(f"#risk-{event.pk}").wait_for()
        assert contract.number in boss.locator(f"#risk-{event.pk}").inner_text()
        shoot(boss, "11-risk-board")

        boss.goto("/inbox/")
        boss.get_by_text(notice.subject).first.wait_for()
        boss.goto(f"/staff/acceptance/contracts/{contract.pk}/")
        boss.locator("#overdue-warning").wait_for()
        shoot(boss, "12-manager-contract-state")
        boss.locator("summary", has_text="Request remediation").click()
        remediation = boss.locator(
            f"form[action$='/reviews/{Review.objects.get().pk}/remediation/']"
        )
        remediation.locator("#id_owner").select_option(str(sysops.pk))
        remediation.locator("#id_due").fill((timezone.now().date() + timedelta(days=2)).isoformat())
        remediation.locator("#id_note").fill("Ask the customer to open the VPN for us")
        remediation.get_by_role("button", name="Request remediation").click()
        boss.locator("[data-review-state=remediation]").wait_for()
        shoot(boss, "13-manager-remediation")
    finally:
        boss_context.close()

    review = Review.objects.get(contract=contract)
    assert review.state == ReviewState.REMEDIATION and review.remediation_owner == sysops
