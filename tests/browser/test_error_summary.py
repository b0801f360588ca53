"""The error summary at the top of a form with errors (includes/error_summary.html,
static/js/forms.js) on a 390 px phone: it counts the problems, links each one to its field, is
what gets the focus and the screen after a full-page post and after an htmx 422 swap, and a link
in it focuses its field with the field's label in sight."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.sessions import sign_in
from tests.factories import UserFactory, complete_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

IN_VIEW = """(el) => { const b = el.getBoundingClientRect();
  return b.top >= 0 && b.bottom <= window.innerHeight; }"""
FOCUSED = "(el) => el === document.activeElement"


def _summary_has_the_focus(page):
    summary = page.locator("form .error-summary")
    summary.wait_for()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.matches('.error-summary')"
    )
    assert summary.get_attribute("role") == "alert"
    assert summary.evaluate(IN_VIEW)
    return summary


def test_a_sign_up_with_two_bad_fields_starts_with_a_summary_linking_to_both(page, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(reverse("account_signup"))
    page.locator("#id_email").fill("not-an-address")
    page.locator("#id_password1").fill("a long and unusual passphrase")
    page.locator("#id_password2").fill("a different long passphrase")
    # The browser's own check of the email would stop the post before the server sees it.
    page.evaluate("document.querySelector('main form[method=post]').noValidate = true")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()

    summary = _summary_has_the_focus(page)
    assert "There are 2 problems" in summary.inner_text()
    links = summary.locator("a")
    assert links.count() == 2
    assert [links.nth(i).get_attribute("href") for i in range(2)] == ["#id_email", "#id_password2"]
    assert links.nth(0).inner_text() == "Email"
    screenshot("error-summary-signup-390")

    links.nth(1).click()
    second = page.locator("#id_password2")
    page.wait_for_function("() => document.activeElement.id === 'id_password2'")
    assert second.evaluate(IN_VIEW)
    assert page.locator("label[for=id_password2]").evaluate(IN_VIEW)  # its label in sight
    links.nth(0).click()
    expect(page.locator("#id_email")).to_be_focused()


def test_a_profile_with_two_bad_fields_links_each_to_its_field(page, live_server, screenshot):
    user = UserFactory()
    complete_profile(user.customer)
    sign_in(page.context, live_server, user)
    page.set_viewport_size(PHONE)
    page.goto(reverse("accounts:profile"))
    page.locator("#id_phone").fill("call me")
    page.locator("#id_city").fill("")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()

    summary = _summary_has_the_focus(page)
    hrefs = summary.locator("a").evaluate_all("links => links.map((a) => a.hash)")
    assert sorted(hrefs) == ["#id_city", "#id_phone"]
    screenshot("error-summary-profile-390")
    summary.locator("a[href='#id_phone']").click()
    page.wait_for_function("() => document.activeElement.id === 'id_phone'")
    assert page.locator("#id_phone").evaluate(IN_VIEW)


def test_an_htmx_form_refused_with_422_brings_its_summary_into_view(page, live_server):
    user = UserFactory()
    sign_in(page.context, live_server, user)
    page.set_viewport_size(PHONE)
    page.goto(reverse("accounts:contacts"))
    page.locator("#id_phone").fill("call me")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Add contact").click()
    assert answer.value.status == 422
    summary = _summary_has_the_focus(page)
    assert page.locator("form .error-summary").count() == 1  # swapped in, not added twice
    assert summary.locator("a[href='#id_name']").count() == 1
    summary.locator("a[href='#id_name']").click()
    page.wait_for_function("() => document.activeElement.id === 'id_name'")
