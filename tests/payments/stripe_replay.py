"""Replays recorded Stripe HTTP exchanges: Stripe's servers cannot be reached from here.

Each exchange file holds the requests the adapter is expected to send (method, path, the form
fields that matter, the Idempotency-Key header) and the responses Stripe answers with, in the
shapes of Stripe's API reference. The replaying client checks every request against the record,
so the adapter's real requests are what is tested; only the network is replaced.
"""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import stripe
from stripe._http_client import HTTPClient

EXCHANGES = Path(__file__).parent / "stripe_exchanges"


class ReplayingHTTPClient(HTTPClient):
    name = "replay"

    def __init__(self, exchange_file: str):
        super().__init__()
        self.exchanges = json.loads((EXCHANGES / exchange_file).read_text())
        self.position = 0
        self.sent: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if self.position >= len(self.exchanges):
            raise AssertionError(f"unexpected request {method.upper()} {url}")
        expected = self.exchanges[self.position]
        self.position += 1
        parsed = urlparse(url)
        form = {k: v[0] for k, v in parse_qs(post_data or parsed.query or "").items()}
        self.sent.append({"method": method, "path": parsed.path, "form": form, "headers": headers})
        request = expected["request"]
        assert method.upper() == request["method"], (method, request)
        assert parsed.path == request["path"], (parsed.path, request)
        for field, value in request.get("form", {}).items():
            assert form.get(field) == value, (
                f"{field}: sent {form.get(field)!r}, recorded {value!r}"
            )
        if "idempotency_key" in request:
            assert headers.get("Idempotency-Key") == request["idempotency_key"]
        if expected["response"].get("connection_error"):
            raise stripe.APIConnectionError("recorded connection failure")
        response = expected["response"]
        return json.dumps(response["body"]), response["status"], {"request-id": "req_replay"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError

    def close(self):
        pass

    def all_used(self) -> bool:
        return self.position == len(self.exchanges)


def replaying_client(exchange_file: str) -> tuple[stripe.StripeClient, ReplayingHTTPClient]:
    http = ReplayingHTTPClient(exchange_file)
    client = stripe.StripeClient("sk_test_replay", http_client=http, max_network_retries=0)
    return client, http
