"""The four roles, in one place. A user has exactly one; staff roles work in the back office."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Labels are translated: the header shows the role next to the address (base.html).
    CUSTOMER = "customer", _("Customer")
    SYSOPS = "sysops", _("SysOps")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


STAFF_ROLES = frozenset({Role.SYSOPS, Role.MANAGER, Role.ADMIN})
