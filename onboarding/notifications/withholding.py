"""Which emails carry a secret, and how every copy but the email itself keeps it out.

An email that signs someone in, resets a password or verifies an address carries a working link or
code: whoever reads it can act as the recipient. Only the email that leaves (by SMTP, or in the
embedded mode as a file in MAIL_DROP_DIR and on the sending process's terminal) carries it. Every
copy staff can read keeps the wording but withholds every link and every code: the notification
row (Django admin), an inbox copy, and the SentMail copy on /staff/mail/ and its API.

The kinds are named, not guessed from the text: allauth's mail is filed as
"account.<template name>" where portal/signup.py prerenders it into a notification, and a test
(tests/notifications/test_smtp_copy.py) checks every allauth template that renders a link or code
is listed here. As a second net, mail of any kind that holds a link to one of allauth's key pages
(verification, password reset) is treated the same.
"""

import re
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse

SECRET_MAIL_KINDS = frozenset(
    {
        "account.email_confirmation",  # the verification link (or code)
        "account.email_confirmation_signup",
        "account.password_reset_key",  # the password reset link
        "account.password_reset_code",
        "account.login_code",
    }
)

LINK_WITHHELD = "[link withheld: sent only to the recipient]"
CODE_WITHHELD = "[code withheld: sent only to the recipient]"

# Set on an email built from a secret-bearing notification (channels.email_build), so the mail
# backend's staff copy withholds it too; an attribute, not a header, so it never leaves.
_SECRET_MARK = "onboarding_carries_secret"  # noqa: S105 (an attribute name)

_URL = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"']+""")
# allauth sets a code on a line (text) or paragraph (HTML) of its own: letters and digits, maybe
# in dashed groups. Only such a token counts, so ordinary words on their own line stay.
_CODE_PATTERN = r"[A-Za-z0-9]{3,}(?:-[A-Za-z0-9]{2,})*"
_CODE_LINE = re.compile(rf"(?m)^([ \t]*)({_CODE_PATTERN})([ \t]*)$")
_CODE_ELEMENT = re.compile(rf"(>\s*)({_CODE_PATTERN})(\s*<)")


def _key_page_paths() -> list[str]:
    """The path prefixes of allauth's pages whose URL holds a key."""
    samples = (
        ("account_confirm_email", {"key": "k"}, "k/"),
        ("account_reset_password_from_key", {"uidb36": "u", "key": "k"}, "u-k/"),
    )
    paths = []
    for name, kwargs, tail in samples:
        try:
            paths.append(reverse(name, kwargs=kwargs).removesuffix(tail))
        except NoReverseMatch:
            continue
    return paths


def bodies_carry_key_link(*bodies: str) -> bool:
    """True when a body links to a page whose URL holds a key (verification, password reset)."""
    paths = _key_page_paths()
    return any(path in body for body in bodies if body for path in paths)


def carries_secret(kind: str, *bodies: str) -> bool:
    """True for a secret-bearing kind, or for bodies (text, HTML) that link to a key page."""
    return kind in SECRET_MAIL_KINDS or bodies_carry_key_link(*bodies)


def email_mark_secret(email: EmailMessage) -> None:
    setattr(email, _SECRET_MARK, True)


def email_carries_secret(email: EmailMessage, *bodies: str) -> bool:
    """True for an email marked by email_mark_secret, or whose bodies link to a key page."""
    return bool(getattr(email, _SECRET_MARK, False)) or bodies_carry_key_link(*bodies)


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
