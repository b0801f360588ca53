"""Mail the embedded backend wrote in full to its drop folder (MAIL_DROP_DIR), read the way the
SMTP test server's mail is read (tests/smtp.py): the place a test finds a working link when no
EMAIL_URL is set, since staff copies have their links withheld."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

from tests.smtp import ReceivedMail


@dataclass
class MailDrop:
    folder: Path

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []

    def messages(self) -> list[ReceivedMail]:
        found = []
        for path in self.files():
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            headers = [str(message.get(name, "")) for name in ("To", "Cc")]
            recipients = [address for _, address in getaddresses(headers) if address]
            found.append(ReceivedMail(str(message.get("From", "")), recipients, message))
        return found

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages() if address in m.recipients]
