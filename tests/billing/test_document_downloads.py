"""A page never renders a PDF in the request: before the worker has stored an invoice's (or
credit note's) PDF, the download says it is being prepared and makes sure a task will make it;
once the worker has run, the stored document is served. A rendering that fails is told to the
customer and alerted to an admin, once; it is tried again after a backoff, never at every ask;
and the page stops asking once the document has failed or waited too long."""

import io
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert
from onboarding.billing import documents
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.downloads import retry_delay, wait_limit
from onboarding.billing.models import Invoice
from onboarding.core.cardmask import contains_card_number
from onboarding.worker.models import TaskKey
from tests.billing.conftest import buy, ready_customer, run_tasks, today
from tests.documents import backoff_passed, poll, queued_task, unrenderable, waited

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


def stored_pdfs(settings) -> list[Path]:
    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted((media / "invoices").rglob("*.pdf"))


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def follow_up_task(invoice: Invoice) -> DBTaskResult:
    return queued_task(f"invoice-follow-up:{invoice.pk}")


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
    assert invoice.number in text and "Acme Ltd" in text and "€118.80" in text
    assert renders == ["billing/pdf/invoice.html"]  # the download rendered nothing
    assert len(stored_pdfs(settings)) == 1


def test_the_poll_answers_a_fragment_until_the_document_is_ready(customer_client, invoice):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    waiting = poll(customer_client, url)
    assert waiting.status_code == 202
    assert "<html" not in waiting.content.decode()
    assert 'hx-trigger="every 3s"' in waiting.content.decode()

    run_tasks()
    ready = poll(customer_client, url)

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
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
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
        poll_answer = poll(customer_client, url)
        assert poll_answer["HX-Redirect"] == reverse("billing:invoice", args=[invoice.pk])

    # The stylesheet is fixed and the retry's backoff has passed: the retry makes the document.
    backoff_passed(follow_up_task(invoice))
    run_tasks()
    assert customer_client.get(url).status_code == 200


def test_a_failed_rendering_is_tried_again_after_its_backoff_not_at_every_ask(
    customer_client, invoice, renders, settings, tmp_path
):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
        customer_client.get(url)
        run_tasks()
        assert renders == ["billing/pdf/invoice.html"]  # the worker's one attempt, failed
        failed = AdminAlert.objects.get(reason="invoice_follow_up_failed")

        for _ in range(3):  # the person clicks, the page polls, a script asks the API
            assert customer_client.get(url).status_code == 302
            assert poll(customer_client, url).status_code == 204
            assert customer_client.get(f"{API}/{invoice.pk}/pdf").status_code == 503

        # One retry is queued, to run once the backoff has passed: none of the asks rendered.
        retry = follow_up_task(invoice)
        assert retry.status == TaskResultStatus.READY
        assert retry.run_after >= failed.last_seen_at + retry_delay(1)
        assert (
            DBTaskResult.objects.filter(task_path__endswith=".invoice_follow_ups_task")
            .filter(status=TaskResultStatus.READY)
            .count()
            == 1
        )
        run_tasks()
        assert renders == ["billing/pdf/invoice.html"]

        backoff_passed(retry)
        run_tasks()  # the retry fails too: the next one waits twice as long
        assert len(renders) == 2
        customer_client.get(url)
        failed.refresh_from_db()
        assert failed.count == 2
        assert follow_up_task(invoice).run_after >= failed.last_seen_at + retry_delay(2)
        assert retry_delay(2) == 2 * retry_delay(1)


def test_asking_again_after_a_failure_alerts_an_admin_once(
    customer_client, invoice, settings, tmp_path
):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
        customer_client.get(url)
        run_tasks()
        for _ in range(4):
            customer_client.get(url)
            poll(customer_client, url)

    alert = AdminAlert.objects.get(reason="invoice_pdf_failed")
    assert alert.count == 1


def test_a_document_no_worker_prepares_stops_the_page_and_alerts_once(customer_client, invoice):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    assert poll(customer_client, url).status_code == 202  # being prepared: asking again
    waited(follow_up_task(invoice), wait_limit().total_seconds() + 1)  # no worker took it

    stopped = poll(customer_client, url)

    # The poll stops: the page goes to the invoice, where the person is told what happened.
    assert stopped.status_code == 204
    assert stopped["HX-Redirect"] == reverse("billing:invoice", args=[invoice.pk])
    page = customer_client.get(url, follow=True).content.decode()
    assert "taking much longer than it should" in page and "been alerted" in page
    assert customer_client.get(f"{API}/{invoice.pk}/pdf").status_code == 503
    alert = AdminAlert.objects.get(reason="document_delayed")
    assert (alert.object_id, alert.count) == (str(invoice.pk), 1)
    # Nothing was dropped: the task still waits for a worker, which makes the document.
    assert follow_up_task(invoice).status == TaskResultStatus.READY
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


def test_a_stored_pdf_that_no_longer_matches_its_digest_is_not_served(
    customer_client, invoice, settings
):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    assert customer_client.get(url).status_code == 202
    run_tasks()
    assert customer_client.get(url).status_code == 200
    (stored,) = stored_pdfs(settings)
    stored.write_bytes(stored.read_bytes()[:200])  # cut short by a crash or a bad restore

    page = customer_client.get(url, follow=True)

    assert page.status_code != 200 or "application/pdf" not in page.get("Content-Type", "")
    assert "problem on our side" in page.content.decode()
    assert AdminAlert.objects.get(reason="invoice_pdf_failed").object_id == str(invoice.pk)
    assert customer_client.get(f"{API}/{invoice.pk}/pdf").status_code == 503
