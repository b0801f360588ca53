"""Staff pages for test clocks, admins only: the clocks (create one), one clock with its test
customers, advancing and what happened at each step (simulated and real time).

Every view asks testclocks_require_admin first: other staff roles get 403 and the refusal is
recorded. Domain errors become field errors, never a 500.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onboarding.accounts.models import TestClockStatus
from onboarding.core.errors import DomainError, Forbidden, NotFound
from onboarding.testclocks.forms import AdvanceForm, ClockForm, TestCustomerForm
from onboarding.testclocks.selectors import (
    clock_customers,
    clock_events,
    clock_get,
    clock_list,
    clock_status_label,
)
from onboarding.testclocks.services import (
    ClockCustomerIn,
    clock_advance,
    clock_create,
    clock_customer_create,
    testclocks_require_admin,
)


def admins_only(view):
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            testclocks_require_admin(request.user, object_id=str(kwargs.get("clock_id", "")))
        except Forbidden as refusal:
            raise PermissionDenied(refusal.message) from None
        return view(request, *args, **kwargs)

    return guarded


def _refused(form, refusal: DomainError) -> None:
    message = str(refusal.message)
    form.add_error(refusal.field if refusal.field in form.fields else None, message)


@require_http_methods(["GET", "POST"])
@admins_only
def clock_list_view(request: HttpRequest) -> HttpResponse:
    form = ClockForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = clock_create(actor=request.user, **form.cleaned_data)
            except DomainError as refusal:
                _refused(form, refusal)
            else:
                messages.success(
                    request, gettext("Test clock %(name)r created.") % {"name": created.name}
                )
                return redirect("testclocks:detail", clock_id=created.pk)
        status = 400
    return render(
        request,
        "testclocks/list.html",
        {"clocks": _labelled(clock_list()), "form": form},
        status=status,
    )


def _labelled(clocks):
    """The clocks, each with its status in the reader's language (status_label)."""
    clocks = list(clocks)
    for test_clock in clocks:
        test_clock.status_label = clock_status_label(test_clock)
    return clocks


def _detail(request: HttpRequest, clock_id: int, *, customer_form=None, advance_form=None):
    try:
        test_clock = clock_get(clock_id=clock_id)
    except NotFound:
        raise Http404(gettext("No such test clock.")) from None
    return render(
        request,
        "testclocks/detail.html",
        {
            "clock": _labelled([test_clock])[0],
            "customers": clock_customers(clock_id=test_clock.pk),
            "events": clock_events(clock_id=test_clock.pk, limit=200),
            "customer_form": customer_form or TestCustomerForm(),
            "advance_form": advance_form or _advance_form(test_clock),
        },
        status=400 if (customer_form or advance_form) else 200,
    )


def _advance_form(test_clock) -> AdvanceForm:
    """Empty; after a failed advance, aimed at the target it did not reach."""
    if test_clock.status == TestClockStatus.FAILED and test_clock.target_time:
        return AdvanceForm(initial={"to": test_clock.target_time.strftime("%Y-%m-%dT%H:%M")})
    return AdvanceForm()


@require_GET
@admins_only
def clock_detail(request: HttpRequest, clock_id: int) -> HttpResponse:
    return _detail(request, clock_id)


@require_POST
@admins_only
def clock_customer_add(request: HttpRequest, clock_id: int) -> HttpResponse:
    form = TestCustomerForm(request.POST)
    if form.is_valid():
        try:
            customer = clock_customer_create(
                actor=request.user, clock_id=clock_id, data=ClockCustomerIn(**form.cleaned_data)
            )
        except NotFound:
            raise Http404(gettext("No such test clock.")) from None
        except DomainError as refusal:
            _refused(form, refusal)
        else:
            messages.success(
                request,
                gettext("Test customer %(email)s created.") % {"email": customer.user.email},
            )
            return redirect("testclocks:detail", clock_id=clock_id)
    return _detail(request, clock_id, customer_form=form)


@require_POST
@admins_only
def clock_advance_view(request: HttpRequest, clock_id: int) -> HttpResponse:
    form = AdvanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            test_clock = clock_advance(
                actor=request.user,
                clock_id=clock_id,
                amount=None if data["to"] else data["amount"],
                unit=None if data["to"] else data["unit"],
                to=data["to"],
            )
        except NotFound:
            raise Http404(gettext("No such test clock.")) from None
        except DomainError as refusal:
            _refused(form, refusal)
        else:
            messages.success(
                request,
                gettext(
                    "The clock is advancing to %(target)s UTC; this page shows where it has got to."
                )
                % {"target": f"{test_clock.target_time:%Y-%m-%d %H:%M}"},
            )
            return redirect("testclocks:detail", clock_id=clock_id)
    return _detail(request, clock_id, advance_form=form)
