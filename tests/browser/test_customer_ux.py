"""The customer's pages behave in a real browser as a person on a phone needs: a contact form
error shows in place and a contact added is announced; a double tap on "Confirm purchase" buys
once and lands on the account, and Back shows the plan as owned; the account page shows a
declined first charge by itself; the acknowledgement's error is on the first screen; the invoice
list's Total, State and PDF are on a 390 px screen. A screenshot of each, phone and desktop, goes
to var/screenshots/ux2-<width>-<name>.png."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState, Subscription
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import signed_in_context
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe
from tests.factories import DEFAULT_PASSWORD, UserFactory, plan_with_prices
from tests.payments.helpers import card_on_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = (390, 844)
DESKTOP = (1280, 800)


@pytest.fixture
def plan(db):
    return plan_with_prices()


@pytest.fixture
def browse(playwright_browser, live_server):
    """browse(user, width, height) -> a signed-in page; every context is closed afterwards."""
    contexts = []

    def open_page(user, size):
        context = signed_in_context(
            playwright_browser, live_server, user, width=size[0], height=size[1]
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"ux2-{width}-{name}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"ux2-{width}-{name}-first-screen.png"))


def on_first_screen(locator) -> bool:
    box = locator.bounding_box()
    viewport = locator.page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def account_waiting_on_a_first_charge(browse, plan, customer):
    """The account page of a customer who bought with a card that declines, before the bill run:
    the page is asking for its journey every few seconds."""
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    journey_step_complete(customer=customer.customer, step=Step.ACCOUNT)
    page = browse(customer, PHONE)
    page.goto(reverse("accounts:home"))
    page.get_by_text("This list updates by itself").wait_for()
    return page


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_contact_error_shows_in_place_and_an_added_contact_is_announced(browse, size):
    customer = UserFactory()
    page = browse(customer, size)
    page.goto(reverse("accounts:contacts"))
    page.get_by_role("button", name="Add contact").click()
    error = page.locator("#id_name_error")
    expect(error).to_have_text("This field is required.")
    summary = page.locator("form .error-summary")
    # forms.js brings the summary into view when htmx has settled the swap, a moment after the
    # error shows: wait for its focus before measuring where it is.
    expect(summary).to_be_focused()
    assert on_first_screen(summary)  # brought into view, with the focus
    summary.locator("a[href='#id_name']").click()
    expect(page.locator("#id_name")).to_be_focused()
    assert on_first_screen(page.locator("#id_name"))
    shoot(page, "contact-error")

    page.locator("#id_name").fill("Ada Admin")
    page.locator("#id_role").fill("Technical")
    page.locator("#id_email").fill("ada@example.com")
    page.get_by_role("button", name="Add contact").click()
    status = page.get_by_role("status").filter(has_text="Contact added.")
    status.wait_for()
    expect(page.locator("tr[data-contact]").filter(has_text="Ada Admin")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("")
    expect(page.locator("#id_name_error")).to_have_count(0)
    shoot(page, "contact-added")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_double_tap_on_confirm_buys_once_and_back_shows_the_plan_owned(browse, plan, size):
    customer = UserFactory()
    ready_customer(customer)
    journey_step_complete(customer=customer.customer, step=Step.ACCOUNT)
    page = browse(customer, size)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(reverse("billing:buy", args=[plan.slug]))
    page.get_by_role("button", name="Confirm purchase").dblclick()
    page.wait_for_url(re.compile(r"/account/$"))
    message = page.get_by_role("status").filter(has_text="Thank you for your order")
    assert on_first_screen(message)
    assert "We are charging your card now" in message.inner_text()
    assert len(posts) == 1, posts
    assert Subscription.objects.filter(customer=customer.customer).count() == 1
    shoot(page, "bought")

    page.go_back()
    page.wait_for_url(re.compile(r"/buy/"))
    owned = page.get_by_role("status").filter(has_text=f"You already have {plan.name}")
    if not owned.count():  # a page kept by the back/forward cache: a reload asks the server
        page.reload()
    owned.wait_for()
    assert on_first_screen(owned)
    assert page.get_by_role("button", name="Confirm purchase").count() == 0
    assert page.get_by_role("link", name="See your account").is_visible()
    shoot(page, "buy-owned")


def test_the_account_page_shows_a_declined_first_charge_by_itself(browse, plan):
    customer = UserFactory()
    page = account_waiting_on_a_first_charge(browse, plan, customer)
    page.evaluate("window.notReloaded = true")
    bill_run_execute(run_date=today())  # the worker's part: issued, charged, declined
    page.locator("#journey").get_by_text("insufficient funds").wait_for(timeout=15_000)
    assert page.evaluate("window.notReloaded === true")
    invoice = Invoice.objects.get(customer=customer.customer)
    assert page.get_by_role("link", name=f"Pay invoice {invoice.number}").is_visible()
    assert page.locator("#journey[hx-get]").count() == 0  # stopped asking
    shoot(page, "account-declined")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_acknowledgement_error_is_on_the_first_screen(browse, media, size):
    buyer = paying_customer()
    contract = deliver_inline(subscribe(buyer, plan_with_prices("business-care")))
    page = browse(buyer, size)
    page.goto(reverse("contracts:detail", args=[contract.pk]))
    assert "(today)" in page.locator("[data-issued]").inner_text()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(re.compile(r"/acknowledge#acknowledge$"))
    error = page.locator("#id_name_error")
    error.wait_for()
    assert on_first_screen(error)
    # The page opened at the form (#acknowledge): the next Tab is its name field, whatever
    # the fragment's scroll did to the focus forms.js gave it.
    if page.evaluate("document.activeElement.id") != "id_name":
        page.keyboard.press("Tab")
    # forms.js takes the focus back a frame after the load when the fragment's scroll took it.
    expect(page.locator("#id_name")).to_be_focused()
    shoot(page, "acknowledge-error")


def test_the_invoice_list_shows_total_state_and_pdf_on_a_phone(browse, plan):
    customer = UserFactory()
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=customer.customer)
    page = browse(customer, PHONE)
    page.goto(reverse("billing:invoices"))
    row = page.locator(f'tr[data-invoice="{invoice.pk}"]')
    for label in ("Number", "Total", "State", "PDF"):
        cell = row.locator(f'td[data-label="{label}"]')
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], label
    assert "€118.80" in row.locator('td[data-label="Total"]').inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    shoot(page, "invoices")
    desk = browse(customer, DESKTOP)
    desk.goto(reverse("billing:invoices"))
    row = desk.locator(f'tr[data-invoice="{invoice.pk}"]')
    for label in ("Number", "Total"):  # each on one line: "INV-2026-" does not break off
        lines = row.locator(f'td[data-label="{label}"]').evaluate(
            "td => { const r = document.createRange(); r.selectNodeContents(td);"
            " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
        )
        assert lines == 1, label
    shoot(desk, "invoices")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_double_tap_on_pay_now_pays_once_and_shows_paid(browse, plan, size):
    customer = UserFactory()
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=customer.customer)
    invoice.customer.refresh_from_db()
    card_on_file(invoice.customer, password=DEFAULT_PASSWORD)  # a good card now
    Invoice.objects.filter(pk=invoice.pk).update(bill_to_vat_number="GB123456789")
    page = browse(customer, size)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(reverse("billing:invoice", args=[invoice.pk]))
    assert page.get_by_text("VAT number GB123456789").is_visible()
    page.get_by_role("button", name=re.compile(r"^Pay .* now")).dblclick()
    page.get_by_role("status").filter(has_text="is paid").wait_for()
    assert len(posts) == 1, posts
    expect(page.locator("h1 .badge").first).to_have_text("Paid")
    expect(page.locator(".message.error")).to_have_count(0)
    shoot(page, "invoice-paid")


def test_an_invoice_being_paid_updates_by_itself(browse, plan):
    customer = UserFactory()
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=customer.customer)
    Invoice.objects.filter(pk=invoice.pk).update(payment_state=PaymentState.PROCESSING)
    page = browse(customer, PHONE)
    page.goto(reverse("billing:invoice", args=[invoice.pk]))
    page.get_by_text("This page updates by itself").wait_for()
    shoot(page, "invoice-processing")
    page.evaluate("window.notReloaded = true")
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.PAID, payment_state=PaymentState.SUCCEEDED
    )
    page.locator("h1 .badge").filter(has_text="Paid").wait_for(timeout=15_000)
    assert page.evaluate("window.notReloaded === true")
    assert page.locator("#invoice[hx-get]").count() == 0


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_card_form_says_why_the_number_is_empty(browse, size):
    customer = UserFactory()
    page = browse(customer, size)
    page.goto(reverse("payments:card"))
    assert page.locator("#id_exp_year").input_value() == ""
    page.locator("#id_number").fill("4242 4242 4242 4242")
    page.locator("#id_exp_month").fill("13")
    page.locator("#id_exp_year").fill("2031")
    page.locator("#id_cvc").fill("123")
    page.get_by_role("button", name="Save card").click()
    page.locator("#id_exp_month_error").wait_for()
    assert page.locator("#id_number").input_value() == ""
    assert "For your security" in page.locator("#id_number_helptext").inner_text()
    shoot(page, "card-error")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_contract_list_shows_state_and_pdf_on_the_screen(browse, media, size):
    buyer = paying_customer()
    contract = deliver_inline(subscribe(buyer, plan_with_prices("business-care")))
    page = browse(buyer, size)
    page.goto(reverse("contracts:list"))
    row = page.locator(f'tr[data-contract="{contract.pk}"]')
    for label in ("Contract", "State", "PDF"):
        box = row.locator(f'td[data-label="{label}"]').bounding_box()
        assert box is not None and box["x"] + box["width"] <= size[0], label
    shoot(page, "contracts")


def test_a_page_polling_after_its_session_ended_goes_to_sign_in_not_into_the_fragment(browse, plan):
    customer = UserFactory()
    page = account_waiting_on_a_first_charge(browse, plan, customer)
    page.context.clear_cookies()  # the session ends (signed out elsewhere, expired)

    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Faccount%2F$"), timeout=15_000)
    assert page.locator("#journey").count() == 0  # the whole page went, not a fragment
    assert page.get_by_role("button", name="Sign in").count() == 1
