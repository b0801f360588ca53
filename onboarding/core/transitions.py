"""State machines: a table of allowed moves per model, checked here, refused with one error.

Each machine keeps its table beside its model (`CONTRACT_MOVES`, `INVOICE_MOVES`, ...): every
state maps to the states it may move to, and anything the table does not list is refused with
IllegalTransition, worded the same way for every machine.

The refusal is a sentence in the reader's language (the active one where it is raised), with
the states' own labels: one sentence per kind of object, since German and French give the
object a gender ("Ein Vertrag", "Une facture"). English is exactly what it always was.
"""

import functools
from collections.abc import Collection, Mapping

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from onboarding.core.errors import Conflict

Moves = Mapping[str, Collection[str]]


class IllegalTransition(Conflict):
    """The object's current state does not allow the move asked for."""


# By the `what` each machine passes; the states are filled in as the reader's labels.
MOVE_REFUSED: dict[str, Promise] = {
    "alert": gettext_lazy("An alert that is {now} cannot become {target}."),
    "contract": gettext_lazy("A contract that is {now} cannot become {target}."),
    "credit note": gettext_lazy("A credit note that is {now} cannot become {target}."),
    "invoice": gettext_lazy("An invoice that is {now} cannot become {target}."),
    "payment": gettext_lazy("A payment that is {now} cannot become {target}."),
    "request": gettext_lazy("A request that is {now} cannot become {target}."),
    "review": gettext_lazy("A review that is {now} cannot become {target}."),
    "service credit": gettext_lazy("A service credit that is {now} cannot become {target}."),
    "subscription": gettext_lazy("A subscription that is {now} cannot become {target}."),
}


# A target no state of the machine is named by (a value no form offers, sent through the API),
# one sentence per kind as above; `value` is the target as Python writes it ('lost').
NOT_A_STATUS: dict[str, Promise] = {
    "alert": gettext_lazy("{value} is not an alert status."),
    "contract": gettext_lazy("{value} is not a contract status."),
    "credit note": gettext_lazy("{value} is not a credit note status."),
    "invoice": gettext_lazy("{value} is not an invoice status."),
    "payment": gettext_lazy("{value} is not a payment status."),
    "request": gettext_lazy("{value} is not a request status."),
    "review": gettext_lazy("{value} is not a review status."),
    "service credit": gettext_lazy("{value} is not a service credit status."),
    "subscription": gettext_lazy("{value} is not a subscription status."),
}


def state_in_sentence(label: object) -> str:
    """A state's label as it sits in the sentence: lower case in English ("is cancelled"), as
    written elsewhere, where the translation quotes it (German capitalises nouns)."""
    text = str(label)
    return text.lower() if (translation.get_language() or "en").startswith("en") else text


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
        unknown = NOT_A_STATUS.get(what)
        if unknown is None:  # a machine without its own sentence yet: English, as before
            raise IllegalTransition(f"{target!r} is not a {what} status.", field=field)
        raise IllegalTransition(str(unknown).format(value=repr(target)), field=field)
    if not move_allowed(moves, current, target):
        # A row in a state the choices no longer name (an old or hand-edited row) is still
        # refused as an illegal move, named by its stored value.
        now = state_in_sentence(states(current).label) if current in values else str(current)
        later = state_in_sentence(states(target).label)
        sentence = MOVE_REFUSED.get(what)
        if sentence is None:  # a machine without its own sentence yet: English, as before
            article = "An" if what[:1].lower() in "aeiou" else "A"
            message = f"{article} {what} that is {now} cannot become {later}."
        else:
            message = str(sentence).format(now=now, target=later)
        raise IllegalTransition(message, field=field)
