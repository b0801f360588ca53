"""Pages: the staff console (customer search, full customer view, request queue) under /staff/,
and the customer's own requests under /account/requests/.

StaffAccessMiddleware has refused anyone without a staff role and TOTP before a staff view runs;
the portal views fetch through the access rules, so another customer's request is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.accounts.models import User
from onboarding.accounts.selectors import customer_of_user, staff_assignees
from onboarding.billing.dunning_decisions import actor_may_decide
from onboarding.billing.forms import DunningDecisionForm
from onboarding.core import clock
from onboarding.core.forms import refusals_on
from onboarding.core.pagination import page_number
from onboarding.sysops.credit_selectors import service_credits_of_request
from onboarding.sysops.forms import (
    AssignForm,
    CommentForm,
    CustomerSearchForm,
    MoveForm,
    QueueFilterForm,
    ReportMonthForm,
    RequestOpenForm,
    SeverityForm,
    StaffCommentForm,
)
from onboarding.sysops.health import customer_search_with_health
from onboarding.sysops.models import RequestStatus, ServiceRequest, Severity
from onboarding.sysops.overview_cache import customer_overview_cached
from onboarding.sysops.requests import (
    QUEUE_PAGE_SIZE,
    QueueFilters,
    request_subscriptions_of,
    service_request_clocks,
    service_request_get,
    service_request_queue,
    service_request_updates,
    service_requests_of,
    service_requests_with_due,
)
from onboarding.sysops.search import looks_like_email
from onboarding.sysops.services import (
    CustomerUnknown,
    customer_of_requester,
    customer_resolve,
    service_request_assign,
    service_request_change_severity,
    service_request_comment,
    service_request_move,
    service_request_open,
)
from onboarding.sysops.sla_report import (
    BreachReport,
    breach_report_csv,
    month_start,
    sla_breach_report,
)

# --- Staff: customers ----------------------------------------------------------------------------


@require_GET
def customer_search_page(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = customer_search_with_health(query=query, page=page_number(request)) if query else None
    unknown = None
    if query and looks_like_email(query):
        try:
            customer_resolve(email=query, source="staff customer search", actor=request.user)
        except CustomerUnknown as error:
            unknown = error.message
    if request.htmx:
        # htmx swaps only 2xx answers; the fragment itself says the customer is unknown.
        return render(
            request, "sysops/_search_results.html", {"results": results, "unknown": unknown}
        )
    return render(
        request,
        "sysops/customer_search.html",
        {"form": form, "results": results, "unknown": unknown},
        status=404 if unknown else 200,
    )


@require_GET
def customer_overview_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        customer = customer_resolve(
            customer_id=customer_id, source="staff customer page", actor=request.user
        )
    except CustomerUnknown as error:
        return render(
            request,
            "sysops/customer_unknown.html",
            {"message": error.message, "customer_id": customer_id, "form": CustomerSearchForm()},
            status=404,
        )
    overview = customer_overview_cached(customer=customer, history_html=True)
    return render(
        request,
        "sysops/customer_overview.html",
        {
            "o": overview,
            # A held invoice's decision form each, coming back here (billing.dunning_decisions).
            "dunning_forms": [
                (
                    invoice,
                    DunningDecisionForm(
                        initial={"next": request.path}, auto_id=f"id_dd{invoice.pk}_%s"
                    ),
                )
                for invoice in overview.invoices_awaiting_decision
            ],
            "may_decide": actor_may_decide(request.user),
        },
    )


# --- Staff: the SLA breach report -----------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[ReportMonthForm, BreachReport | None]:
    """The month asked for (this month when none is), and its report; None for a bad month."""
    if "month" not in request.GET:
        month = month_start(clock.now())
        return ReportMonthForm(initial={"month": month}), sla_breach_report(month=month)
    form = ReportMonthForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, sla_breach_report(month=form.cleaned_data["month"])


@require_GET
def sla_breach_report_page(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    return render(
        request,
        "sysops/sla_breach_report.html",
        {"form": form, "report": report},
        status=200 if report is not None else 422,
    )


@require_GET
def sla_breach_report_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return render(
            request, "sysops/sla_breach_report.html", {"form": form, "report": None}, status=422
        )
    response = HttpResponse(breach_report_csv(report), content_type="text/csv; charset=utf-8")
    filename = f"sla-breaches-{report.month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Staff: the request queue ----------------------------------------------------------------


@require_GET
def request_queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = QueueFilters(
        status=data.get("status", "open") if request.GET else "open",
        severity=data.get("severity", ""),
        assignee=data.get("assignee", ""),
    )
    queue = service_request_queue(user=request.user, filters=filters)
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(page_number(request))
    return render(
        request,
        "sysops/request_queue.html",
        {
            "page": page,
            "rows": service_requests_with_due(requests=page.object_list),
            "filters": filters,
            "statuses": RequestStatus.choices,
            "severities": Severity.choices,
            "staff": staff_assignees(),
        },
    )


def _staff_detail(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    comment_form: StaffCommentForm | None = None,
    assign_form: AssignForm | None = None,
    move_form: MoveForm | None = None,
    severity_form: SeverityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = staff_assignees()
    return render(
        request,
        "sysops/staff_request_detail.html",
        {
            "req": service_request,
            "updates": service_request_updates(user=request.user, request=service_request),
            "clocks": service_request_clocks(request=service_request),
            "service_credits": service_credits_of_request(request=service_request),
            "comment_form": comment_form or StaffCommentForm(),
            "assign_form": assign_form
            or AssignForm(staff=staff, initial={"assignee": service_request.assignee_id}),
            "move_form": move_form or MoveForm(allowed=service_request.allowed_moves),
            "severity_form": severity_form
            or SeverityForm(initial={"severity": service_request.severity}),
        },
        status=status,
    )


@require_GET
def staff_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _staff_detail(request, service_request_get(user=request.user, request_id=request_id))


def _run(form, call) -> bool:
    """Call a service for a valid form; its refusal becomes the form's error. True on success."""
    with refusals_on(form) as outcome:
        call()
    return outcome.ok


@require_POST
def staff_request_assign(request: HttpRequest, request_id: int) -> HttpResponse:
    service_request = service_request_get(user=request.user, request_id=request_id)
    form = AssignForm(request.POST, staff=staff_assignees())
    if form.is_valid():
        chosen = form.cleaned_data["assignee"]
        assignee = User.objects.filter(pk=chosen).first() if chosen else None
        if _run(
            form,
            lambda: service_request_assign(
                request=service_request, assignee=assignee, actor=request.user
            ),
        ):
            messages.success(request, gettext("Assignment saved."))
            return redirect("sysops:request_detail", request_id=service_request.pk)
    return _staff_detail(request, service_request, assign_form=form, status=422)


@require_POST
def staff_request_comment(request: HttpRequest, request_id: int) -> HttpResponse:
    service_request = service_request_get(user=request.user, request_id=request_id)
    form = StaffCommentForm(request.POST)
    if form.is_valid() and _run(
        form,
        lambda: service_request_comment(
            request=service_request,
            actor=request.user,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
        ),
    ):
        messages.success(request, gettext("Comment added."))
        return redirect("sysops:request_detail", request_id=service_request.pk)
    return _staff_detail(request, service_request, comment_form=form, status=422)


@require_POST
def staff_request_move(request: HttpRequest, request_id: int) -> HttpResponse:
    service_request = service_request_get(user=request.user, request_id=request_id)
    form = MoveForm(request.POST, allowed=service_request.allowed_moves)
    if form.is_valid() and _run(
        form,
        lambda: service_request_move(
            request=service_request,
            status=form.cleaned_data["status"],
            actor=request.user,
            note=form.cleaned_data["note"],
        ),
    ):
        messages.success(request, gettext("Status changed."))
        return redirect("sysops:request_detail", request_id=service_request.pk)
    return _staff_detail(request, service_request, move_form=form, status=422)


@require_POST
def staff_request_severity(request: HttpRequest, request_id: int) -> HttpResponse:
    service_request = service_request_get(user=request.user, request_id=request_id)
    form = SeverityForm(request.POST)
    if form.is_valid() and _run(
        form,
        lambda: service_request_change_severity(
            request=service_request, severity=form.cleaned_data["severity"], actor=request.user
        ),
    ):
        messages.success(request, gettext("Severity changed; the SLA clocks follow the new terms."))
        return redirect("sysops:request_detail", request_id=service_request.pk)
    return _staff_detail(request, service_request, severity_form=form, status=422)


# --- Customer portal: my requests --------------------------------------------------------------


@login_required
@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    return render(
        request,
        "sysops/my_requests.html",
        {"requests": service_requests_of(customer=customer), "customer": customer},
    )


@login_required
def my_request_new(request: HttpRequest) -> HttpResponse:
    try:
        customer = customer_of_requester(user=request.user, source="portal request form")
    except CustomerUnknown as error:
        return render(request, "sysops/portal_unknown.html", {"message": error.message}, status=404)
    subscriptions = request_subscriptions_of(customer=customer)
    form = RequestOpenForm(request.POST or None, subscriptions=subscriptions)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form) as outcome:
            opened = service_request_open(
                customer=customer, actor=request.user, source="portal", **form.cleaned_data
            )
        if outcome.ok:
            messages.success(
                request,
                gettext("Request {reference} sent. We will keep you posted.").format(
                    reference=opened.reference
                ),
            )
            return redirect("requests:detail", request_id=opened.pk)
    return render(
        request,
        "sysops/my_request_form.html",
        {"form": form, "subscriptions": subscriptions},
        status=422 if form.errors else 200,
    )


@login_required
def my_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    customer_of_user(user=request.user)  # staff and others without a customer record: 404
    service_request = service_request_get(user=request.user, request_id=request_id)
    form = CommentForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: service_request_comment(
                request=service_request, actor=request.user, body=form.cleaned_data["body"]
            ),
        )
    ):
        messages.success(request, gettext("Your reply is sent."))
        return redirect("requests:detail", request_id=service_request.pk)
    return render(
        request,
        "sysops/my_request_detail.html",
        {
            "req": service_request,
            "updates": service_request_updates(user=request.user, request=service_request),
            "clocks": service_request_clocks(request=service_request),
            "form": form,
        },
        status=422 if form.errors else 200,
    )
