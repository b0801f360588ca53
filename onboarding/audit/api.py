"""GET /api/v1/staff/audit/ and /api/v1/staff/audit/{id}: staff read the audit log.

StaffAccessMiddleware has already required a staff role and TOTP; the selectors apply the
AuditEntry access rule again, so a non-staff caller that got here would still see nothing.
"""

from django.http import HttpRequest
from ninja import Query, Router

from onboarding.audit.schemas import AuditEntryOut, AuditListQuery, AuditPageOut
from onboarding.audit.selectors import audit_entry_get, audit_entry_list

router = Router()


@router.get("/", response=AuditPageOut, summary="List audit entries, newest first")
def list_entries(request: HttpRequest, query: Query[AuditListQuery]):
    entries = audit_entry_list(user=request.user, filters=query.filters())
    return {
        "items": list(entries[query.offset : query.offset + query.limit]),
        "count": entries.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


@router.get("/{int:entry_id}", response={200: AuditEntryOut, 404: dict}, summary="One audit entry")
def get_entry(request: HttpRequest, entry_id: int):
    return audit_entry_get(user=request.user, entry_id=entry_id)
