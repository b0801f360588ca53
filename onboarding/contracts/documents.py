"""A contract's documents: publishing the template, rendering the wanted version to PDF and
storing it with its SHA-256, and queueing generation and delivery.

A stored document never changes: an amendment wants a new version. Rendering is slow, so it
runs outside any transaction; the row is written in a short one. A stored document that cannot
be served is told in the words defined here. (The certificate of acceptance: certificates.py.)
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template import Context, TemplateSyntaxError
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.failures import FailureNotice, failure_reported

# tasks.py imports this module too: imported whole, so either may be imported first.
from onboarding.contracts import tasks as contract_tasks
from onboarding.contracts.events import (
    document_generated,
    document_viewed,
    generation_retried,
    template_published,
)
from onboarding.contracts.incomplete import ContractIncomplete
from onboarding.contracts.models import (
    Contract,
    ContractDocument,
    ContractState,
    ContractTemplate,
)
from onboarding.contracts.rendering import (
    compile_template,
    contract_pdf,
    pdf_from_html,
    sample_context,
)
from onboarding.contracts.selectors import contract_document_bytes
from onboarding.contracts.transitions import ACTION_FAILED, contract_locked
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.roles import Role
from onboarding.worker.services import enqueue_on_commit

S = ContractState
DOCUMENT_UNAVAILABLE = FailureNotice(
    "contract_document_unavailable",
    gettext_lazy(
        "This document cannot be shown right now. Our team has been told and will send it again."
    ),
)


@failure_reported(DOCUMENT_UNAVAILABLE, target="contract", context=("document",))
def contract_document_open(*, contract: Contract, document: ContractDocument, actor) -> bytes:
    """A stored version's PDF for `actor` to read, checked against its SHA-256 (a file changed on
    disk is refused and reported), the reading audited."""
    content = contract_document_bytes(document=document)
    document_viewed(actor=actor, document=document)
    return content


def document_generation_enqueue(*, contract: Contract) -> None:
    """Queue the rendering of the wanted document version once the caller's transaction
    commits; one task per version."""
    enqueue_on_commit(
        contract_tasks.contract_document_generate_task,
        key=f"contract:{contract.pk}:document:{contract.document_version_wanted}",
        kwargs={"contract_id": contract.pk},
    )


def document_delivery_enqueue(*, contract: Contract, version: int) -> None:
    """Queue the delivery of a stored document version once the caller's transaction commits."""
    enqueue_on_commit(
        contract_tasks.contract_deliver_task,
        key=f"contract:{contract.pk}:deliver:{version}",
        kwargs={"contract_id": contract.pk},
    )


# --- templates -----------------------------------------------------------------------------


def contract_template_current(language: str = "en") -> ContractTemplate:
    """The newest version of the legal text in `language` (the contract's)."""
    template = ContractTemplate.objects.filter(language=language).order_by("-version").first()
    if template is None:
        raise ContractIncomplete(f"no contract template has been published in {language!r}")
    return template


# The shipped template's sample contract is about 2,300 characters of HTML and takes WeasyPrint
# about 0.07 s of CPU; its cost grows with the HTML (about 0.8 s at 45,000 characters, 3.2 s at
# 177,000). A template whose sample runs longer than this (a loop gone wrong) is refused before
# it is laid out: it would cost that in the admin's request, then again for every contract.
SAMPLE_HTML_MAX_CHARS = 50_000


def _does_not_render(error: Exception) -> str:
    return gettext("The template does not render: %(kind)s: %(error)s") % {
        "kind": error.__class__.__name__,
        "error": error,
    }


@transaction.atomic
def contract_template_publish(
    *, html: str, css: str, note: str, actor: User, language: str = "en"
) -> ContractTemplate:
    """Publish a new template version (a restyle). It must compile and render a sample contract
    to PDF first, so a broken layout never reaches a customer's document; a sample longer than
    SAMPLE_HTML_MAX_CHARS is refused before it is laid out, which bounds the render's cost.
    Each language has its own versions: this one is the next of `language`."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(gettext("The site does not speak this language."), field="language")
    if actor is None or not actor.has_role(Role.ADMIN):
        raise Forbidden(gettext("Only an admin can publish a contract template."))
    if not (html or "").strip():
        raise DomainError(gettext("The template is empty."), field="html")
    try:
        compiled = compile_template(html)
        with translation.override(language):
            sample = compiled.render(Context(sample_context(), autoescape=True))
    except TemplateSyntaxError as error:
        raise DomainError(
            gettext("The template does not compile: %(error)s") % {"error": error}, field="html"
        ) from error
    except Exception as error:
        raise DomainError(_does_not_render(error), field="html") from error
    if len(sample) > SAMPLE_HTML_MAX_CHARS:
        raise DomainError(
            gettext(
                "The sample contract runs to %(length)s characters of HTML, more than the "
                "%(most)s a contract may have: look for a loop that repeats too often."
            )
            % {"length": f"{len(sample):,}", "most": f"{SAMPLE_HTML_MAX_CHARS:,}"},
            field="html",
        )
    try:
        pdf_from_html(html=sample, css=css or "")
    except Exception as error:
        raise DomainError(_does_not_render(error), field="html") from error
    latest = (
        ContractTemplate.objects.select_for_update()
        .filter(language=language)
        .order_by("-version")
        .first()
    )
    template = ContractTemplate.objects.create(
        language=language,
        version=(latest.version if latest else 0) + 1,
        html=html,
        css=css or "",
        note=mask_card_numbers(" ".join((note or "").split()))[:200],
        created_by=actor,
    )
    template_published(actor=actor, template=template)
    return template


# --- generating a document -----------------------------------------------------------------


def _storage_name(contract: Contract, version: int, sha256: str) -> str:
    return f"contracts/{contract.pk}/{contract.number}-v{version}-{sha256[:16]}.pdf"


class _LostRace(Exception):
    def __init__(self, document: ContractDocument | None):
        super().__init__("another run stored this document version first")
        self.document = document


def contract_document_generate(*, contract: Contract) -> ContractDocument | None:
    """Render the wanted document version to PDF, store it with its SHA-256, queue delivery.

    Idempotent: the version already stored is returned as it is (a stored document never
    changes). Rendering runs outside any transaction; the row is written in a short one.
    """
    contract = Contract.objects.select_related("customer__user", "previous").get(pk=contract.pk)
    version = contract.document_version_wanted
    if not version or contract.state in (S.DRAFT, S.CANCELLED, S.RENEWED, S.EXPIRED):
        return None
    existing = ContractDocument.objects.filter(contract=contract, version=version).first()
    if existing is not None:
        return existing
    template = contract_template_current(contract.language)
    rendered = contract_pdf(contract=contract, template=template, version=version)
    path = default_storage.save(
        _storage_name(contract, version, rendered.sha256), ContentFile(rendered.content)
    )
    try:
        with transaction.atomic():
            locked = contract_locked(contract=contract)
            stored = ContractDocument.objects.filter(contract=locked, version=version).first()
            if stored is not None or locked.document_version_wanted != version:
                raise _LostRace(stored)
            document = ContractDocument.objects.create(
                contract=locked,
                version=version,
                template=template,
                storage_path=path,
                sha256=rendered.sha256,
                size_bytes=len(rendered.content),
            )
            locked.last_error = ""
            locked.save(update_fields=["last_error", "updated_at"])
            document_generated(contract=locked, document=document)
            document_delivery_enqueue(contract=locked, version=version)
    except _LostRace as lost:
        default_storage.delete(path)  # ours is not the stored one; theirs stays
        return lost.document
    except BaseException:
        default_storage.delete(path)  # no row points at it: do not leave it behind
        raise
    return document


@failure_reported(ACTION_FAILED, target="contract")
@transaction.atomic
def contract_generation_retry(*, contract: Contract, actor: User) -> Contract:
    """Staff ask for a pending document to be generated again (e.g. after fixing the template)."""
    contract = contract_locked(contract=contract)
    if contract.state != S.ISSUED:
        raise Conflict(gettext("Only a contract whose document is pending can be generated again."))
    generation_retried(actor=actor, contract=contract)
    if ContractDocument.objects.filter(
        contract=contract, version=contract.document_version_wanted
    ).exists():
        document_delivery_enqueue(contract=contract, version=contract.document_version_wanted)
    else:
        document_generation_enqueue(contract=contract)
    return contract
