"""The certificate of acceptance: rendered by the worker once the customer has acknowledged a
document, stored with its SHA-256, and served from storage. A request never renders one.

Rendering takes WeasyPrint a second or more of CPU; a page answers in milliseconds. So the
acknowledgement queues a task that renders and stores the certificate, and a download serves the
stored file when it is there; otherwise it says the certificate is being prepared, making sure a
task is queued for it (a lost task, or an acceptance from before certificates were stored, is
queued again by the next ask). The asks are bounded as an invoice PDF's are
(billing/downloads.py, document_prepare): a failed rendering is tried again at the worker's
pace, never at every poll; failed or waiting too long, the person is told and the page stops
asking, and an admin is alerted once.
"""

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from onboarding.alerts.failures import FailureNotice, failure_reported, report_failure
from onboarding.alerts.services import admin_alerts_resolve_for
from onboarding.billing.downloads import RenderWork, document_prepare

# tasks.py imports this module too: imported whole, so either may be imported first.
from onboarding.contracts import tasks as contract_tasks
from onboarding.contracts.models import Contract, ContractAcceptance, ContractCertificate
from onboarding.contracts.rendering import certificate_pdf
from onboarding.contracts.selectors import contract_certificate_of, stored_pdf_bytes
from onboarding.worker.services import enqueue_on_commit

logger = logging.getLogger(__name__)

CERTIFICATE_BEING_PREPARED = gettext_lazy(
    "Your certificate of acceptance is being prepared. This page updates by itself when it is "
    "ready; it usually takes a few seconds."
)
CERTIFICATE_FAILED = FailureNotice(
    "contract_certificate_failed",
    gettext_lazy(
        "The certificate of acceptance could not be prepared because of a problem on our side; our "
        "team has been told. Please try again later."
    ),
)
# The worker's own alert when its rendering fails (the download raises CERTIFICATE_FAILED's).
GENERATION_FAILED_REASON = "contract_certificate_generation_failed"


def certificate_task_key(acceptance_id: int) -> str:
    return f"contract-certificate:{acceptance_id}"


def certificate_generation_enqueue(*, acceptance: ContractAcceptance) -> None:
    """Queue the certificate's rendering once the acknowledgement commits; one task at a time."""
    enqueue_on_commit(
        contract_tasks.contract_certificate_generate_task,
        key=certificate_task_key(acceptance.pk),
        kwargs={"acceptance_id": acceptance.pk},
    )


def _storage_name(acceptance: ContractAcceptance, sha256: str) -> str:
    contract = acceptance.contract
    return (
        f"contracts/{contract.pk}/certificates/"
        f"{contract.number}-v{acceptance.document.version}-{acceptance.reference}.{sha256[:16]}.pdf"
    )  # a dot before the digest: digits joined by dashes can read as a card number


def contract_certificate_generate(*, acceptance_id: int) -> ContractCertificate | None:
    """Render the acceptance's certificate and store it (the worker's work).

    Idempotent: a certificate already stored is returned as it is (it never changes). Rendering
    runs outside any transaction; the row is written in a short one, and a run that lost the race
    to another removes its own file.
    """
    acceptance = (
        ContractAcceptance.objects.select_related("document", "user", "contract__customer__user")
        .filter(pk=acceptance_id)
        .first()
    )
    if acceptance is None:
        return None
    existing = contract_certificate_of(acceptance=acceptance)
    if existing is not None:
        return existing
    rendered = certificate_pdf(acceptance=acceptance)
    path = default_storage.save(
        _storage_name(acceptance, rendered.sha256), ContentFile(rendered.content)
    )
    try:
        with transaction.atomic():
            certificate = ContractCertificate.objects.create(
                acceptance=acceptance,
                storage_path=path,
                sha256=rendered.sha256,
                size_bytes=len(rendered.content),
            )
            # Its failures were raised until_resolved: left open, a later failure of this
            # acceptance would count on them unseen.
            admin_alerts_resolve_for(
                success="certificate_stored",
                customer_id=acceptance.contract.customer_id,
                target=acceptance.contract,
                because=f"The certificate of acceptance {acceptance.pk} was stored.",
                about={"acceptance": acceptance.pk},
            )
            return certificate
    except IntegrityError:
        default_storage.delete(path)  # another run stored it first; theirs stays
        return ContractCertificate.objects.get(acceptance=acceptance)
    except BaseException:
        default_storage.delete(path)  # no row points at it: do not leave it behind
        raise


def certificate_generation_failed(*, acceptance_id: int, error: BaseException) -> None:
    """The worker could not render or store a certificate: alert an admin (the task then raises,
    so the worker retries it with backoff)."""
    acceptance = (
        ContractAcceptance.objects.select_related("contract").filter(pk=acceptance_id).first()
    )
    contract: Contract | None = acceptance.contract if acceptance else None
    report_failure(
        reason=GENERATION_FAILED_REASON,
        user_message=f"The certificate of acceptance {acceptance_id} could not be rendered",
        error=error,
        target=contract,
        customer_id=contract.customer_id if contract else None,
        context={"acceptance": acceptance_id, "contract": contract.number if contract else ""},
        # The worker retries it until someone fixes its cause: one open alert counts the tries.
        until_resolved=True,
    )


@failure_reported(CERTIFICATE_FAILED, target="contract")
def contract_certificate_stored(
    *, contract: Contract, acceptance: ContractAcceptance, actor
) -> bytes | None:
    """The certificate the worker stored, checked against its SHA-256, or None while a worker
    prepares it (document_prepare). A failed rendering, a wait past the limit, or a stored file
    that cannot be read or was changed, is a reported failure. Never renders."""
    certificate = contract_certificate_of(acceptance=acceptance)
    if certificate is not None:
        return stored_pdf_bytes(
            storage_path=certificate.storage_path, sha256=certificate.sha256, what=certificate
        )
    work = RenderWork(
        task=contract_tasks.contract_certificate_generate_task,
        key=certificate_task_key(acceptance.pk),
        kwargs={"acceptance_id": acceptance.pk},
        # The task raises (the worker retries it) and alerts on the contract at each failure.
        failure_reason=GENERATION_FAILED_REASON,
        failure_target=contract,
    )
    document_prepare(
        work=work, target=contract, since=acceptance.accepted_at, failed=CERTIFICATE_FAILED
    )
    return None
