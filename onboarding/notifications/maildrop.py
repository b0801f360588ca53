"""The embedded mode's outgoing mail, whole, for the person running the product on their machine.

With no EMAIL_URL nothing leaves the machine. Each email is written in full as an .eml file in
MAIL_DROP_DIR (var/mail/ by default; any mail program opens one) and, with MAIL_DROP_ECHO, shown
on the terminal of the process that sent it (the relay, under `make run`): one line naming the
file, then the text. These are the only places a verification or password-reset link can be read
in this mode. The echo is written to stdout directly, never through logging, so no log handler
carries it to a log store; staff's copy on /staff/mail/ has such links withheld.
"""

import os
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.message import EmailMessage
from django.utils import timezone


def mail_drop_write(message: EmailMessage) -> Path:
    """Write the email as an .eml file in MAIL_DROP_DIR, readable by its owner only."""
    folder = Path(settings.MAIL_DROP_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path = folder / name
    partial = folder / f".{name}.partial"
    partial.write_bytes(message.message().as_bytes())
    partial.chmod(0o600)
    os.replace(partial, path)  # a reader never sees half a file
    return path


def mail_drop_echo(message: EmailMessage, *, path: Path, text: str) -> None:
    """Show the email on this process's terminal: which file holds it, then its text."""
    if not settings.MAIL_DROP_ECHO:
        return
    recipients = ", ".join(message.recipients())
    sys.stdout.write(
        f"--- email to {recipients}: {message.subject} (saved as {path})\n"
        f"{text.rstrip()}\n--- end of email\n"
    )
    sys.stdout.flush()
