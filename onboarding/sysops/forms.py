import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onboarding.accounts.models import User
from onboarding.billing.models import Subscription
from onboarding.sysops.models import RequestKind, RequestStatus, Severity
from onboarding.sysops.services import BODY_MAX, SUMMARY_MAX
from onboarding.sysops.sla_report import FIRST_MONTH, LAST_MONTH


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search customers"),
        max_length=100,
        required=False,
        help_text=_(
            "Name, email, company, phone, invoice number (INV-…) or contract number (CTR-…)."
        ),
    )


class RequestOpenForm(forms.Form):
    subscription_id = forms.TypedChoiceField(label=_("Product"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices, widget=forms.RadioSelect)
    severity = forms.ChoiceField(
        label=_(_("Severity")), choices=Severity.choices, initial=Severity.NORMAL
    )
    summary = forms.CharField(label=_("Summary"), max_length=SUMMARY_MAX)
    description = forms.CharField(
        label=_("Description"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, subscriptions: list[Subscription], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription_id"].choices = [
            (s.pk, f"{s.plan.product.name} · {s.plan.name}") for s in subscriptions
        ]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class StaffCommentForm(CommentForm):
    internal = forms.BooleanField(
        label=_("Internal note (not shown to the customer)"), required=False
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, staff: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody")), *((u.pk, u.email) for u in staff)]


class MoveForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Note to the customer"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, RequestStatus(s).label) for s in allowed]


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("open", pgettext_lazy("requests still open", "Open")),
            ("", _("Any")),
            *RequestStatus.choices,
        ],
    )
    severity = forms.ChoiceField(required=False, choices=[("", _("Any")), *Severity.choices])
    assignee = forms.CharField(required=False, max_length=20)


class ServiceCreditApproveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Issue this credit now: a credit note on the invoice and a refund to the card"),
        error_messages={"required": _("Tick the box to confirm the credit.")},
    )


class ServiceCreditDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it declined?"),
        min_length=3,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit log."),
    )


class ReportMonthForm(forms.Form):
    """The breach report's month picker: YYYY-MM (what <input type="month"> sends)."""

    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("Enter a month as YYYY-MM, for example 2026-03.")},
    )

    def clean_month(self) -> dt.date:
        month = self.cleaned_data["month"]
        if not FIRST_MONTH <= month <= LAST_MONTH:
            raise forms.ValidationError(
                _("Pick a month from %(first)s to %(last)s.")
                % {"first": f"{FIRST_MONTH:%Y-%m}", "last": f"{LAST_MONTH:%Y-%m}"}
            )

        return month
