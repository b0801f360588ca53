import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection

from onboarding.notifications.relay import relay_drain
from onboarding.notifications.services import notification_send
from tests.maildrop import MailDrop
from tests.services import free_port
from tests.smtp import MailSink, SmtpServer

BASE_DIR = Path(django_settings.BASE_DIR)
GENERIC = "notifications/generic"


def send(recipient, key: str, **overrides):
    """notification_send with the generic template and sensible defaults for a test."""
    fields = {
        "recipient": recipient,
        "kind": "test.notice",
        "subject": f"Notice {key}",
        "template": GENERIC,
        "context": {"body": f"Body of {key}", "greeting": "Hello"},
        "dedupe_key": key,
    }
    fields.update(overrides)
    return notification_send(**fields)


@pytest.fixture
def deliver():
    """Run the relay in this process until nothing is due; returns its figures."""

    def run(**kwargs):
        return relay_drain(worker_id="test-relay", **kwargs)

    return run


@pytest.fixture
def embedded_mail(settings, tmp_path) -> MailDrop:
    """The embedded mail backend (no EMAIL_URL), its drop folder in this test's tmp_path; yields
    the folder's reader: each email whole there, staff's copies (secrets withheld) in SentMail."""
    settings.EMAIL_BACKEND = "onboarding.notifications.mailbox.DatabaseMailboxBackend"
    settings.MAIL_DROP_DIR = tmp_path / "mail"
    return MailDrop(tmp_path / "mail")


@pytest.fixture
def db_mailbox(embedded_mail) -> MailDrop:
    return embedded_mail


class RefusingSink(MailSink):
    """A server that refuses, for good (550), any recipient whose address starts "nobody@"."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class CountingSink(MailSink):
    """Also notes which client connection (peer address) delivered each message."""

    def __init__(self):
        super().__init__()
        self.peers: list[tuple] = []

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(tuple(session.peer))
        return await super().handle_DATA(server, session, envelope)


def smtp_server_with(sink: MailSink, port: int | None = None) -> SmtpServer:
    server = SmtpServer(port or free_port())
    server.sink = sink
    server.controller = Controller(sink, hostname="127.0.0.1", port=server.port)
    return server


def point_email_at(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


def child_database_url() -> str:
    """The URL of the test database this process uses, for a child process to share it."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{db['NAME']}"


class RelayProcess:
    """`manage.py run_relay` as a real child process on the test database."""

    def __init__(self, *, env: dict[str, str], log_path: Path, args: tuple[str, ...] = ()):
        self.log_path = log_path
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_relay", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self, sig: int) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self.log.close()
        return code

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self.log.close()
        return code

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def relay_process(tmp_path):
    """Start relays with `start(email_url=..., **env)`; any still running are killed at the end."""
    started: list[RelayProcess] = []

    def start(*, email_url: str, args: tuple[str, ...] = ("--interval", "0.1"), **extra_env):
        env = {
            **os.environ,
            "DATABASE_URL": child_database_url(),
            "EMAIL_URL": email_url,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **{key: str(value) for key, value in extra_env.items()},
        }
        relay = RelayProcess(env=env, log_path=tmp_path / f"relay-{len(started)}.log", args=args)
        started.append(relay)
        return relay

    yield start
    for relay in started:
        if relay.process.poll() is None:
            relay.process.kill()
            relay.process.wait(timeout=30)
        if not relay.log.closed:
            relay.log.close()
