"""Error reports reach Sentry tagged with the tenant's schema and without personal data.

A real sentry-sdk sends real envelopes over HTTP to a small collector on loopback.
"""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.test import Client

from config.sentry import init_sentry
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


class _Collector(BaseHTTPRequestHandler):
    envelopes: list[bytes]

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_collector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    init_sentry(dsn=f"http://publickey@127.0.0.1:{port}/1", environment="test")
    yield server
    sentry_sdk.flush(timeout=5)
    sentry_sdk.init(dsn=None)
    server.shutdown()


def _events(server) -> list[dict]:
    sentry_sdk.flush(timeout=5)
    events = []
    for envelope in server.envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_an_unhandled_error_is_reported_with_the_tenant_tag(settings, sentry_collector, world):
    settings.ROOT_URLCONF = "tests.platform.config.urls_boom"
    client = sign_in(
        Client(HTTP_HOST=world.host_a, raise_request_exception=False), world.alice, world.tenant_a
    )

    response = client.get("/boom", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    assert sentry_sdk.get_client().should_send_default_pii() is False
    events = _events(sentry_collector)
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["tenant"] == world.tenant_a.schema_name
    assert event["exception"]["values"][0]["value"] == "boom for the error-reporting test"
    raw = json.dumps(event)
    # send_default_pii is off: no username, e-mail, cookie or client address.
    for secret in ("alice@example.edu", '"alice"', "sessionid", "203.0.113.9"):
        assert secret not in raw, secret


def test_an_error_on_an_api_path_answers_problem_json(settings, sentry_collector, world):
    settings.ROOT_URLCONF = "tests.platform.config.urls_boom"
    client = Client(HTTP_HOST=world.host_b, raise_request_exception=False)

    response = client.get("/api/v1/boom")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 500
    assert _events(sentry_collector)[0]["tags"]["tenant"] == world.tenant_b.schema_name
