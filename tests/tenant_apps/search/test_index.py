"""Keeping the index: the language setting, the rebuild command, extraction limits."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_tenants.utils import schema_context

from tenant_apps.content.extraction import extract_text
from tenant_apps.content.models import ContentItem, ContentVersion, Processing
from tenant_apps.content.services import content_create_document, content_upload_file
from tenant_apps.content.tasks import version_process
from tenant_apps.institution.admin_services import institution_settings_update
from tests.tenant_apps.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_admins_choose_the_search_language_and_the_rebuild_applies_it(
    world, in_a, search_api, client_a, bearer
):
    item = in_a(
        content_create_document, actor=world.alice, title="Running studies", visibility="loggedin"
    )
    # English stems: the phrase "run study" finds "Running studies".
    assert ids(search_api({"q": '"run study"'}, user=world.bob)) == [item.public_id]
    admin = bearer(world.admin_a, world.tenant_a)
    response = client_a.patch(
        "/api/v1/admin/institution",
        {"search_language": "simple"},
        content_type="application/json",
        **admin,
    )
    assert response.status_code == 200, response.content
    assert response.json()["search_language"] == "simple"
    out = io.StringIO()
    call_command("search_rebuild", world.tenant_a.slug, "--batch", "1", stdout=out)
    assert "[content_contentitem]" in out.getvalue() and "Rebuilt" in out.getvalue()
    assert ids(search_api({"q": '"run study"'}, user=world.bob)) == []
    assert ids(search_api({"q": '"running studies"'}, user=world.bob)) == [item.public_id]
    vector = in_a(
        lambda: str(ContentItem.objects.values_list("search_vector", flat=True).get(pk=item.pk))
    )
    assert "'studies'" in vector and "'studi'" not in vector
    # Members cannot change it; a language PostgreSQL does not have is refused.
    bob = bearer(world.bob, world.tenant_a)
    assert (
        client_a.patch(
            "/api/v1/admin/institution",
            {"search_language": "english"},
            content_type="application/json",
            **bob,
        ).status_code
        == 403
    )
    assert (
        client_a.patch(
            "/api/v1/admin/institution",
            {"search_language": "klingon"},
            content_type="application/json",
            **admin,
        ).status_code
        == 400
    )


def test_the_language_is_set_on_the_manage_page(world, in_a, client_a):
    from tests.conftest import sign_in

    sign_in(client_a, world.admin_a, world.tenant_a)
    page = client_a.get("/manage/institution").content.decode()
    assert 'name="search_language"' in page
    in_a(institution_settings_update, actor=world.admin_a, search_language="french")
    page = client_a.get("/manage/institution").content.decode()
    assert '<option value="french" selected>' in page


def test_the_rebuild_command_refuses_an_unknown_institution():
    with pytest.raises(CommandError):
        call_command("search_rebuild", "no-such-place")


def test_files_over_the_size_cap_are_recorded_not_retried(world, search_api):
    with (
        override_settings(CONTENT_EXTRACT_MAX_BYTES=100),
        schema_context(world.tenant_a.schema_name),
    ):
        item = content_upload_file(
            actor=world.alice,
            source=io.BytesIO(b"heliotrope " * 50),
            filename="big.txt",
            visibility="loggedin",
        )
        version_process(version_id=item.current_version_id)
        version = ContentVersion.objects.get(pk=item.current_version_id)
    assert version.text_status == Processing.FAILED
    assert "larger than 100 bytes" in version.processing_error
    assert version.processing_attempts == 1  # counted as it started; never retried
    assert ids(search_api({"q": "heliotrope"}, user=world.bob)) == []


def test_office_and_text_extraction(tmp_path):
    import openpyxl
    import pptx

    book = openpyxl.Workbook()
    book.active.title = "Budget"
    book.active["A1"] = "Telescope"
    path = tmp_path / "book"
    book.save(path)
    from tenant_apps.content.extraction import PPTX, XLSX

    assert "Telescope" in extract_text(str(path), XLSX)
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Spectroscopy"
    slide.notes_slide.notes_text_frame.text = "speaker notes about prisms"
    deck.save(tmp_path / "deck")
    text = extract_text(str(tmp_path / "deck"), PPTX)
    assert "Spectroscopy" in text and "prisms" in text
    (tmp_path / "page").write_bytes(b"<p>caf&eacute; <script>evil()</script>ok</p>")
    assert extract_text(str(tmp_path / "page"), "text/html") == "café ok"
    (tmp_path / "plain").write_bytes(b"\xef\xbb\xbfnul\x00l")
    assert extract_text(str(tmp_path / "plain"), "text/plain") == "null"


def test_new_institutions_from_the_pool_or_a_replay_index_in_their_own_schema():
    from django.db import connection

    from tenant_apps.people.models import User
    from tenant_apps.people.services import user_create
    from tenants.models import SchemaPoolEntry
    from tenants.provisioning import pool_fill
    from tenants.services import tenant_create

    SchemaPoolEntry.objects.all().delete()
    assert pool_fill(size=1) == 1
    pooled = tenant_create(slug="search-pooled", name="Pooled")
    assert not SchemaPoolEntry.objects.exists()
    replayed = tenant_create(slug="search-replayed", name="Replayed")
    for tenant in (pooled, replayed):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND t.tgname LIKE '%%search_trigger'",
                [tenant.schema_name],
            )
            assert cursor.fetchone()[0] == 8  # six, discussions' (issue 20) and folders'
            cursor.execute(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = %s AND p.proname = 'oae_search_config'",
                [tenant.schema_name],
            )
            assert cursor.fetchone()[0] == 1
        with schema_context(tenant.schema_name):
            person = user_create(username="p", display_name="Petra Pooled")
            document = content_create_document(actor=person, title="Fresh schema notes")
            vector = str(User.objects.values_list("search_vector", flat=True).get(pk=person.pk))
            assert "'petra'" in vector
            assert "'fresh'" in str(
                ContentItem.objects.values_list("search_vector", flat=True).get(pk=document.pk)
            )
