"""Contacts: the form posts with htmx and its answer is swapped into the page, errors in place
and a success announced (role=status) with the list updated; the same form without JavaScript
posts as usual and a success is redirected, so a reload adds nothing twice."""

import re

import pytest
from django.urls import reverse

from onboarding.accounts.models import Contact

pytestmark = pytest.mark.django_db
ADA = {"name": "Ada Admin", "role": "Technical", "email": "ada@example.com", "phone": ""}
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_htmx_add_answers_the_list_with_the_contact_and_a_status(customer_client):
    response = customer_client.post(reverse("accounts:contacts"), ADA, **HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert re.search(
        r'<ul class="messages" role="status">\s*<li class="message success">'
        r"Contact added\.</li>",
        fragment,
    )
    contact = Contact.objects.get()
    assert f'data-contact="{contact.pk}"' in fragment
    assert '<input type="text" name="name"' in fragment and 'value="Ada Admin"' not in fragment


def test_an_htmx_add_with_errors_answers_422_with_each_error_under_its_field(customer_client):
    response = customer_client.post(
        reverse("accounts:contacts"), {**ADA, "name": "", "phone": "call me"}, **HTMX
    )
    fragment = response.content.decode()
    assert response.status_code == 422
    assert re.search(
        r'data-field="name">.*?id="id_name_error" role="alert">This field is '
        r"required\.",
        fragment,
        re.S,
    )
    assert re.search(r'data-field="phone">.*?id="id_phone_error" role="alert">', fragment, re.S)
    assert 'value="call me"' in fragment  # what was typed stays, to be corrected
    assert "Contact added" not in fragment
    assert not Contact.objects.exists()


def test_without_javascript_an_add_is_redirected_and_the_page_shows_it(customer_client):
    response = customer_client.post(reverse("accounts:contacts"), ADA)
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:contacts"))
    page = customer_client.get(reverse("accounts:contacts")).content.decode()
    assert page.count("Contact added.") == 1  # from base.html, not twice
    assert "Ada Admin" in page


def test_without_javascript_an_add_with_errors_is_the_whole_page_with_the_errors(
    customer_client,
):
    response = customer_client.post(reverse("accounts:contacts"), {**ADA, "email": "no"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "<html" in page and 'id="id_email_error"' in page


def test_the_form_is_sent_once_and_an_empty_list_has_no_table(customer_client):
    page = customer_client.get(reverse("accounts:contacts")).content.decode()
    assert re.search(r"<form [^>]*hx-post=\"/account/contacts/\"[^>]*data-submit-once", page)
    assert "No contacts yet." in page and "<table" not in page


def test_remove_without_javascript_is_redirected(customer_client, customer):
    contact = Contact.objects.create(
        customer=customer.customer, name="Bo", role="Billing", email="bo@example.com"
    )
    response = customer_client.post(reverse("accounts:contact_delete", args=[contact.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:contacts"))
    assert not Contact.objects.exists()
