"""The staff navigation, with live counts of work waiting, on every staff page.

It lives in config/ because it reads several apps' selectors: onboarding/core imports no app, and
no app may import its peers just to draw a menu. The counts are read only when a template shows
the navigation (an htmx fragment or a JSON answer never pays for them), and reading them is one
cache read: the worker counts (config/staff_counts.py), a request never does.
"""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.staff_counts import StaffCounts, staff_counts_stored
from onboarding.accounts.middleware import STAFF_AREAS
from onboarding.core.roles import Role

# (key, label, URL name, what its count means); a count only where it means work waiting.
# Lazy: each page reads them in its reader's language (a staff page: their console language).
ENTRIES = (
    ("customers", _("Customers"), "sysops:customer_search", ""),
    ("requests", _("Requests"), "sysops:request_queue", _("overdue")),
    ("acceptance", _("Acceptance"), "acceptance:console", _("red")),
    ("risk", _("Risk board"), "risk:board", _("unacknowledged")),
    ("health", _("Health"), "health:queue", ""),
    ("contracts", _("Contracts"), "contracts_staff:list", ""),
    ("invoices", _("Invoices"), "billing:staff_invoices", ""),
    ("alerts", _("Alerts"), "alerts:list", _("open")),
    ("audit", _("Audit"), "audit:list", ""),
    ("mail", _("Mail"), "mail:list", ""),
    ("tasks", _("Tasks"), "tasks:list", ""),
    ("funnel", _("Funnel"), "journey:funnel", ""),
)
DEFAULT_POLL_SECONDS = 30
# Entries for managers and admins: the service credits they decide (SysOps would get a 403).
MANAGER_ENTRIES = (
    ("service_credits", _("Service credits"), "sysops:service_credits", _("awaiting a decision")),
)
# Entries for admins only: other staff would be refused the page (its rows hold signing secrets
# and customers' events), so they are not shown the link either.
ADMIN_ENTRIES = (
    ("webhooks", _("Webhooks"), "webhooks:list", ""),
    ("testclocks", _("Test clocks"), "testclocks:list", ""),
)


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

    def __init__(self, path: str, *, role: str = ""):
        self.path = path
        self.role = role

    def __bool__(self) -> bool:
        return True

    @cached_property
    def stored(self) -> StaffCounts | None:
        return staff_counts_stored()

    @cached_property
    def counts(self) -> dict[str, int]:
        """The last counts the worker stored; empty (no badges) before its first run."""
        return self.stored.counts if self.stored else {}

    @property
    def poll_seconds(self) -> int:
        """How often an open page asks for the stored counts again (base.html's htmx poll)."""
        return max(1, getattr(settings, "STAFF_NAV_COUNTS_POLL_SECONDS", DEFAULT_POLL_SECONDS))

    @cached_property
    def counts_stale(self) -> bool:
        """True when the worker has not counted for a while: the template shows the age."""
        return self.stored is not None and self.stored.is_stale()

    @cached_property
    def counts_age_seconds(self) -> int | None:
        return None if self.stored is None else int(self.stored.age_seconds())

    @cached_property
    def entries(self) -> list[StaffNavEntry]:
        shown = ENTRIES
        if self.role in (Role.MANAGER, Role.ADMIN):
            shown += MANAGER_ENTRIES
        if self.role == Role.ADMIN:
            shown += ADMIN_ENTRIES
        urls = [(key, reverse(name)) for key, _, name, _ in shown]
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
            for (key, label, _, meaning), (_, url) in zip(shown, urls, strict=True)
        ]


def _is_staff_page(path: str) -> bool:
    return any(path == area or path.startswith(area + "/") for area in STAFF_AREAS)


def staff_nav(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_staff_role", False):
        return {}
    if not _is_staff_page(request.path_info):
        return {}
    return {"staff_nav": StaffNav(request.path_info, role=user.role)}
