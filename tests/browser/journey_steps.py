"""The whole buyer's journey in one language (issue 20, docs/i18n.md), shared by the German and the
French journey tests: a first-time buyer whose browser speaks the language goes from the pricing
page through sign-up, the email verification (the link read from the test mail drop), the
purchase, a card on file, a billing cycle, the invoice's payment, the contract and its
acknowledgement, the inbox, and the invoice and contract PDFs. On every page, the visible text of
the header, the main content and the footer holds none of the language's "English words" (beyond
names: the brand, the plan and product, the buyer's own address and company, the card's brand),
and neither does the verification email's nor the PDFs' text (pypdf).

Screenshots: var/screenshots/i18n-<language>-journey-<NN>-<step>.png at 1280 px, and the main
pages again at 390 px (`-390`), where nothing may be wider than the screen.

A language's test gives a `Buyer`: who buys, from where, and the words of its pages the walk clicks
and waits on."""

import io
import re
from dataclasses import dataclass

from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from onboarding.accounts.models import PreferredInbox
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, Subscription
from onboarding.contracts.models import Contract
from tests.billing.conftest import run_tasks, today
from tests.browser.conftest import SCREENSHOTS
from tests.browser.fitting import cut_off_choices, fits_the_screen
from tests.browser.test_purchase_journey import PASSWORD, YEAR, verification_link
from tests.factories import plan_with_prices

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Buyer:
    """A first-time buyer in one language, and the words of the pages the walk acts on."""

    language: str  # "de"
    locale: str  # the browser's, "de-DE"
    accept_language: str  # "de-DE,de;q=0.9"
    english_words: frozenset[str]  # English words this language never uses
    email: str
    company: str
    street: str
    city: str
    postal_code: str
    country: str  # ISO code
    signer: str  # the name typed to acknowledge the contract
    plan_summary: str  # the plan's prose, as a seller in this language writes it
    plan_includes: str
    create_account: str  # the sign-up form's button
    check_your_email: str  # the heading once signed up
    confirm_your_email: str  # the heading of the verification link's page
    confirm: str  # the button there
    complete_profile: str  # the buy page's link to the profile
    save_profile: str
    save_card: str
    confirm_purchase: str
    thank_you: str  # the start of the purchased page's message
    change_cycle: str  # the account page's button
    monthly: str  # in the message once the cycle changed
    paid: str  # on the paid invoice's page
    acknowledge_this_contract: str  # the contract page's heading
    acknowledge: str  # its button
    invoice_pdf_title: str
    contract_pdf_title: str


def visible_text(page) -> str:
    """What a reader sees of the page: the header, the main content and the footer; of a select,
    only its chosen option (the others show only when it is opened)."""
    hidden = set(page.locator("select option:not(:checked)").all_inner_texts())
    text = "\n".join(
        part.inner_text()
        for part in page.locator("header, main, footer").all()
        if part.is_visible()
    )
    return "\n".join(line for line in text.splitlines() if line.strip() not in hidden)


def english_left(text: str, allowed: list[str], english_words: frozenset[str]) -> list[str]:
    """The words of `english_words` left in `text` once the names in `allowed` are cut out."""
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    # Links and addresses written out are not prose (an email's "…/account/contracts/1/").
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    # Words of letters (any alphabet's: "für", "époque"); an English contraction stays one word.
    words = re.findall(r"[^\W\d_]+(?:'[a-z]+)?", text)
    return sorted({word for word in words if word in english_words})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


class Journey:
    """The buyer's browser and what the journey checks on every page it stops at."""

    def __init__(self, page, buyer: Buyer, allowed: list[str]):
        self.page = page
        self.buyer = buyer
        self.allowed = allowed
        self.step = 0
        self.leftovers: dict[str, list[str]] = {}

    def english_left(self, text: str) -> list[str]:
        return english_left(text, self.allowed, self.buyer.english_words)

    def look(self, name: str, *, page=None, suffix: str = "") -> None:
        """Screenshot the page and note any English on it; at phone width (`suffix` "-390"),
        check too that nothing is wider than the screen."""
        page = page or self.page
        if not suffix:
            self.step += 1
        expect(page.locator("html")).to_have_attribute("lang", self.buyer.language)
        shot = f"i18n-{self.buyer.language}-journey-{self.step:02d}-{name}{suffix}"
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
        if suffix:
            fits_the_screen(page)
        if found := self.english_left(visible_text(page)):
            self.leftovers[f"{shot} ({page.url})"] = found


def _browser_context(playwright_browser, live_server, buyer: Buyer, viewport, storage_state=None):
    context = playwright_browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale=buyer.locale,
        extra_http_headers={"Accept-Language": buyer.accept_language},
        storage_state=storage_state,
    )
    context.set_default_timeout(30_000)
    return context


def walk_the_journey(playwright_browser, live_server, smtp_mail, settings, tmp_path, buyer: Buyer):
    """Walk the whole journey as `buyer`; the English words found, by screenshot (or PDF). The
    contract's PDF is stored under `tmp_path`; `settings` is the test's (restored after it)."""
    settings.SITE_URL = live_server.url
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"i18n-{buyer.language}-journey-*.png"):
        old.unlink()
    plan = plan_with_prices()
    # A seller of contracts in this language writes its plan's prose in it
    # (catalog/translations.py).
    plan.translations = {
        buyer.language: {"summary": buyer.plan_summary, "includes": buyer.plan_includes}
    }
    plan.save(update_fields=["translations"])
    # Names: the brand, the plan and product, the buyer's address and company, the card's brand,
    # and the seller's address (settings; in the PDFs).
    seller = [
        *settings.BILLING_SELLER_ADDRESS.split("|"),
        *settings.CONTRACT_PROVIDER_ADDRESS.split("|"),
    ]
    allowed = ["Onboarding", plan.name, plan.product.name, buyer.email, buyer.company, "Visa"]
    allowed += seller
    context = _browser_context(playwright_browser, live_server, buyer, DESKTOP)
    page = context.new_page()
    journey = Journey(page, buyer, allowed)
    try:
        invoice, contract = _buy_and_use(journey, plan, smtp_mail, live_server)
        signed_in = context.storage_state()
    finally:
        context.close()

    # The main pages again on a phone: signed out, then as the buyer.
    phone_pages = {
        False: {"pricing": "/pricing/", "signup": reverse("account_signup")},
        True: {
            "account": reverse("accounts:home"),
            "profile": reverse("accounts:profile"),
            "card": reverse("payments:card"),
            "invoices": reverse("billing:invoices"),
            "invoice": reverse("billing:invoice", args=[invoice.pk]),
            "contracts": reverse("contracts:list"),
            "contract": reverse("contracts:detail", args=[contract.pk]),
            "inbox": reverse("notifications:inbox"),
        },
    }
    for as_buyer, urls in phone_pages.items():
        state = signed_in if as_buyer else None
        phone = _browser_context(playwright_browser, live_server, buyer, PHONE, state)
        try:
            small = phone.new_page()
            for name, url in urls.items():
                small.goto(url)
                journey.step += 1
                journey.look(name, page=small, suffix="-390")
            if not as_buyer:
                # The first page a buyer sees: its choosers say what they are, uncut.
                small.goto("/pricing/")
                assert cut_off_choices(small) == [], small.url
        finally:
            phone.close()
    return journey.leftovers


def _buy_and_use(journey: Journey, plan, smtp_mail, live_server):
    """From the pricing page to the PDFs at desktop width; the invoice and the contract."""
    page, buyer = journey.page, journey.buyer
    page.goto("/pricing/")
    journey.look("pricing")
    page.locator(f"a[href^='{reverse('billing:buy', args=[plan.slug])}']").first.click()

    # Sign-up, offered first; the language is preset to the browser's.
    page.locator("#id_email").wait_for()
    expect(page.locator("#id_language")).to_have_value(buyer.language)
    journey.look("signup")
    page.locator("#id_email").fill(buyer.email)
    page.locator("#id_password1").fill("kurz")
    page.locator("#id_password2").fill("anders")
    page.get_by_role("button", name=buyer.create_account).click()
    expect(page.locator("#id_password2_error")).to_be_visible()
    journey.look("signup-errors")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name=buyer.create_account).click()
    expect(page.get_by_role("heading", name=buyer.check_your_email)).to_be_visible()
    journey.look("verification-sent")

    link = verification_link(smtp_mail, buyer.email)
    # The verification email is the buyer's first word from us: in their language too.
    for mail in smtp_mail.sink.to(buyer.email):
        if found := journey.english_left(mail.text()):
            journey.leftovers["verification email"] = found
    page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
    expect(page.get_by_role("heading", name=buyer.confirm_your_email)).to_be_visible()
    journey.look("confirm-email")
    page.get_by_role("button", name=buyer.confirm, exact=True).click()
    page.wait_for_url(re.compile(r"/buy/"))
    journey.look("buy")

    page.get_by_role("link", name=buyer.complete_profile).click()
    page.locator("#id_company").wait_for()
    journey.look("profile")
    page.locator("#id_company").fill(buyer.company)
    page.locator("#id_address_line1").fill(buyer.street)
    page.locator("#id_city").fill(buyer.city)
    page.locator("#id_postal_code").fill(buyer.postal_code)
    page.locator("#id_country").select_option(buyer.country)
    # Notices in the app's inbox (not by email), so the inbox has the purchase's to open.
    page.locator(f"input[name=preferred_inbox][value={PreferredInbox.IN_APP}]").check()
    page.get_by_role("button", name=buyer.save_profile).click()
    page.wait_for_url(re.compile(r"/buy/"))

    page.locator(f"main a[href^='{reverse('payments:card')}']").first.click()
    page.locator("#id_number").wait_for()
    journey.look("card")
    page.locator("#id_number").fill("4242 4242 4242 4242")
    page.locator("#id_exp_month").fill("12")
    page.locator("#id_exp_year").fill(YEAR)
    page.locator("#id_cvc").fill("123")
    page.get_by_role("button", name=buyer.save_card).click()
    page.wait_for_url(re.compile(r"/buy/"))
    journey.look("buy-ready")
    page.get_by_role("button", name=buyer.confirm_purchase).click()
    expect(page.get_by_text(buyer.thank_you)).to_be_visible()
    journey.look("purchased")
    subscription = Subscription.objects.get(customer__user__email=buyer.email)

    # The back office: the first invoice, the contract.
    run_tasks()
    bill_run_execute(run_date=today())
    run_tasks()

    page.goto(reverse("accounts:home"))
    journey.look("account")
    page.locator("select[name=cycle]").select_option("monthly")
    page.get_by_role("button", name=buyer.change_cycle).click()
    expect(page.locator(".messages")).to_contain_text(buyer.monthly)
    journey.look("cycle-changed")

    # The first invoice, charged to the card at the purchase: paid, and said so.
    invoice = Invoice.objects.get(subscription=subscription)
    page.goto(reverse("billing:invoices"))
    expect(page.get_by_role("link", name=invoice.number)).to_be_visible()
    journey.look("invoices")
    page.get_by_role("link", name=invoice.number).click()
    expect(page.locator("main")).to_contain_text(buyer.paid)
    journey.look("invoice")

    contract = Contract.objects.get(subscription=subscription)
    page.goto(reverse("contracts:list"))
    journey.look("contracts")
    page.get_by_role("link", name=contract.number).click()
    expect(page.get_by_role("heading", name=buyer.acknowledge_this_contract)).to_be_visible()
    journey.look("contract")
    page.locator("#id_name").fill(buyer.signer)
    page.locator("#id_confirm").check()
    page.get_by_role("button", name=buyer.acknowledge, exact=True).click()
    expect(page.locator(".messages")).to_be_visible()
    journey.look("contract-acknowledged")

    page.goto(reverse("notifications:inbox"))
    journey.look("inbox")
    page.locator("main td a[href^='/inbox/']").first.click()
    page.wait_for_url(re.compile(r"/inbox/\d+/"))
    journey.look("inbox-message")

    # The PDFs, downloaded with the buyer's session.
    pdfs = {
        "invoice": (reverse("billing:invoice_pdf", args=[invoice.pk]), buyer.invoice_pdf_title),
        "contract": (
            reverse("contracts:pdf_current", args=[contract.pk]),
            buyer.contract_pdf_title,
        ),
    }
    for name, (url, title) in pdfs.items():
        response = page.request.get(url)
        assert response.headers["content-type"] == "application/pdf", name
        text = pdf_text(response.body())
        assert title in text, name
        if found := journey.english_left(text):
            journey.leftovers[f"{name} PDF"] = found
    return invoice, contract
