"""Export and import: an identical institution comes back; damaged archives change nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from shared_apps.audit.services import Actor
from tenant_apps.account.erasure import erasure_request
from tenant_apps.account.exports import export_request
from tenant_apps.account.services import privacy_settings_update, terms_accept, terms_publish
from tenant_apps.content.models import ContentItem
from tenant_apps.content.services import content_upload_file
from tenant_apps.people.models import User
from tenant_apps.people.services import token_create, user_create
from tenants.archive import ArchiveError, tenant_export, tenant_import
from tenants.models import Tenant, TenantUsage
from tenants.services import tenant_add_domain, tenant_create, tenant_update
from tenants.storage import s3_client, storage_list_prefix, storage_upload, tenant_prefix

# No `db` transaction here: pg_dump reads through its own connection, so the
# institution must really be committed. The `source` fixture commits it, keeps the
# database unblocked for the test, and purges whatever the test imported.
CLI = Actor(kind="cli", name="tester")
LECTURE = b"Photosynthesis, lecture one.\n" * 100


def _tables(schema: str) -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        tables = [row[0] for row in cursor.fetchall()]
        contents = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY 1')  # noqa: S608
            contents[table] = cursor.fetchall()
    return contents


def _blob_hashes(tenant: Tenant) -> dict[str, str]:
    prefix = tenant_prefix(tenant.uuid)
    hashes = {}
    for obj in storage_list_prefix(prefix):
        body = s3_client().get_object(Bucket=_bucket(), Key=obj["Key"])["Body"].read()
        hashes[obj["Key"][len(prefix) :]] = hashlib.sha256(body).hexdigest()
    return hashes


def _bucket() -> str:
    from django.conf import settings

    return settings.S3_BUCKET


@pytest.fixture
def source(django_db_setup, django_db_blocker):
    """A committed institution with people, a token, quotas, a domain and blobs.

    Committed because pg_dump reads from its own connection.
    """
    with django_db_blocker.unblock():
        tenant = tenant_create(slug="export-me", name="Export University")
        with tenant_context(tenant):
            alice = user_create(
                username="alice",
                email="alice@export.example",
                password="a long passphrase",
                display_name="Alice 'Tab'\tNewline\n",
            )
            token_create(user=alice, name="laptop")
            user_create(username="bob", display_name="Bob")
            # The account app's tables: terms and their acceptance, the erasure policy, an
            # export and a scheduled erasure.
            ada = user_create(username="ada", display_name="Ada", is_admin=True)
            terms_publish(actor=ada, text="Be kind.\nCite your sources.")
            terms_accept(actor=alice, number=1)
            privacy_settings_update(actor=ada, erasure_grace_days=30)
            export_request(actor=ada, person=alice)
            erasure_request(actor=alice, person=alice)
            # A content item: its blob is written under the prefix through the blob store.
            content_upload_file(
                actor=alice, source=io.BytesIO(LECTURE), filename="lecture.txt", title="Lecture"
            )
        tenant_update(tenant=tenant, actor=CLI, quota_people=100)
        tenant_add_domain(tenant=tenant, hostname="learn.export.example", actor=CLI)
        prefix = tenant_prefix(tenant.uuid)
        storage_upload(prefix + "blobs/" + "a" * 64, io.BytesIO(b"lecture one" * 1000))
        storage_upload(prefix + "blobs/" + "b" * 64, io.BytesIO(b"\x00\x01binary"))
        tenant.refresh_from_db()
        yield tenant
        connection.set_schema_to_public()
        from tenants.services import tenant_delete, tenant_purge

        for leftover in Tenant.objects.filter(slug__in=["export-me", "copy-of-export"]):
            tenant_delete(tenant=leftover, actor=CLI)
            tenant_purge(tenant=leftover, actor=CLI, force=True)


@pytest.fixture
def archive_path(source, tmp_path):
    path = tmp_path / "export.tar.gz"
    tenant_export(tenant=source, path=path, actor=CLI)
    return path


def test_a_round_trip_recreates_every_row_and_every_blob(source, archive_path):
    lines: list[str] = []
    copy = tenant_import(path=archive_path, slug="copy-of-export", actor=CLI, progress=lines.append)
    assert copy.name == "Export University"
    assert copy.quota_people == 100
    assert copy.uuid != source.uuid  # the original still exists: the copy has its own prefix
    assert _tables(copy.schema_name) == _tables(source.schema_name)
    copied = _tables(copy.schema_name)
    for table in (
        "account_termsversion",
        "account_termsacceptance",
        "account_privacysettings",
        "account_dataexport",
        "account_erasurerequest",
    ):
        assert copied[table], f"{table} came back empty"
    assert _blob_hashes(copy) == _blob_hashes(source)
    assert len(_blob_hashes(copy)) == 3  # two placed directly, one through the blob store
    assert TenantUsage.objects.get(tenant=copy).people == 3
    # The custom domain belongs to the original, so the copy does not take it.
    assert list(copy.domains.values_list("domain", flat=True)) == ["copy-of-export.localhost"]
    assert any("learn.export.example is in use elsewhere" in line for line in lines)
    assert any(line.startswith("imported as copy-of-export") for line in lines)


def test_content_survives_a_round_trip(source, archive_path):
    from django.test import Client

    copy = tenant_import(path=archive_path, slug="copy-of-export", actor=CLI)
    client = Client(HTTP_HOST="copy-of-export.localhost")
    with tenant_context(copy):
        item = ContentItem.objects.get(title="Lecture")
        client.force_login(User.objects.get(username="alice"))
    connection.set_schema_to_public()
    response = client.get(f"/api/v1/content/{item.public_id}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == LECTURE


def test_the_archive_has_a_manifest_with_checksums(archive_path):
    with tarfile.open(archive_path, "r:gz") as archive:
        names = archive.getnames()
        manifest = json.loads(archive.extractfile("manifest.json").read())
        schema_sql = archive.extractfile("schema.sql").read()
    assert names[0] == "manifest.json"
    assert hashlib.sha256(schema_sql).hexdigest() == manifest["files"]["schema.sql"]["sha256"]
    lecture = "blobs/" + hashlib.sha256(LECTURE).hexdigest()
    assert {blob["key"] for blob in manifest["blobs"]} == {
        "blobs/" + "a" * 64,
        "blobs/" + "b" * 64,
        lecture,
    }


def test_importing_under_the_original_slug_is_refused_while_it_exists(archive_path):
    with pytest.raises(Exception, match="already taken"):
        tenant_import(path=archive_path, actor=CLI)


def _assert_nothing_imported(before_objects: int) -> None:
    assert not Tenant.objects.filter(slug="copy-of-export").exists()
    assert not schema_exists("t_copy_of_export")
    all_objects = sum(1 for _ in storage_list_prefix("tenants/"))
    assert all_objects == before_objects


@pytest.mark.parametrize("damage", ["truncated", "garbage", "tampered", "missing", "not-gzip"])
def test_a_bad_archive_is_refused_and_leaves_nothing(archive_path, tmp_path, damage):
    before = sum(1 for _ in storage_list_prefix("tenants/"))
    data = archive_path.read_bytes()
    bad = tmp_path / f"{damage}.tar.gz"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "garbage":
        bad.write_bytes(b"\x1f\x8b" + b"nonsense" * 100)
    elif damage == "not-gzip":
        bad.write_text("hello")
    else:
        with tarfile.open(archive_path, "r:gz") as archive:
            members = [(m, archive.extractfile(m).read()) for m in archive.getmembers()]
        with tarfile.open(bad, "w:gz") as out:
            for member, body in members:
                if damage == "missing" and member.name.startswith("blobs/"):
                    continue
                if damage == "tampered" and member.name.startswith("blobs/"):
                    body = body[:-1] + b"!"  # one byte changed, same size
                member.size = len(body)
                out.addfile(member, io.BytesIO(body))
    with pytest.raises(ArchiveError):
        tenant_import(path=bad, slug="copy-of-export", actor=CLI)
    _assert_nothing_imported(before)


def test_a_schema_that_fails_to_restore_leaves_no_blobs(archive_path, tmp_path):
    before = sum(1 for _ in storage_list_prefix("tenants/"))
    with tarfile.open(archive_path, "r:gz") as archive:
        members = [(m, archive.extractfile(m).read()) for m in archive.getmembers()]
    manifest = json.loads(members[0][1])
    broken = members[1][1].replace(b"CREATE TABLE", b"CREATE TABLEX", 1)
    manifest["files"]["schema.sql"] = {
        "sha256": hashlib.sha256(broken).hexdigest(),
        "size": len(broken),
    }
    bad = tmp_path / "broken-schema.tar.gz"
    with tarfile.open(bad, "w:gz") as out:
        for member, body in members:
            if member.name == "manifest.json":
                body = json.dumps(manifest).encode()
            elif member.name == "schema.sql":
                body = broken
            member.size = len(body)
            out.addfile(member, io.BytesIO(body))
    with pytest.raises(ArchiveError, match="could not be restored"):
        tenant_import(path=bad, slug="copy-of-export", actor=CLI)
    _assert_nothing_imported(before)


def test_the_commands_report_progress_and_clear_errors(source, tmp_path):
    out = io.StringIO()
    path = tmp_path / "cmd.tar.gz"
    call_command("tenant_export", "export-me", str(path), stdout=out)
    text = out.getvalue()
    assert "dumping schema t_export_me" in text and "blobs: 3/3" in text
    out = io.StringIO()
    call_command("tenant_import", str(path), "--slug", "copy-of-export", stdout=out)
    assert "Imported Export University as copy-of-export" in out.getvalue()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("tenant_import", str(tmp_path / "nope.tar.gz"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="no institution"):
        call_command("tenant_export", "nowhere", str(path), stdout=io.StringIO())
    with gzip.open(path) as handle:
        assert handle.read(10)
