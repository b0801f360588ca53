"""Staff pages: the audit list with filters, and one entry in full.

StaffAccessMiddleware guards /staff/ (staff role and TOTP); the selectors apply the AuditEntry
access rule as well, so only staff roles ever see a row.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from onboarding.audit.forms import AuditFilterForm
from onboarding.audit.selectors import (
    AuditPage,
    audit_chain_status,
    audit_entry_get,
    audit_entry_page,
)


def _query_with(form: AuditFilterForm, **cursor: int) -> str:
    """The current filters plus one keyset cursor, as a query string."""
    params = {
        name: value
        for name, value in form.data.items()
        if name not in {"before", "after"} and value
    }
    params.update({name: value for name, value in cursor.items() if value is not None})
    return urlencode(params)


def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if form.is_valid():
        page = audit_entry_page(
            user=request.user,
            filters=form.filters(),
            before=form.cleaned_data["before"],
            after=form.cleaned_data["after"],
        )
    else:
        # Never fall back to "everything" when the filter the user typed was not understood.
        page = AuditPage(entries=[], older_than=None, newer_than=None)
    context = {
        "form": form,
        "page": page,
        "older_query": _query_with(form, before=page.older_than) if page.older_than else "",
        "newer_query": _query_with(form, after=page.newer_than) if page.newer_than else "",
        "chain": audit_chain_status(),
    }
    template = "audit/_results.html" if request.headers.get("HX-Request") else "audit/list.html"
    return render(request, template, context)


def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = audit_entry_get(user=request.user, entry_id=pk)
    return render(request, "audit/detail.html", {"entry": entry})
