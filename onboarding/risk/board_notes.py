"""Notes that apps above this one add to the risk board's rows (acceptance: the next action a
contract's yellow or red review is due by, acceptance/selectors.py).

This app sits below them and cannot read their tables, so each registers a reader in its
AppConfig.ready(): given the rows about to be shown, it answers with a piece of HTML (rendered
from its own template, so escaped) for the rows it has something to say about, in one read for
the whole list. The board page and its live stream call `board_notes_attach` once per list.
"""

from collections.abc import Callable

from onboarding.risk.models import RiskEvent

# events -> {event pk: html}
BoardNoteReader = Callable[[list[RiskEvent]], dict[int, str]]

_readers: list[BoardNoteReader] = []


def register_board_note_reader(reader: BoardNoteReader) -> None:
    if reader not in _readers:
        _readers.append(reader)


def board_notes_attach(events: list[RiskEvent]) -> list[RiskEvent]:
    """Set `board_notes` (a list of HTML pieces, maybe empty) on each event; returns them."""
    notes: dict[int, list[str]] = {event.pk: [] for event in events}
    if events:
        for reader in _readers:
            for pk, html in reader(events).items():
                notes.setdefault(pk, []).append(html)
    for event in events:
        event.board_notes = notes[event.pk]
    return events
