"""In a real browser: Bob's open page shows the unread badge rise and the feed grow when Alice
shares with him - over the live channel within 2 seconds, and by polling without it."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


@pytest.fixture
def alice_api(world, live_server_url, django_db_blocker):
    """Alice's calls to gunicorn's API with a token of hers; her items are deleted after."""
    from tenant_apps.people.services import token_create

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        token = token_create(user=world.alice, name="e2e")[1]
    base = live_server_url.format(host="127.0.0.1")  # the name is in the Host header
    made: list[str] = []

    def call(method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            base + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Host": f"{world.host_a}:{base.rsplit(':', 1)[1]}",
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            data = response.read()
        answer = json.loads(data) if data else {}
        if method == "POST" and path == "/api/v1/content/":
            made.append(answer["id"])
        return answer

    yield call
    for item in made:
        call("DELETE", f"/api/v1/content/{item}")


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def _badge(page) -> int:
    return int(page.locator("#unread-badge").get_attribute("data-count") or 0)


def test_bobs_badge_rises_when_alice_shares_with_him(
    page, world, live_server_url, live_channel, celery_worker, alice_api
):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "bob")
    page.wait_for_selector("html[data-live=connected]", timeout=10000)
    before = _badge(page)
    item = alice_api("POST", "/api/v1/content/", {"kind": "document", "title": "Live notes"})
    started = time.monotonic()
    alice_api(
        "POST", f"/api/v1/content/{item['id']}/shares/", {"principals": [world.bob.public_id]}
    )
    page.wait_for_function(
        f"document.getElementById('unread-badge').dataset.count === '{before + 1}'",
        timeout=2000,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert page.locator("#unread-badge").is_visible()
    page.wait_for_selector("#activity-feed >> text=shared Live notes with you", timeout=2000)
    screenshot(page, "live-badge")
    page.click("#notifications-link")
    assert page.get_by_text("Alice Archer shared Live notes with you").is_visible()


def test_without_a_live_connection_the_page_polls(
    page, world, live_server_url, live_channel, celery_worker, alice_api
):
    page.route_web_socket("**/ws/live", lambda ws: ws.close())
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "bob")
    page.wait_for_selector("html[data-live=polling]", timeout=10000)
    before = _badge(page)
    item = alice_api("POST", "/api/v1/content/", {"kind": "document", "title": "Polled notes"})
    alice_api(
        "POST", f"/api/v1/content/{item['id']}/shares/", {"principals": [world.bob.public_id]}
    )
    page.wait_for_function(
        f"document.getElementById('unread-badge').dataset.count === '{before + 1}'",
        timeout=8000,  # the poll interval is 2 s in these tests (LIVE_POLL_SECONDS)
    )
