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
