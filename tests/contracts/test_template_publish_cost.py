"""Publishing a contract template renders a sample contract in the admin's request (the admin
must learn at once that it does not render, before any contract uses it); a sample too long to
be a contract is refused before WeasyPrint lays it out, which bounds what a publish costs."""

import pytest
from django.urls import reverse

from onboarding.contracts import documents
from onboarding.contracts.documents import SAMPLE_HTML_MAX_CHARS
from onboarding.contracts.models import ContractTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def layouts(monkeypatch) -> list[int]:
    """The length of the HTML of every PDF laid out in this process (the real renderer runs)."""
    calls: list[int] = []
    real = documents.pdf_from_html

    def counted(*, html: str, css: str = ""):
        calls.append(len(html))
        return real(html=html, css=css)

    monkeypatch.setattr(documents, "pdf_from_html", counted)
    return calls


def test_a_template_whose_sample_runs_too_long_is_refused_before_it_is_laid_out(
    admin_client_2fa, layouts
):
    # 327 characters that make a 20,000-line contract: 17.6 s of WeasyPrint CPU, measured.
    looping = "{% for x in 'x'|rjust:20000 %}<p>Line {{ forloop.counter }}</p>{% endfor %}"
    response = admin_client_2fa.post(
        reverse("admin:contracts_contracttemplate_add"), {"html": looping, "css": "", "note": ""}
    )

    assert response.status_code == 200
    assert "look for a loop that repeats too often" in response.content.decode()
    assert layouts == []
    assert ContractTemplate.objects.filter(language="en").count() == 3


def test_a_template_of_a_contracts_length_is_laid_out_and_published(admin_client_2fa, layouts):
    lines = "".join(f"<p>Clause {n}: the terms of service.</p>" for n in range(400))
    response = admin_client_2fa.post(
        reverse("admin:contracts_contracttemplate_add"),
        {"html": f"<h1>{{{{ contract.number }}}}</h1>{lines}", "css": "", "note": "Long"},
    )

    assert response.status_code == 302
    assert len(layouts) == 1 and layouts[0] <= SAMPLE_HTML_MAX_CHARS
    assert ContractTemplate.objects.filter(language="en").count() == 4
