"""The customer sees "pending", never a broken link, until the PDF exists; a failing generation
is retried by the worker with an admin alert, and recovers once the cause is fixed."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert
from onboarding.contracts.documents import contract_template_publish
from onboarding.contracts.issuing import contract_issue_for_subscription, issue_task_key
from onboarding.contracts.models import Contract, ContractState, ContractTemplate
from onboarding.contracts.tasks import contract_issue_for_subscription_task
from onboarding.core.errors import DomainError
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.worker.services import task_enqueue_once
from tests.worker.conftest import run_worker_in_process

# A template that compiles but fails when rendered: the page it links to does not exist.
BROKEN_HTML = "<html><body><h1>{{ contract.number }}</h1>{% url 'no-such-page' %}</body></html>"
FIXED_HTML = (
    "<html><body><h1>Contract {{ contract.number }}</h1><p>{{ customer.name }}</p></body></html>"
)


@pytest.mark.django_db
def test_an_issued_contract_without_its_pdf_shows_pending(buyer_client, media, subscription):
    contract = contract_issue_for_subscription(subscription=subscription)

    page = buyer_client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    listing = buyer_client.get(reverse("contracts:list")).content.decode()

    assert "Pending" in page and "being prepared" in page
    assert reverse("contracts:pdf", args=[contract.pk, 1]) not in page
    assert "Pending" in listing
    redirect = buyer_client.get(reverse("contracts:pdf_current", args=[contract.pk]))
    assert redirect.status_code == 302
    assert redirect["Location"] == reverse("contracts:detail", args=[contract.pk])


@pytest.mark.django_db
def test_the_api_says_pending_until_the_pdf_exists(buyer_client, media, subscription):
    contract = contract_issue_for_subscription(subscription=subscription)

    got = buyer_client.get(f"/api/v1/me/contracts/{contract.pk}").json()
    pdf = buyer_client.get(f"/api/v1/me/contracts/{contract.pk}/pdf")

    assert got["document_pending"] is True and got["document"] is None
    assert pdf.status_code == 409
    assert pdf.json()["code"] == "pending"


@pytest.mark.django_db
def test_a_changed_file_on_disk_is_never_served(buyer_client, delivered, admin_user):
    document = delivered.documents.get()
    with default_storage.open(document.storage_path, "wb") as handle:
        handle.write(b"%PDF-1.7 something else entirely")

    response = buyer_client.get(reverse("contracts:pdf", args=[delivered.pk, 1]))

    assert response.status_code == 302
    assert AdminAlert.objects.filter(reason="contract_document_unavailable").exists()
    api = buyer_client.get(f"/api/v1/me/contracts/{delivered.pk}/pdf")
    assert api.status_code == 503


@pytest.mark.django_db
def test_publishing_a_template_that_does_not_render_is_refused(admin_user):
    with pytest.raises(DomainError, match="does not render"):
        contract_template_publish(html=BROKEN_HTML, css="", note="", actor=admin_user)
    with pytest.raises(DomainError, match="does not compile"):
        contract_template_publish(html="{% if %}", css="", note="", actor=admin_user)
    assert ContractTemplate.objects.filter(language="en").count() == 3  # seeded 1 to 3 only


@pytest.mark.django_db
def test_only_an_admin_publishes_a_template(sysops):
    with pytest.raises(DomainError):
        contract_template_publish(html=FIXED_HTML, css="", note="", actor=sysops)


@pytest.fixture
def retry_settings(settings):
    settings.TASK_MAX_ATTEMPTS = 5
    settings.TASK_RETRY_BASE_SECONDS = 60
    return settings


def _make_due() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_the_task_billing_enqueues_issues_generates_and_delivers(media, subscription):
    task_enqueue_once(
        contract_issue_for_subscription_task,
        key=issue_task_key(subscription.pk),
        kwargs={"subscription_id": subscription.pk},
    )

    run_worker_in_process()

    contract = Contract.objects.get(subscription=subscription)
    assert contract.state == ContractState.SENT
    assert contract.documents.count() == 1
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }


@pytest.mark.django_db(transaction=True)
def test_a_failing_generation_alerts_shows_pending_and_recovers_after_the_fix(
    retry_settings, media, subscription, buyer, buyer_client, admin_user
):
    ContractTemplate.objects.create(version=4, html=BROKEN_HTML, css="", note="broken restyle")
    task_enqueue_once(
        contract_issue_for_subscription_task,
        key=issue_task_key(subscription.pk),
        kwargs={"subscription_id": subscription.pk},
    )

    run_worker_in_process()

    contract = Contract.objects.get(subscription=subscription)
    assert contract.state == ContractState.ISSUED
    assert "NoReverseMatch" in contract.last_error
    alert = AdminAlert.objects.get(reason="contract_incomplete")
    assert alert.object_id == str(contract.pk)
    assert "Contract incomplete" in alert.message
    step = JourneyStep.objects.get(customer=buyer.customer, step=Step.CONTRACT)
    assert step.state == StepState.FAILED
    [waiting] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert waiting.task_path.endswith("contract_document_generate_task")
    assert (
        "Pending"
        in buyer_client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    )

    fixed = contract_template_publish(html=FIXED_HTML, css="", note="fixed", actor=admin_user)
    _make_due()
    run_worker_in_process()

    contract.refresh_from_db()
    assert contract.state == ContractState.SENT
    assert contract.last_error == ""
    assert contract.documents.get().template == fixed
    step.refresh_from_db()
    assert step.state == StepState.DONE
