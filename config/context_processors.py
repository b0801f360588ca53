"""The staff navigation, with live counts of work waiting, on every staff page.

It lives in config/ because it reads several apps' selectors: onboarding/core imports no app, and
no app may import its peers just to draw a menu. The counts are read only when a template shows
the navigation (an htmx fragment or a JSON answer never pays for them) and are kept for a few
seconds in the cache, so paging through a list costs one cache read, not four counts.
"""

from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse

from onboarding.acceptance.selectors import acceptance_red_count
from onboarding.accounts.middleware import STAFF_AREAS
from onboarding.alerts.selectors import admin_alert_open_count
from onboarding.risk.selectors import risk_open_count
from onboarding.sysops.requests import service_request_overdue_count

COUNTS_CACHE_KEY = "staff-nav-counts"
COUNTS_CACHE_SECONDS = 5

# (key, label, URL name, what its count means); a count only where it means work waiting.
ENTRIES = (
    ("customers", "Customers", "sysops:customer_search", ""),
    ("requests", "Requests", "sysops:request_queue", "overdue"),
    ("acceptance", "Acceptance", "acceptance:console", "red"),
    ("risk", "Risk board", "risk:board", "unacknowledged"),
    ("contracts", "Contracts", "contracts_staff:list", ""),
    ("invoices", "Invoices", "billing:staff_invoices", ""),
    ("alerts", "Alerts", "alerts:list", "open"),
    ("audit", "Audit", "audit:list", ""),
    ("mail", "Mail", "mail:list", ""),
    ("tasks", "Tasks", "tasks:list", ""),
    ("funnel", "Funnel", "journey:funnel", ""),
)


def staff_counts() -> dict[str, int]:
    """Work waiting, by navigation entry: a few COUNT queries, cached for a few seconds."""

    def count() -> dict[str, int]:
        return {
            "requests": service_request_overdue_count(),
            "acceptance": acceptance_red_count(),
            "risk": risk_open_count(),
            "alerts": admin_alert_open_count(),
        }

    return cache.get_or_set(COUNTS_CACHE_KEY, count, COUNTS_CACHE_SECONDS)


@dataclass(frozen=True)
class StaffNavEntry:
    key: str
    label: str
    url: str
    count: int | None
    meaning: str
    current: bool


class StaffNav:
    """Lazy: nothing is counted until a template reads `entries` or `counts`."""

    def __init__(self, path: str):
        self.path = path

    def __bool__(self) -> bool:
        return True

    @cached_property
    def counts(self) -> dict[str, int]:
        return staff_counts()

    @cached_property
    def entries(self) -> list[StaffNavEntry]:
        urls = [(key, reverse(name)) for key, _, name, _ in ENTRIES]
        # The longest matching prefix is the page's own entry (/staff/customers/7/ is Customers).
        matching = [(len(url), key) for key, url in urls if self.path.startswith(url)]
        current = max(matching)[1] if matching else ""
        return [
            StaffNavEntry(
                key=key,
                label=label,
                url=url,
                count=self.counts.get(key) if meaning else None,
                meaning=meaning,
                current=key == current,
            )
            for (key, label, _, meaning), (_, url) in zip(ENTRIES, urls, strict=True)
        ]


def _is_staff_page(path: str) -> bool:
    return any(path == area or path.startswith(area + "/") for area in STAFF_AREAS)


def staff_nav(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_staff_role", False):
        return {}
    if not _is_staff_page(request.path_info):
        return {}
    return {"staff_nav": StaffNav(request.path_info)}
