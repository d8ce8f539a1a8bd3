"""Erasure: asked for by the person or an admin, cancellable during the grace period, then
carried out by the periodic task. Afterwards no row of the institution's schema holds the
person's username, e-mail address or name (a scan of every column of every table), no blob
only they referenced is left, and what they wrote to others shows "Former member"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from tenant_apps.account.erasure import erasures_due
from tenant_apps.account.models import ErasureRequest
from tenant_apps.account.services import terms_accept, terms_publish
from tenant_apps.activity.fanout import fan_out_pending
from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.services import blob_collect_garbage
from tenant_apps.blobs.storage import blob_key, blob_storage
from tenant_apps.content.models import ContentItem
from tenant_apps.people.models import User
from tests.conftest import PASSWORD
from tests.tenant_apps.account.conftest import make_person, populate, signed_in

pytestmark = pytest.mark.django_db

OWN = b"Only Quintessa ever uploaded these bytes: a draft chapter.\n" * 40
SHARED = b"Both Quintessa and Alice uploaded these lecture notes.\n" * 30
USERNAME, EMAIL, NAME = "qv-erasable", "quintessa.v@erasure.example", "Quintessa Vandermolen"


def _mentions(schema: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column of every table of ``schema`` whose text
    form contains a needle (case-insensitive): the catalog-wide scan."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t "
            "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE' "
            "ORDER BY 1, 2",
            [schema],
        )
        columns = cursor.fetchall()
        assert len(columns) > 100  # every app's tables are there
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" '  # noqa: S608 - catalog names
                    f'WHERE "{column}"::text ILIKE %s',
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, needle))
    return found


def _needles() -> list[str]:
    # The name's words too: search vectors keep words, not the whole name.
    return [USERNAME, EMAIL, NAME, "quintessa", "vandermolen"]


def _due_now(person: User) -> None:
    ErasureRequest.objects.filter(user=person, status="scheduled").update(
        due=timezone.now() - timedelta(seconds=1)
    )


def test_an_erased_person_leaves_no_name_no_address_and_no_blob_of_their_own(world):
    q = make_person(world, USERNAME, NAME, email=EMAIL, is_admin=True)
    made = populate(world, q, own_bytes=OWN, shared_bytes=SHARED)
    with tenant_context(world.tenant_a):
        # As an admin she wrote in the audit trail; her activities fanned out to others.
        version = terms_publish(actor=q, text="Be kind.")
        terms_accept(actor=world.alice, number=version.number)
        fan_out_pending()
        picture = q.picture_sha256
        own_sha = made["own"].current_version.blob.sha256
        shared_sha = made["copy"].current_version.blob.sha256
    schema = world.tenant_a.schema_name
    assert {n for _t, _c, n in _mentions(schema, _needles())} == set(_needles())  # it finds them

    client = signed_in(world, q)
    asked = client.post("/api/v1/me/erasure")
    assert asked.status_code == 201
    due = asked.json()["due"]
    assert timezone.now() + timedelta(days=13) < timezone.datetime.fromisoformat(due)
    assert client.post("/api/v1/me/erasure").status_code == 400  # already asked
    with tenant_context(world.tenant_a):
        assert erasures_due() == 0  # not before the grace period ends
        _due_now(q)
        assert erasures_due() == 1

    leftovers = _mentions(schema, _needles())
    assert leftovers == [], leftovers
    with tenant_context(world.tenant_a):
        q.refresh_from_db()
        assert (q.username, q.email, q.display_name) == (q.public_id, "", "Former member")
        assert not q.is_active and not q.has_usable_password()
        assert not ContentItem.objects.filter(pk__in=[made["own"].pk, made["copy"].pk]).exists()
        # The folder only she managed, her follows and her second-factor devices are gone.
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tenant_apps.connections.models import Follow
        from tenant_apps.folders.models import Folder

        assert not Folder.objects.filter(pk=made["folder"].pk).exists()
        assert not Follow.objects.filter(follower=q).exists()
        assert not TOTPDevice.objects.filter(user=q).exists()
        assert not StaticDevice.objects.filter(user=q).exists()
        # Blobs only she referenced: unreferenced now, and the collector removes them.
        assert blob_collect_garbage(tenant=world.tenant_a, grace=timedelta(0)) >= 2
        assert not Blob.objects.filter(sha256__in=[own_sha, picture]).exists()
        assert not blob_storage().exists(blob_key(world.tenant_a.uuid, own_sha))
        assert not blob_storage().exists(blob_key(world.tenant_a.uuid, picture))
        # Bytes Alice uploaded too stay hers.
        assert Blob.objects.get(sha256=shared_sha).refs == 1
        assert blob_storage().exists(blob_key(world.tenant_a.uuid, shared_sha))
        from tenant_apps.institution.models import AdminAction

        assert AdminAction.objects.filter(actor=q).first().actor_label == q.public_id
        assert AdminAction.objects.filter(verb="person.erased", target=q.public_id).exists()

    # Her sessions ended; she cannot sign in again.
    assert client.get("/api/v1/me").status_code in (401, 403)
    signin = Client(HTTP_HOST=world.host_a).post(
        "/api/v1/auth/token",
        {"username": USERNAME, "password": PASSWORD},
        content_type="application/json",
    )
    assert signin.status_code == 401
    # What she wrote to others stays, as by a "Former member".
    alice = signed_in(world, world.alice)
    comments = alice.get(f"/api/v1/content/{made['alices'].public_id}/comments/").json()
    assert [c["author"]["display_name"] for c in comments["results"]] == ["Former member"]
    messages = alice.get(f"/api/v1/messages/{made['thread'].public_id}/messages/").json()
    senders = [m["sender"]["display_name"] for m in messages["results"]]
    assert "Former member" in senders and "Alice Archer" in senders
    replies = alice.get(f"/api/v1/discussions/{made['topic'].public_id}/replies/").json()
    assert [r["author"]["display_name"] for r in replies["results"]] == ["Former member"]
    # Her profile is gone from the directory and her page.
    assert alice.get(f"/api/v1/people/{q.public_id}").status_code == 404


def test_content_nobody_else_manages_goes_to_the_named_owner_under_that_policy(world, bearer):
    rae = make_person(world, "rae", "Rae Rowe")
    made = populate(world, rae, own_bytes=OWN, shared_bytes=SHARED)
    admin = Client(HTTP_HOST=world.host_a, **bearer(world.admin_a))
    refused = admin.patch(
        "/api/v1/admin/privacy", {"content_policy": "handover"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "content_owner" in refused.json()["errors"]
    changed = admin.patch(
        "/api/v1/admin/privacy",
        {
            "content_policy": "handover",
            "content_owner": world.admin_a.public_id,
            "erasure_grace_days": 3,
        },
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json() == {
        "erasure_grace_days": 3,
        "content_policy": "handover",
        "content_owner": world.admin_a.public_id,
    }
    asked = admin.post(f"/api/v1/admin/people/{rae.public_id}/erasure")
    assert asked.status_code == 201
    due = timezone.datetime.fromisoformat(asked.json()["due"])
    assert timezone.now() + timedelta(days=2) < due < timezone.now() + timedelta(days=4)
    with tenant_context(world.tenant_a):
        _due_now(rae)
        assert erasures_due() == 1
        own = ContentItem.objects.get(pk=made["own"].pk)
        assert own.created_by_id == world.admin_a.pk
        from tenant_apps.folders.models import FolderShare

        assert FolderShare.objects.filter(
            folder=made["folder"], user=world.admin_a, role="manager"
        ).exists()
        from tenant_apps.content.permissions import can_manage

        assert can_manage(world.admin_a, own)
        from tenant_apps.groups.models import GroupMembership

        assert GroupMembership.objects.filter(
            group=made["mine"], user=world.admin_a, role="manager"
        ).exists()
    admin_page = signed_in(world, world.admin_a)
    download = admin_page.get(f"/api/v1/content/{made['own'].public_id}/download")
    assert download.status_code == 200 and b"".join(download.streaming_content) == OWN


def test_an_erasure_can_be_cancelled_by_the_person_or_an_admin(world, bearer):
    sam = make_person(world, "sam", "Sam Sato")
    client = signed_in(world, sam)
    assert client.get("/api/v1/me/erasure").status_code == 404
    page = client.post("/account/erasure")
    assert page.status_code == 302
    assert b"will be erased on" in client.get("/account/").content
    assert client.get("/api/v1/me/erasure").json()["status"] == "scheduled"
    assert client.delete("/api/v1/me/erasure").json()["status"] == "cancelled"
    assert client.delete("/api/v1/me/erasure").status_code == 400

    admin = Client(HTTP_HOST=world.host_a, **bearer(world.admin_a))
    path = f"/api/v1/admin/people/{sam.public_id}/erasure"
    assert admin.post(path).status_code == 201
    assert admin.get(path).json()["status"] == "scheduled"
    assert admin.delete(path).json()["status"] == "cancelled"
    with tenant_context(world.tenant_a):
        ErasureRequest.objects.filter(user=sam).update(due=timezone.now() - timedelta(days=1))
        assert erasures_due() == 0
        sam.refresh_from_db()
        assert sam.is_active and sam.username == "sam"


def test_other_people_and_other_institutions_cannot_erase_anyone(world, bearer):
    tom = make_person(world, "tom", "Tom Tull")
    path = f"/api/v1/admin/people/{tom.public_id}/erasure"
    assert Client(HTTP_HOST=world.host_a, **bearer(world.bob)).post(path).status_code == 403
    beta_admin = make_person(world, "beta-boss", "Bo Boss", tenant=world.tenant_b, is_admin=True)
    other = Client(HTTP_HOST=world.host_b, **bearer(beta_admin, world.tenant_b))
    for method in ("get", "post", "delete"):
        response = getattr(other, method)(path)
        assert response.status_code == 404
        assert "Tom" not in response.content.decode()
    assert other.get(f"/manage/people/{tom.public_id}/privacy").status_code in (302, 404)
    with schema_context(world.tenant_a.schema_name):
        assert not ErasureRequest.objects.filter(user=tom).exists()


def test_the_last_admin_cannot_be_erased(world):
    client = signed_in(world, world.admin_a)
    refused = client.post("/api/v1/me/erasure")
    assert refused.status_code == 400
    assert "last admin" in refused.content.decode()


def test_the_periodic_task_carries_out_due_erasures_in_every_institution(world):
    from tenant_apps.account.tasks import sweep

    uma = make_person(world, "uma", "Uma Udall")
    vic = make_person(world, "vic", "Vic Vale", tenant=world.tenant_b)
    signed_in(world, uma).post("/api/v1/me/erasure")
    signed_in(world, vic, world.tenant_b).post("/api/v1/me/erasure")
    for tenant, person in ((world.tenant_a, uma), (world.tenant_b, vic)):
        with schema_context(tenant.schema_name):
            _due_now(person)
    done = sweep()
    assert done[world.tenant_a.slug]["erased"] == 1
    assert done[world.tenant_b.slug]["erased"] == 1
    with schema_context(world.tenant_b.schema_name):
        assert User.objects.get(pk=vic.pk).display_name == "Former member"
