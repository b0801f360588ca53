"""Object-level access: who may see which rows, decided here and nowhere else.

Every model that a page or the API hands to a user declares its rule with @access_rule: the path
from the row to the user who owns it, and the staff roles that see every row. Views and API
handlers fetch through `visible_to` / `get_visible_or_404`, so:

- a model with no rule, an anonymous or inactive user: nothing at all (deny by default);
- a staff role named in the rule, with a second factor (TOTP): every row;
- anyone else: the rows they own, through the owner path; none if the rule names no owner.

A row that exists but is not the user's answers 404, never 403 (a 403 would confirm it exists).
The 404 raised then is a `RowHidden`, which names the row: the request's door (a middleware for
pages, the API's 404 handler) writes it to the audit log as "access.refused". This module sits on
the ground floor, so it decides and never records.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext

from onboarding.core.roles import STAFF_ROLES

M = TypeVar("M", bound=type[models.Model])


class RowHidden(Http404):
    """A 404 for a row that exists but that the user may not see: a refusal worth recording."""

    def __init__(self, message: str, *, object_type: str, object_id: str | int) -> None:
        super().__init__(message)
        self.object_type = object_type
        self.object_id = object_id


@dataclass(frozen=True)
class AccessRule:
    owner_path: str | None  # lookup from the row to the owning User; None: staff-only rows
    staff_roles: frozenset[str]


_RULES: dict[type[models.Model], AccessRule] = {}


def access_rule(
    *, owner: str | None, staff: frozenset[str] | set[str] = frozenset()
) -> Callable[[M], M]:
    """Class decorator: `@access_rule(owner="recipient", staff={Role.SYSOPS, Role.ADMIN})`.

    `owner` must follow forward foreign keys only (checked by `manage.py check`), so filtering by
    it never duplicates rows.
    """
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        raise ImproperlyConfigured("access_rule(owner=...) must be a lookup path or None")
    staff_roles = frozenset(staff)
    if not staff_roles <= STAFF_ROLES:
        # A customer role here would let every customer see every row: refuse at import time.
        wrong = sorted(staff_roles - STAFF_ROLES)
        raise ImproperlyConfigured(f"access_rule(staff=...) takes staff roles only, not {wrong}")

    def register(model: M) -> M:
        _RULES[model] = AccessRule(owner_path=owner, staff_roles=staff_roles)
        return model

    return register


def rule_for(model: type[models.Model]) -> AccessRule | None:
    rule = _RULES.get(model)
    if rule is None and model._meta.proxy:
        rule = _RULES.get(model._meta.concrete_model)
    return rule


def registered_rules() -> dict[type[models.Model], AccessRule]:
    return dict(_RULES)


def user_has_totp(user) -> bool:
    """True when `user` has an authenticator app (TOTP) set up: staff need one to act as staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def _active(user) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
    )


def sees_every_row(user, rule: AccessRule) -> bool:
    return _active(user) and user.role in rule.staff_roles and user_has_totp(user)


def visible_to(user, queryset: models.QuerySet) -> models.QuerySet:
    """The rows of `queryset` that `user` may see; none at all unless a rule says otherwise."""
    rule = rule_for(queryset.model)
    if rule is None or not _active(user):
        return queryset.none()
    if sees_every_row(user, rule):
        return queryset
    if rule.owner_path is not None:
        return queryset.filter(**{rule.owner_path: user})
    return queryset.none()


def is_visible_to(user, obj: models.Model) -> bool:
    """The same rule for a row already in hand (e.g. one reached through a relation)."""
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def _as_queryset(source) -> models.QuerySet:
    if isinstance(source, models.QuerySet):
        return source
    if isinstance(source, models.Manager):
        return source.all()
    if isinstance(source, type) and issubclass(source, models.Model):
        return source._default_manager.all()
    raise TypeError(f"expected a model, manager or queryset, not {source!r}")


def get_visible_or_404(user, queryset_or_model, **lookup) -> models.Model:
    """The one row matching `lookup` that `user` may see, else Http404 (RowHidden if it exists).

    Works the same in a page view (Django renders 404.html) and in a django-ninja handler
    (config/api.py turns Http404 into a 404 JSON answer). A malformed lookup value ("abc" for an
    integer id) is a 404 too, never a 500.
    """
    queryset = _as_queryset(queryset_or_model)
    not_found = Http404(
        gettext("No %(thing)s matches the given query.")
        % {"thing": queryset.model._meta.verbose_name}
    )

    try:
        return visible_to(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        pass
    except (ValueError, TypeError, OverflowError, ValidationError):
        # OverflowError: an id past 2**63 that SQLite's driver cannot even bind.
        raise not_found from None
    hidden_pk = queryset.filter(**lookup).values_list("pk", flat=True).first()
    if hidden_pk is not None:
        raise RowHidden(
            str(not_found), object_type=queryset.model._meta.label_lower, object_id=hidden_pk
        )
    raise not_found


def owner_path_problem(model: type[models.Model], path: str) -> str | None:
    """Why `path` is not a chain of forward foreign keys from `model` to the user model, or None."""
    current = model
    for name in path.split("__"):
        try:
            field = current._meta.get_field(name)
        except FieldDoesNotExist:
            return f"{current._meta.label} has no field {name!r}"
        if not (field.many_to_one or field.one_to_one) or field.auto_created:
            return f"{current._meta.label}.{name} is not a forward foreign key"
        current = field.related_model
    if current._meta.label != settings.AUTH_USER_MODEL:
        return f"{path!r} ends at {current._meta.label}, not at the user model"
    return None
