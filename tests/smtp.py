"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests."""

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def attachments(self) -> list[tuple[str, str, bytes]]:
        return [
            (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True))
            for part in self.message.iter_attachments()
        ]


@dataclass
class MailSink:
    """Every message delivered to the server, in arrival order."""

    received: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.received)

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages() if address in m.recipients]


class SmtpServer:
    def __init__(self, port: int):
        self.sink = MailSink()
        self.port = port
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
