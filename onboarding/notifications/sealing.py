"""The sealed copy of a secret-bearing email: what the relay sends, unreadable to anyone else.

A notification is rendered when it is queued and sent later by the relay, so the working link of
a password reset or verification email must be kept somewhere until the mail server accepts it.
It is kept encrypted (Fernet: AES with an HMAC) under a key derived from SECRET_KEY, in a column
no page, API or admin view shows, and erased once the email is accepted. The readable columns
hold the email with its links and codes withheld.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

_PURPOSE = "onboarding.notifications.sealed-mail"


class SealBroken(Exception):
    """The sealed copy cannot be opened: SECRET_KEY changed (its links would not work either)."""


def _fernet_for(secret: str) -> Fernet:
    digest = salted_hmac(_PURPOSE, "fernet-key", secret=secret, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def bodies_seal(*, text: str, html: str) -> str:
    """The text and HTML bodies, encrypted into one ASCII token."""
    plain = json.dumps({"text": text, "html": html}).encode()
    return _fernet().encrypt(plain).decode("ascii")


def bodies_unseal(sealed: str) -> tuple[str, str]:
    """(text, html) from a token made by bodies_seal."""
    try:
        bodies = json.loads(_fernet().decrypt(sealed.encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise SealBroken("the sealed email cannot be opened with this SECRET_KEY") from exc
    return bodies["text"], bodies["html"]
