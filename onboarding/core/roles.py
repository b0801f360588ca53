"""The four roles, in one place. A user has exactly one; staff roles work in the back office."""

from django.db import models


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    SYSOPS = "sysops", "SysOps"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


STAFF_ROLES = frozenset({Role.SYSOPS, Role.MANAGER, Role.ADMIN})
