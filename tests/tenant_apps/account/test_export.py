"""Personal data export: asked for by the person (or an admin for them), built in the
background with progress, mailed as a signed link that expires and serves that person only."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from tenant_apps.account.exports import export_build
from tenant_apps.account.models import DataExport
from tests.tenant_apps.account.conftest import make_person, populate, signed_in

pytestmark = pytest.mark.django_db

OWN = b"Chapter one: on the photosynthesis of reading lists.\n" * 50
SHARED = b"Shared lecture notes, uploaded by two people.\n" * 20


def _download(client: Client, link: str):
    path = link.split("//", 1)[1].split("/", 1)[1]
    return client.get("/" + path)


def _build(world, export_id: str) -> DataExport:
    with tenant_context(world.tenant_a):
        export = DataExport.objects.get(public_id=export_id)
        export_build(export_id=export.pk)
        export.refresh_from_db()
    return export


def test_a_person_gets_an_archive_of_everything_about_them_by_a_link_for_them_only(
    world, smtp_server, django_capture_on_commit_callbacks
):
    ivy = make_person(world, "ivy", "Ivy Ingram")
    made = populate(world, ivy, own_bytes=OWN, shared_bytes=SHARED)
    client = signed_in(world, ivy)

    asked = client.post("/api/v1/me/export")
    assert asked.status_code == 202
    body = asked.json()
    assert body["status"] == "pending" and body["progress"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        export = _build(world, body["id"])
    assert (export.status, export.progress) == ("ready", 100)
    listed = client.get("/api/v1/me/export").json()["results"]
    assert listed[0]["id"] == body["id"] and listed[0]["status"] == "ready"

    assert smtp_server.recipients == [["ivy@example.edu"]]
    mail = smtp_server.messages[0].get_payload(decode=True).decode()
    link = re.search(r"(http://\S+/download\?sig=\S+)", mail).group(1)
    assert link == listed[0]["download"]

    response = _download(client, link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    profile = json.loads(archive.read("profile.json"))
    assert profile["username"] == "ivy" and profile["email"] == "ivy@example.edu"
    assert "profile-picture.png" in names
    content = {item["title"]: item for item in json.loads(archive.read("content.json"))}
    assert set(content) == {"My thesis", "Notes"}
    assert archive.read(content["My thesis"]["versions"][0]["file"]) == OWN
    assert archive.read(content["Notes"]["versions"][0]["file"]) == SHARED
    comments = json.loads(archive.read("comments.json"))
    assert [c["id"] for c in comments] == [made["comment"].public_id]
    (thread,) = json.loads(archive.read("messages.json"))
    assert [m["body"] for m in thread["messages"]] == ["See you Monday?", "Yes, at nine."]
    assert [m["sent_by_me"] for m in thread["messages"]] == [True, False]
    assert thread["messages"][1]["from"]["display_name"] == "Alice Archer"
    discussions = json.loads(archive.read("discussions.json"))
    assert [t["id"] for t in discussions["topics"]] == [made["own_topic"].public_id]
    assert [r["body"] for r in discussions["replies"]] == ["<p>Count me in.</p>"]
    memberships = {m["title"]: m["role"] for m in json.loads(archive.read("memberships.json"))}
    assert memberships == {"Reading circle": "manager", "Alice's lab": "member"}
    (folder,) = json.loads(archive.read("folders.json"))
    assert (folder["id"], folder["role"]) == (made["folder"].public_id, "manager")
    following = json.loads(archive.read("following.json"))
    assert [f["id"] for f in following["following"]] == [world.alice.public_id]
    (connection,) = json.loads(archive.read("connections.json"))
    assert connection["with"]["id"] == world.bob.public_id
    # Other people appear by id and name only, never by username or address.
    everything = b"".join(archive.read(n) for n in names if n.endswith(".json")).decode()
    assert "alice@example.edu" not in everything and '"alice"' not in everything

    # The link serves Ivy only: not Bob, not anonymous visitors, not Charlie's host.
    assert _download(signed_in(world, world.bob), link).status_code == 404
    assert _download(Client(HTTP_HOST=world.host_a), link).status_code == 302  # sign in first
    charlie = signed_in(world, world.charlie, world.tenant_b)
    assert _download(charlie, link).status_code == 404
    assert _download(client, link.replace("sig=", "sig=x")).status_code == 404
    other_id = link.replace(body["id"], "x_aaaaaaaaaaaaaaaa")
    assert _download(client, other_id).status_code == 404
    # Past its time the link answers nothing, and the sweep deletes the archive.
    with tenant_context(world.tenant_a):
        DataExport.objects.filter(pk=export.pk).update(
            expires=timezone.now() - timedelta(seconds=1)
        )
    assert _download(client, link).status_code == 404
    with tenant_context(world.tenant_a):
        from tenant_apps.account.exports import exports_expire

        assert exports_expire() == 1
        assert DataExport.objects.get(pk=export.pk).status == "expired"


def test_the_page_shows_progress_and_asks_again(world):
    jon = make_person(world, "jon", "Jon Jay")
    client = signed_in(world, jon)
    assert client.post("/account/export").status_code == 302
    with schema_context(world.tenant_a.schema_name):
        DataExport.objects.filter(user=jon).update(status="running", progress=40)
    page = client.get("/account/")
    assert b'<progress value="40"' in page.content
    assert b'http-equiv="refresh"' in page.content  # the page follows the progress


def test_admins_run_an_export_for_a_person_and_only_the_person_gets_it(
    world, smtp_server, django_capture_on_commit_callbacks, bearer
):
    kim = make_person(world, "kim", "Kim Kerr")
    admin = bearer(world.admin_a)
    path = f"/api/v1/admin/people/{kim.public_id}/export"
    # Members may not; Charlie's institution does not know Kim.
    assert Client(HTTP_HOST=world.host_a).post(path, **bearer(world.bob)).status_code == 403
    charlie_admin = make_person(
        world, "beta-admin", "Bea Admin", tenant=world.tenant_b, is_admin=True
    )
    response = Client(HTTP_HOST=world.host_b).post(path, **bearer(charlie_admin, world.tenant_b))
    assert response.status_code == 404
    assert "Kim" not in response.content.decode()

    asked = Client(HTTP_HOST=world.host_a).post(path, **admin)
    assert asked.status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        _build(world, asked.json()["id"])
    assert smtp_server.recipients == [["kim@example.edu"]]  # the person, not the admin
    link = re.search(
        r"(http://\S+/download\?sig=\S+)", smtp_server.messages[0].get_payload(decode=True).decode()
    ).group(1)
    assert _download(signed_in(world, world.admin_a), link).status_code == 404
    assert _download(signed_in(world, kim), link).status_code == 200
    # The admin's page does the same, recorded in the audit trail.
    page = signed_in(world, world.admin_a)
    assert page.get(f"/manage/people/{kim.public_id}/privacy").status_code == 200
    assert (
        page.post(f"/manage/people/{kim.public_id}/privacy", {"action": "export"}).status_code
        == 302
    )
    with schema_context(world.tenant_a.schema_name):
        from tenant_apps.institution.models import AdminAction

        assert (
            AdminAction.objects.filter(verb="person.export_requested", target=kim.public_id).count()
            == 2
        )
    assert (
        signed_in(world, world.bob).get(f"/manage/people/{kim.public_id}/privacy").status_code
        == 403
    )


def test_a_person_may_ask_a_few_times_a_day(world):
    lee = make_person(world, "lee", "Lee Lo")
    client = signed_in(world, lee)
    for _ in range(5):
        assert client.post("/api/v1/me/export").status_code == 202
    refused = client.post("/api/v1/me/export")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
