"""Site-wide form behaviour (static/js/forms.js, static/css/app.css) in Debian's chromium:
an htmx form refused with 422 shows its errors, a data-submit-once form cannot be sent twice,
the first error of a long page is brought into view, and phone tables either stack or show
that they scroll."""

import re

import pytest
from django.urls import reverse

from onboarding.accounts.models import Contact
from tests.browser.sessions import sign_in
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe
from tests.factories import UserFactory, complete_profile, plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
RED = "rgb(180, 35, 24)"  # --red in app.css

IN_VIEW = """(el) => { const b = el.getBoundingClientRect();
  return b.top >= 0 && b.bottom <= window.innerHeight; }"""


@pytest.fixture
def customer_user(db):
    user = UserFactory(first_name="Grace", last_name="Hopper")
    complete_profile(user.customer)
    return user


@pytest.fixture
def buyer(db):
    return paying_customer()


@pytest.fixture
def delivered(buyer, media):
    """A contract delivered with its document, stored in this test's own media folder."""
    return deliver_inline(subscribe(buyer, plan_with_prices("business-care")))


@pytest.fixture
def csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_an_htmx_form_refused_with_422_shows_its_errors_in_place(
    page, live_server, customer_user, csp_errors
):
    sign_in(page.context, live_server, customer_user)
    page.set_viewport_size(PHONE)
    page.goto(reverse("accounts:contacts"))
    page.locator("#id_phone").fill("call me")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Add contact").click()
    assert answer.value.status == 422
    # The fragment with the errors replaced the form, and its error summary has the focus.
    page.locator("[data-field=name] .field-error").wait_for()
    assert page.locator("[data-field=phone] .field-error").is_visible()
    page.wait_for_function("() => document.activeElement.matches('form .error-summary')")
    assert page.locator("form .error-summary").evaluate(IN_VIEW)
    name = page.locator("#id_name")
    assert name.get_attribute("aria-invalid") == "true"
    assert name.evaluate("el => getComputedStyle(el).borderTopColor") == RED

    page.locator("#id_name").fill("Ada Lovelace")
    page.locator("#id_role").fill("Billing")
    page.locator("#id_email").fill("ada@example.com")
    page.locator("#id_phone").fill("")
    page.get_by_role("button", name="Add contact").click()
    page.locator("tr[data-contact]", has_text="Ada Lovelace").wait_for()
    assert Contact.objects.filter(customer=customer_user.customer, name="Ada Lovelace").exists()
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors


# Records, for each submit event, whether it was let through (after forms.js has seen it).
RECORD_SUBMITS = """() => {
  window.submits = [];
  document.addEventListener("submit", (e) => window.submits.push(!e.defaultPrevented));
}"""


def test_a_submit_once_form_is_sent_once_for_a_double_tap(page, live_server, customer_user):
    sign_in(page.context, live_server, customer_user)
    page.set_viewport_size(PHONE)
    page.goto(reverse("accounts:profile"))
    # The answer loads into a frame, so this page (and its locked button) stays to be looked at.
    page.evaluate("""() => {
      document.body.insertAdjacentHTML("beforeend", '<iframe name="sink" hidden></iframe>');
      const form = document.querySelector("main form[method=post]");
      form.target = "sink";
      form.setAttribute("data-submit-once", "");
    }""")
    page.evaluate(RECORD_SUBMITS)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # By its place, not its name: the name changes while the form is being sent.
    button = page.locator("main form[data-submit-once] button[type=submit]")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.evaluate("b => { b.click(); b.click(); }")
    assert answer.value.status == 302  # saved
    assert page.evaluate("window.submits") == [True, False]  # the second tap was stopped
    assert len(posts) == 1, posts
    page.wait_for_function("() => document.querySelector('form[data-submit-once] button').disabled")
    assert button.inner_text() == "Please wait…"
    assert button.get_attribute("aria-disabled") == "true"
    # Back from the back/forward cache: the form can be sent again.
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert not button.is_disabled()
    assert button.inner_text() == "Save profile"


def test_an_htmx_submit_once_form_is_unlocked_when_its_request_fails(
    page, live_server, customer_user
):
    sign_in(page.context, live_server, customer_user)
    page.goto(reverse("accounts:contacts"))
    page.route(
        re.compile(r".*/account/contacts/$"),
        lambda route: (
            route.fulfill(status=500, body="boom")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.locator("form[hx-post] button[type=submit]").evaluate(
        "b => b.form.setAttribute('data-submit-once', '')"
    )
    button = page.locator("form[data-submit-once] button[type=submit]")
    # What each request that htmx really sends finds: the button locked?
    page.evaluate("""() => {
      window.sent = [];
      document.addEventListener("htmx:beforeSend", (e) =>
        window.sent.push(e.detail.elt.querySelector("button[type=submit]").disabled));
    }""")
    with page.expect_response(lambda r: r.request.method == "POST"):
        button.evaluate("b => { b.click(); b.click(); }")
    assert page.evaluate("window.sent") == [True]  # one request, sent with the button locked
    page.wait_for_function(
        "() => !document.querySelector('form[data-submit-once] button').disabled"
    )
    assert button.inner_text() == "Add contact"
    assert page.locator("form[data-submit-once]").get_attribute("aria-busy") is None


def test_an_error_far_down_a_phone_page_is_brought_into_view(page, live_server, buyer, delivered):
    sign_in(page.context, live_server, buyer)
    page.set_viewport_size(PHONE)
    page.goto(reverse("contracts:detail", args=[delivered.pk]))
    page.locator("#id_confirm").check()
    page.get_by_role("button", name="Acknowledge").click()  # the name left blank
    # The refused form comes back at its own address (…/acknowledge#acknowledge): wait for that
    # page; a load state waited for at once would be the old page's, already loaded.
    page.wait_for_url(re.compile(r"/acknowledge#acknowledge$"))
    page.wait_for_function("() => document.activeElement.id === 'id_name'")
    name = page.locator("#id_name")
    assert name.evaluate(IN_VIEW), name.bounding_box()
    assert page.evaluate("window.scrollY") > 0  # the form is below the first screen
    field = page.locator(".field.has-error", has=name)
    assert field.evaluate("el => getComputedStyle(el).borderLeftColor") == RED
    # Not colour alone: the message carries a "!" mark before its text.
    mark = field.locator(".field-error").evaluate("el => getComputedStyle(el, '::before').content")
    assert "!" in mark


STACKED_TABLE = """() => {
  const main = document.querySelector("main");
  main.insertAdjacentHTML("beforeend", `
    <table class="stack" id="stacked">
      <thead><tr><th>Number</th><th>Period</th><th>Total</th><th>State</th><th>PDF</th></tr></thead>
      <tbody><tr>
        <td data-label="Number">INV-2026-000005</td>
        <td data-label="Period">1 Dec 2026 to 28 Feb 2027</td>
        <td data-label="Total" class="num">298.80 EUR</td><td data-label="State">Paid</td>
        <td data-label="PDF"><a href="#">Download PDF</a></td>
      </tr></tbody>
    </table>
    <table id="wide"><thead><tr>${"<th>Column heading</th>".repeat(8)}</tr></thead>
      <tbody><tr>${"<td>Some value</td>".repeat(8)}</tr></tbody></table>`);
}"""


def test_phone_tables_stack_into_labelled_cards_or_show_they_scroll(page):
    page.set_viewport_size(PHONE)
    page.goto("/pricing/")
    page.evaluate(STACKED_TABLE)
    cells = page.locator("#stacked td")
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (i, box)
    total = page.locator("#stacked td[data-label=Total]")
    assert total.evaluate("el => getComputedStyle(el, '::before').content") == '"Total"'
    assert page.locator("#stacked thead").evaluate("el => el.getBoundingClientRect().width") <= 1
    wide = page.locator("#wide")
    assert wide.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls inside itself
    attachment = wide.evaluate("el => getComputedStyle(el).backgroundAttachment")
    assert attachment.startswith("local, local"), attachment  # the edge shadows move with it
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
