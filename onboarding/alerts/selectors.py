"""Reads for the alert pages and API."""

import logging

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from onboarding.alerts.models import AdminAlert, AdminAlertQuerySet, AlertSeverity, AlertState
from onboarding.core.errors import NotFound
from onboarding.core.numbers import parse_query_int

logger = logging.getLogger(__name__)


def get_admin_url(obj: models.Model) -> str:
    """Where a person looks at `obj`: its own page if it has one, else its Django admin page."""
    get_absolute_url = getattr(obj, "get_absolute_url", None)
    if callable(get_absolute_url):
        try:
            return str(get_absolute_url())
        except NoReverseMatch:
            logger.warning("get_absolute_url failed for %s", obj._meta.label_lower)
    if admin.site.is_registered(type(obj)):
        opts = obj._meta
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
        except NoReverseMatch:
            return ""
    return ""


def object_url_for(*, target: models.Model | None, object_type: str, object_id: str) -> str:
    """The link for an alert's object, given the object itself or its "app.model" label and id."""
    if target is None and object_type and object_id:
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            return ""
        try:
            target = model._default_manager.filter(pk=object_id).first()
        except (ValidationError, ValueError, TypeError, OverflowError):
            return ""
    if target is None:
        return ""
    return get_admin_url(target)


def admin_alert_list(
    *, state: str = "", severity: str = "", reason: str = ""
) -> AdminAlertQuerySet:
    """Alerts newest first, filtered by whichever of state, severity and reason are given."""
    alerts = AdminAlert.objects.select_related("acknowledged_by", "resolved_by").newest_first()
    if state:
        alerts = alerts.filter(state=state)
    if severity:
        alerts = alerts.filter(severity=severity)
    if reason:
        alerts = alerts.filter(reason=reason)
    return alerts


def admin_alert_counts() -> dict[str, dict[str, int]]:
    """How many alerts are in each state, and how many unresolved ones at each severity."""
    by_state = {state.value: 0 for state in AlertState}
    for row in AdminAlert.objects.values("state").annotate(n=Count("id")).order_by():
        by_state[row["state"]] = row["n"]
    by_severity = {severity.value: 0 for severity in AlertSeverity}
    for row in (
        AdminAlert.objects.unresolved().values("severity").annotate(n=Count("id")).order_by()
    ):
        by_severity[row["severity"]] = row["n"]
    return {"state": by_state, "unresolved_severity": by_severity}


def admin_alert_reasons() -> list[str]:
    return list(AdminAlert.objects.order_by("reason").values_list("reason", flat=True).distinct())


def admin_alert_get(*, alert_id: int | str) -> AdminAlert:
    """One alert by id; an id that is not a number or not an alert is NotFound."""
    pk = parse_query_int(str(alert_id), minimum=1)
    if pk is None:
        raise NotFound(gettext("No such alert."))
    alert = (
        AdminAlert.objects.select_related("acknowledged_by", "resolved_by").filter(pk=pk).first()
    )
    if alert is None:
        raise NotFound(gettext("No such alert."))
    return alert


def admin_alert_open_count() -> int:
    """Alerts nobody has picked up yet: the staff navigation's count of work waiting."""
    return AdminAlert.objects.filter(state=AlertState.OPEN).count()
