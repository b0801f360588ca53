"""Reads for contract pages, the API and the worker. Visibility goes through the access rules."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from onboarding.billing.models import LIVE_STATUSES
from onboarding.contracts.models import (
    ACKNOWLEDGEABLE_STATES,
    Contract,
    ContractAcceptance,
    ContractCertificate,
    ContractDocument,
    ContractState,
    ContractTemplate,
)
from onboarding.core import clock
from onboarding.core.access import get_visible_or_404, visible_to
from onboarding.core.roles import Role

# The expiry windows the staff list offers (days).
EXPIRY_WINDOWS = (7, 30, 60, 90)


class DocumentTampered(Exception):
    """A stored PDF no longer matches the SHA-256 recorded when it was stored."""


def _with_documents(contracts: QuerySet[Contract], *, user) -> QuerySet[Contract]:
    if user.role == Role.CUSTOMER:
        # A customer's pages show neither the template behind a document (its HTML and CSS are
        # long texts) nor who is on the customer record or the acceptance: they are the reader.
        return contracts.select_related("previous", "next_term").prefetch_related(
            Prefetch("documents", queryset=ContractDocument.objects.order_by("version")),
            Prefetch(
                "acceptances",
                queryset=ContractAcceptance.objects.select_related("document").order_by(
                    "-accepted_at", "-id"
                ),
            ),
        )
    return contracts.select_related("customer__user", "previous", "next_term").prefetch_related(
        Prefetch(
            "documents",
            queryset=ContractDocument.objects.select_related("template").order_by("version"),
        ),
        Prefetch(
            "acceptances",
            queryset=ContractAcceptance.objects.select_related("document", "user").order_by(
                "-accepted_at", "-id"
            ),
        ),
    )


def contracts_of(*, user) -> QuerySet[Contract]:
    """The contracts `user` may see (a customer: their own), newest term first."""
    return _with_documents(visible_to(user, Contract.objects.all()), user=user).order_by(
        "-term_start", "-id"
    )


@dataclass(frozen=True)
class ContractsAtAGlance:
    """For the account page: the newest contract, and one that waits for acknowledgement."""

    newest: Contract | None
    to_acknowledge: Contract | None


def contracts_at_a_glance(*, user) -> ContractsAtAGlance:
    """In one query of a few columns: the account page needs ids and numbers, and which current
    document has no acceptance yet, not the documents and acceptances themselves."""
    wanted = ContractDocument.objects.filter(
        contract=OuterRef("pk"), version=OuterRef("document_version_wanted")
    )
    contracts = list(
        visible_to(user, Contract.objects.all())
        .annotate(
            has_current_document=Exists(wanted),
            current_acknowledged=Exists(
                ContractAcceptance.objects.filter(
                    contract=OuterRef("pk"), document__version=OuterRef("document_version_wanted")
                )
            ),
        )
        .only("id", "number", "state", "document_version_wanted", "term_start")
        .order_by("-term_start", "-id")
    )
    waiting = (
        contract
        for contract in contracts
        if contract.state in ACKNOWLEDGEABLE_STATES
        and contract.document_version_wanted
        and contract.has_current_document
        and not contract.current_acknowledged
    )
    return ContractsAtAGlance(
        newest=contracts[0] if contracts else None, to_acknowledge=next(waiting, None)
    )


def contract_get(*, user, contract_id) -> Contract:
    """One contract `user` may see; anyone else's, or a bad id, is a 404 (and audited)."""
    return get_visible_or_404(
        user, _with_documents(Contract.objects.all(), user=user), pk=contract_id
    )


@dataclass(frozen=True)
class CancellationTerms:
    """What cancelling a contract now would do, for the confirmation the customer reads first.
    The dates come from the rules contract_cancel applies."""

    service_ends_at: datetime  # support continues until then
    billing_stops: bool  # the subscription still bills, and stops at service_ends_at
    renewal_planned: bool  # the term would otherwise run on into a renewal


def contract_cancellation_terms(*, contract: Contract) -> CancellationTerms:
    subscription = contract.subscription
    billing = subscription.status in LIVE_STATUSES and not subscription.cancel_at_period_end
    return CancellationTerms(
        service_ends_at=contract.service_end_if_cancelled(),
        billing_stops=billing,
        renewal_planned=billing and settings.CONTRACT_AUTO_RENEW,
    )


def contract_staff_list(
    *, user, state: str = "", expires_within_days: int | None = None, search: str = ""
) -> QuerySet[Contract]:
    """Every contract for staff, filtered by state, by "term ends within N days" and by a
    search on the number, the customer's company or email; soonest expiry first."""
    contracts = (
        visible_to(user, Contract.objects.all())
        .select_related("customer__user")
        .prefetch_related(
            Prefetch("documents", queryset=ContractDocument.objects.order_by("version")),
            Prefetch(
                "acceptances",
                queryset=ContractAcceptance.objects.only("id", "document_id", "contract_id"),
            ),
        )
    )
    if state in ContractState.values:
        contracts = contracts.filter(state=state)
    if expires_within_days is not None:
        contracts = contracts.expiring_within(days=expires_within_days)
    search = search.strip()
    if search:
        contracts = contracts.filter(
            Q(number__icontains=search)
            | Q(customer__company__icontains=search)
            | Q(customer__user__email__icontains=search)
            | Q(product_name__icontains=search)
        )
    return contracts.order_by("term_end", "id")


def contract_state_counts(*, user) -> dict[str, int]:
    rows = (
        visible_to(user, Contract.objects.all()).order_by().values("state").annotate(n=Count("id"))
    )
    counts = dict.fromkeys(ContractState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def contract_acceptance_of(*, contract: Contract, document: ContractDocument | None):
    """The acceptance of `document` (prefetched acceptances), or None."""
    if document is None:
        return None
    for acceptance in contract.acceptances.all():
        if acceptance.document_id == document.pk:
            return acceptance
    return None


def contract_acceptance_get(*, user, contract: Contract, acceptance_id) -> ContractAcceptance:
    return get_visible_or_404(
        user,
        ContractAcceptance.objects.select_related("document", "user", "contract__customer__user"),
        pk=acceptance_id,
        contract=contract,
    )


def contract_document_get(*, user, contract: Contract, version) -> ContractDocument:
    return get_visible_or_404(
        user,
        ContractDocument.objects.select_related("contract"),
        contract=contract,
        version=version,
    )


def stored_pdf_bytes(*, storage_path: str, sha256: str, what: object) -> bytes:
    """A stored PDF, checked against its SHA-256: a file changed on disk is never served."""
    with default_storage.open(storage_path, "rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise DocumentTampered(f"{storage_path} does not match the SHA-256 stored for {what}")
    return content


def contract_document_bytes(*, document: ContractDocument) -> bytes:
    return stored_pdf_bytes(
        storage_path=document.storage_path, sha256=document.sha256, what=document
    )


def contract_certificate_of(*, acceptance: ContractAcceptance) -> ContractCertificate | None:
    """The certificate the worker stored for `acceptance`, or None while there is none."""
    return ContractCertificate.objects.filter(acceptance=acceptance).first()


def contract_template_list() -> QuerySet[ContractTemplate]:
    return ContractTemplate.objects.select_related("created_by").order_by("language", "-version")


def contracts_expiring_count(*, user, days: int) -> int:
    return (
        visible_to(user, Contract.objects.in_force())
        .filter(term_end__gt=clock.now(), term_end__lte=clock.now() + timedelta(days=days))
        .count()
    )
