"""A page never renders a PDF in the request: before the worker has stored an invoice's (or
credit note's) PDF, the download says it is being prepared and makes sure a task will make it;
once the worker has run, the stored document is served. A rendering that fails is told to the
customer and alerted to an admin."""

import io
from pathlib import Path

import pypdf
import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert
from onboarding.billing import documents
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.core.cardmask import contains_card_number
from onboarding.worker.models import TaskKey
from tests.billing.conftest import buy, ready_customer, run_tasks, today

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/v1/me/invoices"


@pytest.fixture
def invoice(plan, customer) -> Invoice:
    """Issued and paid by the bill run; its follow-up (the PDF) not yet run by a worker."""
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    assert invoice.pdf_path == ""
    return invoice


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Every PDF rendering in this process, by template (the real renderer still runs)."""
    calls: list[str] = []
    real = documents.pdf_render

    def counted(*, template: str, context: dict) -> bytes:
        calls.append(template)
        return real(template=template, context=context)

    monkeypatch.setattr(documents, "pdf_render", counted)
    return calls


def stored_pdfs(settings) -> list[Path]:
    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted((media / "invoices").rglob("*.pdf"))


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def follow_up_task(invoice: Invoice) -> DBTaskResult:
    return TaskKey.objects.get(key=f"invoice-follow-up:{invoice.pk}").task_result


def test_before_the_worker_ran_the_page_says_being_prepared_and_renders_nothing(
    customer_client, invoice, renders, settings
):
    response = customer_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 202
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "being prepared" in page
    assert 'hx-trigger="every 3s"' in page  # the page asks again by itself
    assert renders == []
    assert stored_pdfs(settings) == []
    invoice.refresh_from_db()
    assert (invoice.pdf_path, invoice.pdf_sha256) == ("", "")
    # The worker has its task.
    assert follow_up_task(invoice).status == TaskResultStatus.READY


def test_once_the_worker_ran_the_page_serves_the_stored_pdf(
    customer_client, invoice, renders, settings
):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    assert customer_client.get(url).status_code == 202

    run_tasks()
    assert renders == ["billing/pdf/invoice.html"]  # rendered once, by the worker
    response = customer_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    text = pdf_text(b"".join(response.streaming_content))
    assert invoice.number in text and "Acme Ltd" in text and "118.80 EUR" in text
    assert renders == ["billing/pdf/invoice.html"]  # the download rendered nothing
    assert len(stored_pdfs(settings)) == 1


def test_the_poll_answers_a_fragment_until_the_document_is_ready(customer_client, invoice):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    waiting = customer_client.get(url, headers={"HX-Request": "true"})
    assert waiting.status_code == 202
    assert "<html" not in waiting.content.decode()
    assert 'hx-trigger="every 3s"' in waiting.content.decode()

    run_tasks()
    ready = customer_client.get(url, headers={"HX-Request": "true"})

    assert ready.status_code == 200
    fragment = ready.content.decode()
    assert "Your document is ready" in fragment and f'href="{url}"' in fragment
    assert "hx-trigger" not in fragment  # it stops asking


def test_the_api_answers_202_with_retry_after_then_the_pdf(customer_client, invoice, renders):
    pending = customer_client.get(f"{API}/{invoice.pk}/pdf")
    assert pending.status_code == 202
    assert pending["Retry-After"] == "3"
    assert "being prepared" in pending.json()["detail"]
    assert renders == []

    run_tasks()
    done = customer_client.get(f"{API}/{invoice.pk}/pdf")

    assert done.status_code == 200
    assert b"".join(done.streaming_content).startswith(b"%PDF-")


def test_a_lost_task_is_queued_again_by_the_next_ask(customer_client, invoice):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    customer_client.get(url)
    DBTaskResult.objects.all().delete()  # the queue lost it (its key goes with it)
    assert not TaskKey.objects.exists()

    assert customer_client.get(url).status_code == 202
    assert follow_up_task(invoice).status == TaskResultStatus.READY
    run_tasks()
    assert customer_client.get(url).status_code == 200


def test_asking_twice_queues_one_task(customer_client, invoice):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    customer_client.get(url)
    customer_client.get(url)
    queued = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path__endswith=".invoice_follow_ups_task"
    )
    assert queued.count() == 1


def test_a_paid_invoice_is_not_served_without_its_paid_mark(customer_client, invoice, renders):
    """A PDF stored before the payment lacks the "Paid" mark: the page waits for the new one."""
    Invoice.objects.filter(pk=invoice.pk).update(pdf_path="invoices/2026/x-unpaid-0.pdf")
    response = customer_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 202
    assert renders == []


def test_a_rendering_the_worker_cannot_do_is_told_and_alerted(
    customer_client, invoice, settings, tmp_path
):
    # A restyled stylesheet WeasyPrint cannot lay out (see tests/system/test_fault_matrix.py).
    css = tmp_path / "templates" / "billing" / "pdf" / "document.css"
    css.parent.mkdir(parents=True)
    shipped = Path(django_settings.BASE_DIR) / "onboarding/billing/templates/billing/pdf"
    css.write_text((shipped / "document.css").read_text() + "\nbody { font-size: 1e308px; }\n")
    original = settings.TEMPLATES
    settings.TEMPLATES = [{**original[0], "DIRS": [tmp_path / "templates", *original[0]["DIRS"]]}]
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    assert customer_client.get(url).status_code == 202
    run_tasks()  # the worker's attempt fails, and is reported

    page = customer_client.get(url, follow=True)

    assert "The document could not be prepared because of a problem on our side" in (
        page.content.decode()
    )
    assert AdminAlert.objects.filter(
        reason="invoice_follow_up_failed", object_id=str(invoice.pk)
    ).exists()
    assert AdminAlert.objects.get(reason="invoice_pdf_failed").object_id == str(invoice.pk)
    api = customer_client.get(f"{API}/{invoice.pk}/pdf")
    assert api.status_code == 503
    # The poll sends the page to the invoice, where the message is.
    poll = customer_client.get(url, headers={"HX-Request": "true"})
    assert poll["HX-Redirect"] == reverse("billing:invoice", args=[invoice.pk])

    settings.TEMPLATES = original  # the stylesheet is fixed: the retry makes the document
    run_tasks()
    assert customer_client.get(url).status_code == 200


def test_a_stored_pdf_name_never_reads_as_a_card_number(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    # A digest starting with digits after "CN-2026-000001" made the Luhn-valid run 2026000001340
    # (one name in forty or so); two hundred names would all but surely show it again.
    for attempt in range(200):
        content = b"%PDF-" + str(attempt).encode()
        stored = documents.pdf_store(
            folder="credit-notes/2026", stem="CN-2026-000001", content=content
        )
        assert not contains_card_number(stored.path), stored.path
