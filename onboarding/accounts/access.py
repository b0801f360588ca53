"""Object-level access: who may see which rows, decided here and nowhere else.

Every model that a page or the API hands to a user declares its rule with @access_rule:
the path from the row to the customer's user who owns it, and the staff roles that see every
row. Views and API handlers fetch through `visible_to` / `get_visible_or_404`, so a model with no
rule, an anonymous user, or a customer asking for someone else's row gets nothing (a 404, never
a 403 that would confirm the row exists). Refusals are audited by the callers' error handlers.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.http import Http404

from onboarding.accounts.roles import Role


@dataclass(frozen=True)
class AccessRule:
    owner_path: str | None  # lookup from the row to the owning User; None: staff-only rows
    staff_roles: frozenset[str]


_RULES: dict[type[models.Model], AccessRule] = {}


def access_rule(
    *, owner: str | None, staff: frozenset[str] | set[str] = frozenset()
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator: `@access_rule(owner="recipient", staff={Role.SYSOPS, Role.ADMIN})`."""

    def register(model: type[models.Model]) -> type[models.Model]:
        _RULES[model] = AccessRule(owner_path=owner, staff_roles=frozenset(staff))
        return model

    return register


def rule_for(model: type[models.Model]) -> AccessRule | None:
    return _RULES.get(model)


def visible_to(user, queryset: models.QuerySet) -> models.QuerySet:
    """The rows of `queryset` that `user` may see; none at all unless a rule says otherwise."""
    rule = rule_for(queryset.model)
    if rule is None or user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.role in rule.staff_roles:
        return queryset
    if user.role == Role.CUSTOMER and rule.owner_path is not None:
        return queryset.filter(**{rule.owner_path: user})
    return queryset.none()


def get_visible_or_404(user, queryset_or_model, **lookup) -> models.Model:
    queryset = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    try:
        return visible_to(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from exc
