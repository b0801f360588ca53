"""A page never renders a PDF in the request: the certificate of acceptance is rendered by the
worker once the customer acknowledges; until it is stored, the download says it is being prepared
(202, the page polls with htmx; the API answers 202 with Retry-After) and makes sure a task will
make it. A rendering the worker cannot do is told to the customer and alerted to an admin once,
and tried again after a backoff, never at every ask."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from onboarding.alerts.models import AdminAlert
from onboarding.billing.downloads import retry_delay
from onboarding.contracts import rendering
from onboarding.contracts.models import Contract, ContractAcceptance, ContractCertificate
from onboarding.worker.models import TaskKey
from tests.documents import backoff_passed, poll, queued_task, unrenderable
from tests.worker.conftest import run_worker_in_process

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/v1/me/contracts"
TASK_PATH = ".contract_certificate_generate_task"


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The title of every contract PDF rendered in this process (the real renderer still runs)."""
    calls: list[str] = []
    real = rendering.pdf_from_html

    def counted(*, html: str, css: str = ""):
        calls.append(html.split("<title>", 1)[-1].split("</title>", 1)[0].strip())
        return real(html=html, css=css)

    monkeypatch.setattr(rendering, "pdf_from_html", counted)
    return calls


@pytest.fixture
def acceptance(buyer_client, delivered, renders) -> ContractAcceptance:
    """Acknowledged in the portal; the worker has not run since."""
    document = delivered.documents.get()
    response = buyer_client.post(
        reverse("contracts:acknowledge", args=[delivered.pk]),
        {"name": "Ada Lovelace", "document_sha256": document.sha256, "confirm": "on"},
    )
    assert response.status_code == 302
    return ContractAcceptance.objects.select_related("contract").get()


def page_url(acceptance: ContractAcceptance) -> str:
    return reverse("contracts:certificate", args=[acceptance.contract_id, acceptance.pk])


def stored_certificates(media: Path) -> list[Path]:
    return sorted(media.glob("contracts/*/certificates/*.pdf"))


def certificate_task(acceptance: ContractAcceptance) -> DBTaskResult:
    return queued_task(f"contract-certificate:{acceptance.pk}")


def certificate_renders(renders: list[str]) -> list[str]:
    return [title for title in renders if title.startswith("Certificate of acceptance")]


def test_before_the_worker_ran_the_page_says_being_prepared_and_renders_nothing(
    buyer_client, acceptance, renders, media
):
    response = buyer_client.get(page_url(acceptance) + "?download=1")

    assert response.status_code == 202
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert "being prepared" in page
    assert 'hx-trigger="every 3s"' in page  # the page asks again by itself
    assert renders == []
    assert stored_certificates(media) == []
    assert not ContractCertificate.objects.exists()
    # The acknowledgement queued the worker's task; asking did not queue a second one.
    assert certificate_task(acceptance).status == TaskResultStatus.READY
    assert DBTaskResult.objects.filter(task_path__endswith=TASK_PATH).count() == 1


def test_the_worker_renders_it_after_the_acknowledgement_before_anyone_asks(
    acceptance, renders, media
):
    run_worker_in_process()

    assert certificate_renders(renders) == [f"Certificate of acceptance {acceptance.reference}"]
    certificate = ContractCertificate.objects.get(acceptance=acceptance)
    assert [p.name for p in stored_certificates(media)] == [Path(certificate.storage_path).name]
    assert certificate_task(acceptance).status == TaskResultStatus.SUCCESSFUL


def test_once_the_worker_ran_the_page_serves_the_stored_pdf(
    buyer_client, acceptance, renders, media
):
    url = page_url(acceptance) + "?download=1"
    assert buyer_client.get(url).status_code == 202

    run_worker_in_process()
    rendered = list(renders)
    assert len(certificate_renders(rendered)) == 1  # rendered once, by the worker
    response = buyer_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    contract = acceptance.contract
    assert response["Content-Disposition"] == (
        f'attachment; filename="{contract.number}-v1-certificate.pdf"'
    )
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Certificate of acceptance" in text and contract.number in text
    assert "Ada Lovelace" in text
    assert renders == rendered  # the download rendered nothing
    assert len(stored_certificates(media)) == 1


def test_the_poll_answers_a_fragment_until_the_certificate_is_ready(buyer_client, acceptance):
    url = page_url(acceptance) + "?download=1"
    waiting = poll(buyer_client, url)
    assert waiting.status_code == 202
    assert "<html" not in waiting.content.decode()
    assert 'hx-trigger="every 3s"' in waiting.content.decode()

    run_worker_in_process()
    ready = poll(buyer_client, url)

    assert ready.status_code == 200
    fragment = ready.content.decode()
    assert "is ready" in fragment and f'href="{url}"' in fragment  # still a download
    assert "hx-trigger" not in fragment  # it stops asking


def test_the_api_answers_202_with_retry_after_then_the_pdf(buyer_client, acceptance, renders):
    url = f"{API}/{acceptance.contract_id}/certificate"
    pending = buyer_client.get(url)
    assert pending.status_code == 202
    assert pending["Retry-After"] == "3"
    assert pending.json()["code"] == "being_prepared"
    assert "being prepared" in pending.json()["detail"]
    assert renders == []

    run_worker_in_process()
    done = buyer_client.get(url)

    assert done.status_code == 200
    assert done["Content-Type"] == "application/pdf"
    assert done.content.startswith(b"%PDF-")


def test_a_lost_task_is_queued_again_by_the_next_ask(buyer_client, acceptance):
    url = page_url(acceptance)
    DBTaskResult.objects.all().delete()  # the queue lost it (its key goes with it)
    assert not TaskKey.objects.exists()

    assert buyer_client.get(url).status_code == 202
    assert certificate_task(acceptance).status == TaskResultStatus.READY
    assert buyer_client.get(url).status_code == 202
    assert DBTaskResult.objects.filter(task_path__endswith=TASK_PATH).count() == 1
    run_worker_in_process()
    assert buyer_client.get(url).status_code == 200


def test_staff_are_served_the_same_stored_certificate(sysops_client, acceptance, renders):
    url = reverse("contracts_staff:certificate", args=[acceptance.contract_id, acceptance.pk])
    waiting = sysops_client.get(url)
    assert waiting.status_code == 202
    assert "being prepared" in waiting.content.decode()
    assert renders == []

    run_worker_in_process()
    rendered = list(renders)
    response = sysops_client.get(url)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert renders == rendered


def test_a_rendering_the_worker_cannot_do_is_told_and_alerted(
    buyer_client, acceptance, settings, tmp_path
):
    contract = Contract.objects.get(pk=acceptance.contract_id)
    # A restyled certificate WeasyPrint cannot lay out (as in tests/system/test_fault_matrix.py).
    with unrenderable(settings, tmp_path, "contracts/pdf/certificate.html", inside_style=True):
        run_worker_in_process()  # the worker's attempt fails, is alerted, and waits for its retry
        task = certificate_task(acceptance)
        assert (task.status, bool(task.exception_class_path)) == (TaskResultStatus.READY, True)
        assert AdminAlert.objects.filter(
            reason="contract_certificate_generation_failed", object_id=str(contract.pk)
        ).exists()

        page = buyer_client.get(page_url(acceptance), follow=True)

        assert page.redirect_chain[-1][0] == reverse("contracts:detail", args=[contract.pk])
        assert "could not be prepared because of a problem on our side" in page.content.decode()
        alert = AdminAlert.objects.get(reason="contract_certificate_failed")
        assert (alert.object_id, alert.customer_id) == (str(contract.pk), contract.customer_id)
        api = buyer_client.get(f"{API}/{contract.pk}/certificate")
        assert api.status_code == 503
        assert "could not be prepared" in api.json()["detail"]
        # The poll sends the page to the contract, where the message is.
        poll_answer = poll(buyer_client, page_url(acceptance))
        assert poll_answer["HX-Redirect"] == reverse("contracts:detail", args=[contract.pk])
        assert not ContractCertificate.objects.exists()

    # The template is fixed and the retry's backoff has passed: the retry makes the certificate,
    # and closes the worker's alert (raised until resolved), so a later failure alerts anew.
    backoff_passed(task)
    run_worker_in_process()
    assert buyer_client.get(page_url(acceptance)).status_code == 200
    generation = AdminAlert.objects.get(reason="contract_certificate_generation_failed")
    assert generation.resolved_at is not None
    assert f"certificate of acceptance {acceptance.pk} was stored" in generation.resolution_note


def test_a_certificate_that_failed_for_good_is_queued_again_after_a_backoff_not_at_every_ask(
    buyer_client, acceptance, renders, settings, tmp_path
):
    settings.TASK_MAX_ATTEMPTS = 1  # the first failure is the last: the task is FAILED
    with unrenderable(settings, tmp_path, "contracts/pdf/certificate.html", inside_style=True):
        run_worker_in_process()
        failed = certificate_task(acceptance)
        assert failed.status == TaskResultStatus.FAILED
        tried = len(certificate_renders(renders))

        for _ in range(3):  # the person clicks, the page polls, a script asks the API
            assert buyer_client.get(page_url(acceptance)).status_code == 302
            assert poll(buyer_client, page_url(acceptance)).status_code == 204
            assert (
                buyer_client.get(f"{API}/{acceptance.contract_id}/certificate").status_code == 503
            )

        # One task is queued again, to run once the backoff has passed; the failed one stays.
        retry = certificate_task(acceptance)
        assert retry.pk != failed.pk and retry.status == TaskResultStatus.READY
        assert retry.run_after >= failed.finished_at + retry_delay(1)
        assert DBTaskResult.objects.filter(task_path__endswith=TASK_PATH).count() == 2
        assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.FAILED
        run_worker_in_process()
        assert len(certificate_renders(renders)) == tried  # nothing rendered before its time
    assert AdminAlert.objects.get(reason="contract_certificate_failed").count == 1

    backoff_passed(retry)
    run_worker_in_process()
    assert buyer_client.get(page_url(acceptance)).status_code == 200
