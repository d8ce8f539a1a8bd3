"""Per-process caches (config.localcache) across real processes: two gunicorns of the product,
each with its own memory, serve the same institution; a write in this process reaches both
through the Redis channel."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.people.caches import token_changed
from tenant_apps.people.models import AccessToken
from tenant_apps.people.services import token_create, token_hash, token_revoke, user_create
from tests.conftest import eventually

pytestmark = pytest.mark.usefixtures("committed")


@pytest.fixture
def two_processes(faults, tmp_path) -> Iterator[list]:
    from tests.deploy.conftest import start_gunicorn, stop

    servers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(start_gunicorn(tmp_path / name))
        yield servers
    finally:
        for server in servers:
            stop(server.process)


def _status(server, host: str, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/me",
        headers={"Host": host, "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _everywhere(servers, host: str, token: str, status: int, timeout: float = 5.0) -> bool:
    return eventually(
        lambda: all(_status(server, host, token) == status for server in servers), timeout, 0.02
    )


def _person(faults):
    with schema_context(faults.tenant.schema_name):
        person = user_create(username=f"proc-{uuid.uuid4().hex[:8]}", display_name="Proc")
        token, raw = token_create(user=person, name="processes")
    return person, token, raw


def test_each_process_keeps_the_token_and_forgets_it_when_told(faults, two_processes):
    _person_row, token, raw = _person(faults)
    for server in two_processes:
        assert _status(server, faults.host, raw) == 200  # each process caches token and user
    with schema_context(faults.tenant.schema_name):
        # Revoked behind the caches' back (no signal): both processes still answer from memory.
        AccessToken.objects.filter(pk=token.pk).update(revoked=timezone.now())
    assert all(_status(server, faults.host, raw) == 200 for server in two_processes)
    with schema_context(faults.tenant.schema_name):
        token_changed(token_hash(raw))  # what every write of a token sends
    assert _everywhere(two_processes, faults.host, raw, 401)


def test_a_revoked_token_and_a_deactivated_person_stop_in_every_process(faults, two_processes):
    _person_row, token, raw = _person(faults)
    person, _other, other_raw = _person(faults)
    for server in two_processes:
        assert _status(server, faults.host, raw) == 200
        assert _status(server, faults.host, other_raw) == 200

    with schema_context(faults.tenant.schema_name):
        token_revoke(token=AccessToken.objects.get(pk=token.pk))
    assert _everywhere(two_processes, faults.host, raw, 401)

    with schema_context(faults.tenant.schema_name):
        person.is_active = False
        person.save(update_fields=["is_active"])
    assert _everywhere(two_processes, faults.host, other_raw, 401)
    with schema_context(faults.tenant.schema_name):
        person.is_active = True
        person.save(update_fields=["is_active"])
    assert _everywhere(two_processes, faults.host, other_raw, 200)


def _badge(server, host: str, cookie: str) -> int | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/people/", headers={"Host": host, "Cookie": cookie}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode()
    found = re.search(r'id="unread-badge" class="badge" data-count="(\d+)"', page)
    return int(found.group(1)) if found else None


def _badge_everywhere(servers, host: str, cookie: str, count: int, timeout: float = 5.0) -> bool:
    return eventually(
        lambda: all(_badge(server, host, cookie) == count for server in servers), timeout, 0.02
    )


def test_the_unread_badge_follows_new_notifications_and_reading_in_every_process(
    faults, two_processes
):
    from django.conf import settings
    from django.test import Client

    from tenant_apps.activity.fanout import fan_out_pending
    from tenant_apps.activity.services import notifications_mark_read
    from tenant_apps.content.services import content_create_document, content_share

    author, _token, _raw = _person(faults)
    reader, _token, _raw = _person(faults)
    browser = Client(HTTP_HOST=faults.host)
    with schema_context(faults.tenant.schema_name):
        browser.force_login(reader)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    for server in two_processes:
        assert _badge(server, faults.host, cookie) == 0  # each process keeps the count

    for count in (1, 2):
        with schema_context(faults.tenant.schema_name):
            doc = content_create_document(actor=author, title=f"For the reader {count}")
            content_share(actor=author, item=doc, principals=[reader], role="viewer")
            fan_out_pending()  # the worker's fan-out: notifies, forgets the counts
        assert _badge_everywhere(two_processes, faults.host, cookie, count)

    with schema_context(faults.tenant.schema_name):
        notifications_mark_read(actor=reader)
    assert _badge_everywhere(two_processes, faults.host, cookie, 0)
