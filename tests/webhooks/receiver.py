"""A real HTTP receiver on loopback, in a thread, that verifies each request's signatures with the
standardwebhooks library, as an integrator would. Tests tell it how to answer next (a status, or
hang past the sender's read timeout) and wait on what it received, never on a clock."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.exceptions import WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    payload: dict
    verified_by: list[str]  # the receiver's secrets that verify this request

    @property
    def event_type(self) -> str:
        return self.payload["type"]


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    # per request: a status, "hang", or a callable run while the sender waits (returns the
    # status); then 200
    answers: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None
    port: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks?source=onboarding"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "hang":
                    receiver.release.wait(10)
                    answer = 200
                elif callable(answer):
                    answer = answer()
                verified = []
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified.append(secret)
                    except WebhookVerificationError:
                        pass
                with receiver._changed:
                    receiver.received.append(
                        Received(
                            webhook_id=headers.get("webhook-id", ""),
                            headers=headers,
                            body=body,
                            payload=json.loads(body),
                            verified_by=verified,
                        )
                    )
                    receiver._changed.notify_all()
                try:
                    self.send_response(answer)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(f"answer {answer} ".encode() * 1000)  # past 4 KiB
                except OSError:
                    pass  # the sender gave up (timeout) and closed

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout)
        assert len(self.received) >= count, f"received {len(self.received)}, wanted {count}"
        return list(self.received)

    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified_by]
