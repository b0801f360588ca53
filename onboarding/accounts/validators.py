import functools
import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError


class RepetitivePasswordValidator:
    """Refuse passwords made of one repeated character or a short repeated run ("abcabcabc...").

    No composition rules (NIST 800-63B); this catches the guessable shapes that the common-password
    list misses because they are long.
    """

    def validate(self, password: str, user=None) -> None:
        if not password:
            return
        for size in range(1, 5):
            unit = password[:size]
            if (
                len(password) >= size * 3
                and unit * (len(password) // size) == password[: size * (len(password) // size)]
                and len(set(password)) <= size
            ):
                raise ValidationError(
                    "This password is a repeated pattern and too easy to guess.",
                    code="password_repetitive",
                )

    def get_help_text(self) -> str:
        return "Your password cannot be one short pattern repeated."


_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_WALKS = (
    "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "1qaz2wsx3edc4rfv5tgb6yhn",
)


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(CommonPasswordValidator().passwords)


def _core_words(password: str) -> set[str]:
    """The password as a guesser would try it: lower case, leet undone, digits/symbols trimmed."""
    lowered = password.lower()
    letters_only = re.sub(r"[^a-z]", "", lowered.translate(_LEET))
    trimmed = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    digits_only = re.sub(r"\D", "", lowered)
    words = {w for w in (lowered, letters_only, trimmed, trimmed.translate(_LEET)) if w}
    if len(digits_only) >= 6:  # "1234567890ab": a common number with a few letters added
        words.add(digits_only)
    return words


def _is_walk(password: str) -> bool:
    text = re.sub(r"[\W_]", "", password.lower())
    if len(text) < 8:
        return False
    return any(text in walk or text in walk[::-1] for walk in _WALKS)


class BreachedLookingPasswordValidator:
    """Refuse passwords shaped like the ones in breach lists: a common password dressed up with
    capitals, leetspeak, digits or symbols ("P@ssw0rd2024!!"), the same word twice, or a keyboard
    walk ("qwertyuiopas"). Length is what makes a password strong; these shapes are guessed first.
    """

    def validate(self, password: str, user=None) -> None:
        if not password:
            return
        common = _common_passwords()
        words = _core_words(password)
        half = len(password) // 2
        doubled = password[:half].lower() == password[half : half * 2].lower()
        if (
            any(word in common for word in words)
            or _is_walk(password)
            or (doubled and _core_words(password[:half]) & common)
        ):
            raise ValidationError(
                "This password looks like one from a list of breached passwords. "
                "Choose a longer phrase of your own.",
                code="password_breached_looking",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be a common password with a few changes."
