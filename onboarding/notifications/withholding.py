"""Which emails carry a secret, and how the staff copy of one keeps it out.

An email that signs someone in, resets a password or verifies an address carries a working link or
code: whoever reads it can act as the recipient. In SMTP mode the relay files a copy of every email
for staff (/staff/mail/); for these kinds the copy keeps the wording but withholds every link and
every code, while the email that leaves by SMTP carries them.

The kinds are named, not guessed from the text: allauth's mail is filed as
"account.<template name>" where accounts/signup.py prerenders it into a notification, and a test
(tests/notifications/test_smtp_copy.py) checks every allauth template that renders a link or code
is listed here.
"""

import re
from urllib.parse import urlsplit

SECRET_MAIL_KINDS = frozenset(
    {
        "account.email_confirmation",  # the verification link (or code)
        "account.email_confirmation_signup",
        "account.password_reset_key",  # the password reset link
        "account.password_reset_code",
        "account.login_code",
    }
)

LINK_WITHHELD = "[link withheld: secret]"
CODE_WITHHELD = "[code withheld: secret]"

_URL = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"']+""")
# allauth sets a code on a line (text) or paragraph (HTML) of its own: letters and digits, maybe
# in dashed groups. Only such a token counts, so ordinary words on their own line stay.
_CODE_PATTERN = r"[A-Za-z0-9]{3,}(?:-[A-Za-z0-9]{2,})*"
_CODE_LINE = re.compile(rf"(?m)^([ \t]*)({_CODE_PATTERN})([ \t]*)$")
_CODE_ELEMENT = re.compile(rf"(>\s*)({_CODE_PATTERN})(\s*<)")


def carries_secret(kind: str) -> bool:
    return kind in SECRET_MAIL_KINDS


def _looks_like_code(token: str) -> bool:
    letters_and_digits = token.replace("-", "")
    if len(letters_and_digits) < 4:
        return False
    return any(c.isdigit() for c in letters_and_digits) or letters_and_digits.isupper()


def _code_withheld(match: re.Match) -> str:
    before, token, after = match.groups()
    return f"{before}{CODE_WITHHELD if _looks_like_code(token) else token}{after}"


def _link_withheld(match: re.Match) -> str:
    url = match.group(0)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    # A bare site address (the signature's) has no path, query or fragment to carry a token.
    if parts.path in ("", "/") and not parts.query and not parts.fragment:
        return url
    return LINK_WITHHELD


def secrets_withhold(body: str) -> str:
    """The body (text or HTML) with every link that could carry a token, and every code,
    replaced by a marker."""
    if not body:
        return body
    body = _URL.sub(_link_withheld, body)
    body = _CODE_LINE.sub(_code_withheld, body)
    return _CODE_ELEMENT.sub(_code_withheld, body)
