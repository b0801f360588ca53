from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onboarding.billing.models import InvoiceStatus
from onboarding.catalog.models import BillingCycle
from onboarding.core.form_rendering import QUICK_RENDERER
from onboarding.core.money import Money, parse_major


class CycleForm(forms.Form):
    default_renderer = QUICK_RENDERER

    cycle = forms.ChoiceField(
        label=_("Billing cycle"), choices=BillingCycle.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, available: list[str] | None = None, offers=None, **kwargs):
        """`offers` (billing.selectors.plan_cycle_offers) become the choices themselves, so a
        template reads each radio's price and saving from its `choice_label`."""
        super().__init__(*args, **kwargs)
        if offers is not None:
            self.fields["cycle"].choices = [(offer.cycle, offer) for offer in offers]
        elif available is not None:
            self.fields["cycle"].choices = [
                (value, label) for value, label in BillingCycle.choices if value in available
            ]


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", _("Any state")), *InvoiceStatus.choices], required=False
    )
    q = forms.CharField(
        label=_("Number, customer or email"), max_length=120, required=False, strip=True
    )


class RefundForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to refund everything that is left."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, min_length=3, widget=forms.Textarea)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].label = format_lazy(_("Amount ({currency})"), currency=currency)

    def clean_amount(self) -> Money | None:
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            amount = parse_major(text, self.currency)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Enter an amount such as 12.50 (%(currency)s).") % {"currency": self.currency}
            ) from exc
        if amount.amount_minor <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))

        return amount


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, min_length=3)


class PlanChangeForm(forms.Form):
    default_renderer = QUICK_RENDERER

    plan = forms.ChoiceField(label=_("Plan"))
    # Range and units-in-use are the service's rules (plan_changes.py), said per plan there.
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=1_000_000)

    def __init__(self, *args, plans: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = plans


class DunningDecisionForm(forms.Form):
    """A manager's decision on an invoice whose dunning waits for one (dunning_decisions.py)."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("extend", _("Give more time: one more retry in a few days")),
            (
                "past_due",
                _("Past due now: the invoice is uncollectible, the subscription past due"),
            ),
        ],
        widget=forms.RadioSelect,
    )
    days = forms.IntegerField(
        label=_("Days (more time)"),
        required=False,
        min_value=1,
        max_value=30,
        help_text=_("From 1 to 30: the retry goes that many days from now."),
    )
    # Where to come back to: the customer view or the invoice (only staff paths are followed).
    next = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if (
            data.get("decision") == "extend"
            and data.get("days") is None
            and "days" not in (self.errors)
        ):
            self.add_error("days", gettext("Say how many days (1 to 30) the customer gets."))
        return data
