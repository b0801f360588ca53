"""State machines: a table of allowed moves per model, checked here, refused with one error.

Each machine keeps its table beside its model (`CONTRACT_MOVES`, `INVOICE_MOVES`, ...): every
state maps to the states it may move to, and anything the table does not list is refused with
IllegalTransition, worded the same way for every machine.
"""

import functools
from collections.abc import Collection, Mapping

from django.db import models

from onboarding.core.errors import Conflict

Moves = Mapping[str, Collection[str]]


class IllegalTransition(Conflict):
    """The object's current state does not allow the move asked for."""


def move_allowed(moves: Moves, current: str, target: str) -> bool:
    """Does the table let an object in `current` move to `target`?"""
    return target in moves.get(current, ())


@functools.cache
def _state_values(states: type[models.TextChoices]) -> frozenset[str]:
    # Choices classes are fixed at import; `states.values` builds a new list on every read.
    return frozenset(states.values)


def check_move(
    moves: Moves,
    current: str,
    target: str,
    *,
    what: str,
    states: type[models.TextChoices],
    field: str | None = None,
) -> None:
    """Refuse a move the table does not list: "A contract that is sent cannot become draft."

    `what` names the object as a person reads it ("contract", "credit note"); `states` gives
    the labels; `field`, when the target came from a form field, places the error on it.
    """
    values = _state_values(states)
    if target not in values:
        raise IllegalTransition(f"{target!r} is not a {what} status.", field=field)
    if not move_allowed(moves, current, target):
        article = "An" if what[:1].lower() in "aeiou" else "A"
        # A row in a state the choices no longer name (an old or hand-edited row) is still
        # refused as an illegal move, named by its stored value.
        now = states(current).label.lower() if current in values else str(current)
        raise IllegalTransition(
            f"{article} {what} that is {now} cannot become {states(target).label.lower()}.",
            field=field,
        )
