import contextlib
import functools
import re
import threading

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.no import mva as no_mva
from zxcvbn import zxcvbn


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
                    gettext("This password is a repeated pattern and too easy to guess."),
                    code="password_repetitive",
                )

    def get_help_text(self) -> str:
        return gettext("Your password cannot be one short pattern repeated.")


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
                gettext(
                    "This password looks like one from a list of breached passwords. "
                    "Choose a longer phrase of your own."
                ),
                code="password_breached_looking",
            )

    def get_help_text(self) -> str:
        return gettext("Your password cannot be a common password with a few changes.")


# zxcvbn refuses longer input (its matching grows fast with length): a longer password is judged
# by its first 72 characters.
ESTIMATE_MAX_LENGTH = 72
_NO_ADVICE = gettext_lazy("Add another word or two. Uncommon words are better.")
# zxcvbn's advice is English (its own gettext has no catalogues for our languages): each string it
# writes (zxcvbn/feedback.py) maps to ours, translated; English keeps zxcvbn's words exactly.
ZXCVBN_ADVICE = frozenset(
    (
        gettext_noop("Use a few words, avoid common phrases."),
        gettext_noop("No need for symbols, digits, or uppercase letters."),
        gettext_noop("Add another word or two. Uncommon words are better."),
        gettext_noop("Straight rows of keys are easy to guess."),
        gettext_noop("Short keyboard patterns are easy to guess."),
        gettext_noop("Use a longer keyboard pattern with more turns."),
        gettext_noop('Repeats like "aaa" are easy to guess.'),
        gettext_noop('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
        gettext_noop("Avoid repeated words and characters."),
        gettext_noop('Sequences like "abc" or "6543" are easy to guess.'),
        gettext_noop("Avoid sequences."),
        gettext_noop("Recent years are easy to guess."),
        gettext_noop("Avoid recent years."),
        gettext_noop("Avoid years that are associated with you."),
        gettext_noop("Dates are often easy to guess."),
        gettext_noop("Avoid dates and years that are associated with you."),
        gettext_noop("This is a top-10 common password."),
        gettext_noop("This is a top-100 common password."),
        gettext_noop("This is a very common password."),
        gettext_noop("This is similar to a commonly used password."),
        gettext_noop("A word by itself is easy to guess."),
        gettext_noop("Names and surnames by themselves are easy to guess."),
        gettext_noop("Common names and surnames are easy to guess."),
        gettext_noop("Capitalization doesn't help very much."),
        gettext_noop("All-uppercase is almost as easy to guess as all-lowercase."),
        gettext_noop("Reversed words aren't much harder to guess."),
        gettext_noop("Predictable substitutions like '@' instead of 'a' don't help very much."),
    )
)
# zxcvbn puts each call's user inputs into a module-global dictionary before matching: two threads
# estimating at once would judge one user's password against the other user's details.
_ESTIMATE_LOCK = threading.Lock()


def _user_inputs(user) -> list[str]:
    """What a guesser who knows this person and this product tries first: the product's name,
    the user's email address, names and company: whole, in parts (an address's local part and
    domain), word by word and run together. zxcvbn charges each extra piece of a password
    heavily, so "Ada.Lovelace!" is only found guessable when "ada.lovelace" is one of these."""
    values = [settings.SITE_NAME]
    if user is not None:
        values += [getattr(user, name, "") or "" for name in ("email", "first_name", "last_name")]
        if user.pk is not None:
            with contextlib.suppress(ObjectDoesNotExist):  # staff have no customer record
                values.append(user.customer.company)
    inputs: set[str] = set()
    for value in filter(None, values):
        value = value.lower()
        words = [w for w in re.split(r"[\W_]+", value) if w]
        inputs.update([value, *re.split(r"[\s@]+", value), "".join(words), *words])
    return sorted(w for w in inputs if len(w) >= 3)


class GuessablePasswordValidator:
    """Refuse passwords that zxcvbn (Dropbox's strength estimator, as crackers guess: common
    passwords, words, names, dates, sequences, repeats, keyboard walks, leetspeak) scores below
    `min_score` (0-4; 3 means "safely unguessable": about 10^8 guesses or more), counting the
    user's own details and the product's name as known to the guesser. The refusal passes on the
    estimator's advice.
    """

    def __init__(self, min_score: int = 3) -> None:
        self.min_score = min_score

    def validate(self, password: str, user=None) -> None:
        if not password:
            return
        user_inputs = _user_inputs(user)
        with _ESTIMATE_LOCK:
            estimate = zxcvbn(password[:ESTIMATE_MAX_LENGTH], user_inputs=user_inputs)
        if estimate["score"] >= self.min_score:
            return
        feedback = estimate["feedback"]
        advice = " ".join(
            gettext(text) if text in ZXCVBN_ADVICE else text
            for text in filter(None, [feedback["warning"], *feedback["suggestions"]])
        )
        if get_language() != "en" and any(
            text and text not in ZXCVBN_ADVICE
            for text in [feedback["warning"], *feedback["suggestions"]]
        ):
            advice = ""  # zxcvbn said something not in our table: our own advice, translated
        raise ValidationError(
            gettext("This password is too easy to guess. %(advice)s"),
            code="password_too_guessable",
            params={"advice": advice or _NO_ADVICE},
        )

    def get_help_text(self) -> str:
        return gettext(
            "Your password must be hard to guess: a few uncommon words of your own work well."
        )


# VAT numbers: the country prefix, then that country's format (the EU's VIES formats, Northern
# Ireland's XI, and the UK, Switzerland and Norway). Formats only: no check digits, so a number
# of the right shape may still be unknown to the tax office.
VAT_NUMBER_FORMATS = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-HJ-NP-Z]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"[1-9]\d{1,9}",
    "SE": r"\d{10}01",
    "SI": r"[1-9]\d{7}",
    "SK": r"[1-9]\d{9}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?",
    "NO": r"\d{9}(?:MVA)?",
}
# One number of each prefix's shape, as the refusal shows it.
VAT_NUMBER_EXAMPLES = {
    "AT": "ATU12345678",
    "BE": "BE0123456789",
    "BG": "BG123456789",
    "CY": "CY12345678L",
    "CZ": "CZ12345678",
    "DE": "DE123456789",
    "DK": "DK12345678",
    "EE": "EE123456789",
    "EL": "EL123456789",
    "ES": "ESA12345678",
    "FI": "FI12345678",
    "FR": "FR12345678901",
    "HR": "HR12345678901",
    "HU": "HU12345678",
    "IE": "IE1234567T",
    "IT": "IT12345678901",
    "LT": "LT123456789",
    "LU": "LU12345678",
    "LV": "LV12345678901",
    "MT": "MT12345678",
    "NL": "NL123456789B01",
    "PL": "PL1234567890",
    "PT": "PT123456789",
    "RO": "RO12345678",
    "SE": "SE123456789001",
    "SI": "SI12345678",
    "SK": "SK1234567890",
    "XI": "XI123456789",
    "GB": "GB123456789",
    "CH": "CHE123456789",
    "NO": "NO123456789MVA",
}
_VAT_PATTERNS = {
    prefix: re.compile(rf"(?:{pattern})", re.ASCII)
    for prefix, pattern in VAT_NUMBER_FORMATS.items()
}
_VAT_SEPARATORS = re.compile(r"[\s.\-/]")


def vat_number_normalize(value: str) -> str:
    """The number as tax offices print it: upper case, without spaces, dots, dashes or slashes
    ("de 123.456.789" -> "DE123456789")."""
    return _VAT_SEPARATORS.sub("", value or "").upper()


def validate_vat_number(value: str) -> None:
    number = vat_number_normalize(value)
    if not number:
        return
    prefix, rest = number[:2], number[2:]
    pattern = _VAT_PATTERNS.get(prefix)
    if pattern is None:
        if prefix == "GR":
            raise ValidationError(
                gettext("Greek VAT numbers start with EL, not GR."), code="vat_number_prefix"
            )
        if not (prefix.isascii() and prefix.isalpha()):
            raise ValidationError(
                gettext("Start with the two-letter country prefix, like DE123456789 for Germany."),
                code="vat_number_prefix",
            )
        raise ValidationError(
            gettext(
                "%(prefix)s is not a country prefix of VAT numbers we know. Start with the "
                "country's prefix, like DE123456789 (Germany), FR12345678901 (France) or "
                "GB123456789 (United Kingdom)."
            ),
            code="vat_number_prefix",
            params={"prefix": prefix},
        )
    if not pattern.fullmatch(rest):
        raise ValidationError(
            gettext("This is not a valid %(prefix)s VAT number: one looks like %(example)s."),
            code="vat_number_format",
            params={"prefix": prefix, "example": VAT_NUMBER_EXAMPLES[prefix]},
        )
    if not _VAT_CHECKERS.get(prefix, eu_vat).is_valid(number):
        raise ValidationError(
            gettext(
                "The check digits of this %(prefix)s VAT number do not match: please check it "
                "for a typo against your VAT registration."
            ),
            code="vat_number_checksum",
            params={"prefix": prefix},
        )


# The check-digit algorithms (python-stdnum); every other known prefix is an EU one.
_VAT_CHECKERS = {"GB": gb_vat, "CH": ch_vat, "NO": no_mva}


# Postal codes: each country's format, as its post office prints it, checked against the code
# normalised by postal_code_normalize (upper case, single spaces). A separator that people often
# leave out ("SW1A1AA", "1012AB", "00950") is optional. Formats only: a code of the right shape
# may still not exist. A country not listed here (or one without postal codes) only has its code
# kept short enough to print on an invoice's city line.
POSTAL_CODE_MAX_LENGTH = 12
_UK_POSTCODE = r"(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})"
_CA_POSTAL_CODE = r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d"
_EIRCODE = r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}"
# country: (pattern, what its code is, an example)
POSTAL_CODE_FORMATS: dict[str, tuple[str, Promise, str]] = {
    "AT": (r"\d{4}", gettext_lazy("An Austrian postal code has 4 digits"), "1010"),
    "BE": (r"\d{4}", gettext_lazy("A Belgian postal code has 4 digits"), "1000"),
    "BG": (r"\d{4}", gettext_lazy("A Bulgarian postal code has 4 digits"), "1000"),
    "CY": (r"\d{4}", gettext_lazy("A Cypriot postal code has 4 digits"), "1010"),
    "CZ": (r"\d{3} ?\d{2}", gettext_lazy("A Czech postal code has 5 digits"), "110 00"),
    "DE": (r"\d{5}", gettext_lazy("A German postal code has 5 digits"), "10115"),
    "DK": (r"\d{4}", gettext_lazy("A Danish postal code has 4 digits"), "1050"),
    "EE": (r"\d{5}", gettext_lazy("An Estonian postal code has 5 digits"), "10111"),
    "ES": (
        r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}",
        gettext_lazy("A Spanish postal code has 5 digits"),
        "28001",
    ),
    "FI": (r"\d{5}", gettext_lazy("A Finnish postal code has 5 digits"), "00100"),
    "FR": (r"\d{5}", gettext_lazy("A French postal code has 5 digits"), "75001"),
    "GR": (r"\d{3} ?\d{2}", gettext_lazy("A Greek postal code has 5 digits"), "105 57"),
    "HR": (r"\d{5}", gettext_lazy("A Croatian postal code has 5 digits"), "10000"),
    "HU": (r"\d{4}", gettext_lazy("A Hungarian postal code has 4 digits"), "1051"),
    "IE": (_EIRCODE, gettext_lazy("An Irish Eircode has 7 letters and digits"), "D02 X285"),
    "IT": (r"\d{5}", gettext_lazy("An Italian postal code has 5 digits"), "00118"),
    "LT": (r"(?:LT-?)?\d{5}", gettext_lazy("A Lithuanian postal code has 5 digits"), "LT-01100"),
    "LU": (r"(?:L-?)?\d{4}", gettext_lazy("A Luxembourg postal code has 4 digits"), "L-1111"),
    "LV": (r"(?:LV-?)?\d{4}", gettext_lazy("A Latvian postal code has 4 digits"), "LV-1050"),
    "MT": (
        r"[A-Z]{3} ?\d{4}",
        gettext_lazy("A Maltese postal code has 3 letters and 4 digits"),
        "VLT 1117",
    ),
    "NL": (
        r"[1-9]\d{3} ?[A-Z]{2}",
        gettext_lazy("A Dutch postal code has 4 digits and 2 letters"),
        "1012 AB",
    ),
    "PL": (r"\d{2}-?\d{3}", gettext_lazy("A Polish postal code has 5 digits"), "00-950"),
    "PT": (r"\d{4}-?\d{3}", gettext_lazy("A Portuguese postal code has 7 digits"), "1000-001"),
    "RO": (r"\d{6}", gettext_lazy("A Romanian postal code has 6 digits"), "010011"),
    "SE": (r"\d{3} ?\d{2}", gettext_lazy("A Swedish postal code has 5 digits"), "114 55"),
    "SI": (r"(?:SI-?)?\d{4}", gettext_lazy("A Slovenian postal code has 4 digits"), "1000"),
    "SK": (r"\d{3} ?\d{2}", gettext_lazy("A Slovak postal code has 5 digits"), "811 01"),
    "GB": (
        _UK_POSTCODE,
        gettext_lazy("A UK postcode has 2 parts of letters and digits"),
        "SW1A 1AA",
    ),
    "CH": (r"\d{4}", gettext_lazy("A Swiss postal code has 4 digits"), "8001"),
    "NO": (r"\d{4}", gettext_lazy("A Norwegian postal code has 4 digits"), "0150"),
    "US": (r"\d{5}(?:-\d{4})?", gettext_lazy("A US ZIP code has 5 digits (or 5+4)"), "20500"),
    "CA": (
        _CA_POSTAL_CODE,
        gettext_lazy("A Canadian postal code has 6 letters and digits"),
        "K1A 0B1",
    ),
    "AU": (r"\d{4}", gettext_lazy("An Australian postcode has 4 digits"), "2000"),
}
_POSTAL_CODE_PATTERNS = {
    country: re.compile(pattern, re.ASCII)
    for country, (pattern, _, _) in POSTAL_CODE_FORMATS.items()
}


def postal_code_normalize(value: str) -> str:
    """The code as post offices print it: upper case, trimmed, one space where there were
    several (" sw1a   1aa" -> "SW1A 1AA")."""
    return " ".join((value or "").split()).upper()


def validate_postal_code(value: str, country: str) -> None:
    """Refuse a postal code that is not in `country`'s format (ISO 3166-1 alpha-2), naming the
    format; for a country without a known format, one longer than any country's."""
    code = postal_code_normalize(value)
    if not code:
        return
    country = str(country or "").upper()
    pattern = _POSTAL_CODE_PATTERNS.get(country)
    if pattern is None:
        if len(code) > POSTAL_CODE_MAX_LENGTH:
            raise ValidationError(
                gettext("A postal code has at most %(limit)d characters."),
                code="postal_code_length",
                params={"limit": POSTAL_CODE_MAX_LENGTH},
            )
        return
    if not pattern.fullmatch(code):
        what, example = POSTAL_CODE_FORMATS[country][1:]
        raise ValidationError(
            gettext("%(what)s, like %(example)s."),
            code="postal_code_format",
            params={"what": what, "example": example},
        )
