"""Document pages: the no-JavaScript form (409 with both versions on a stale base), the
revision list, comparison and restore, and the editor page."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.authoring.models import Revision
from tenant_apps.content.services import content_create_document
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(world):
    with schema_context(world.tenant_a.schema_name):
        return content_create_document(actor=world.alice, title="Lab report", body="<p>Draft</p>")


def test_the_form_writes_a_revision_and_a_stale_base_answers_409_with_both(
    client_a, world, document
):
    sign_in(client_a, world.alice, world.tenant_a)
    url = f"/content/{document.public_id}/write"
    page = client_a.get(url)
    assert page.status_code == 200
    base = page.context["form"].initial["base"]
    assert base.startswith("r_")
    saved = client_a.post(url, {"body": "<p>Second<script>x()</script></p>", "base": base})
    assert saved.status_code == 302
    stale = client_a.post(url, {"body": "<p>Mine</p>", "base": base})
    assert stale.status_code == 409
    text = stale.content.decode()
    assert 'id="conflict"' in text and "<p>Second</p>" in text and "&lt;p&gt;Mine" in text
    assert "<script>x()" not in text
    with schema_context(world.tenant_a.schema_name):
        assert Revision.objects.filter(item=document).count() == 2


def test_revisions_page_compare_and_restore(client_a, world, document):
    sign_in(client_a, world.alice, world.tenant_a)
    client_a.get(f"/content/{document.public_id}/revisions/")
    with schema_context(world.tenant_a.schema_name):
        first = Revision.objects.get(item=document, number=1)
    client_a.post(
        f"/content/{document.public_id}/write", {"body": "<p>Final</p>", "base": first.public_id}
    )
    listing = client_a.get(f"/content/{document.public_id}/revisions/")
    assert listing.status_code == 200 and "Alice Archer" in listing.content.decode()
    with schema_context(world.tenant_a.schema_name):
        second = Revision.objects.get(item=document, number=2)
    compare = client_a.get(
        f"/content/{document.public_id}/revisions/compare?from={first.public_id}&to={second.public_id}"
    )
    assert "<del>Draft</del>" in compare.content.decode()
    assert "<ins>Final</ins>" in compare.content.decode()
    restored = client_a.post(f"/content/{document.public_id}/revisions/{first.public_id}/restore")
    assert restored.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        document.refresh_from_db()
        assert document.body_html == "<p>Draft</p>"
        assert Revision.objects.get(item=document, number=3).restored_from_id == first.pk


def test_the_editor_page_loads_its_bundle_and_is_read_only_for_viewers(client_a, world, document):
    from tenant_apps.content.services import content_share

    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get(f"/content/{document.public_id}/editor").status_code == 404
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=document, principals=[world.bob], role="viewer")
    page = client_a.get(f"/content/{document.public_id}/editor")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-rights="view"' in text and "frontend/editor.js" in text
    assert client_a.get(f"/content/{document.public_id}/write").status_code == 404


def test_the_editor_offers_the_authors_own_images_by_reference(client_a, world, document):
    from tenant_apps.content.services import content_upload_file
    from tests.tenant_apps.content.conftest import png_bytes, upload_file

    with schema_context(world.tenant_a.schema_name):
        image = content_upload_file(
            actor=world.alice, source=upload_file(png_bytes(), "figure.png"), filename="figure.png"
        )
        theirs = content_upload_file(
            actor=world.bob, source=upload_file(png_bytes(), "private.png"), filename="private.png"
        )
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get(f"/content/{document.public_id}/editor")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'value="{image.public_id}"' in text and 'data-rights="edit"' in text
    assert theirs.public_id not in text  # not hers to see


def test_the_revisions_page_costs_a_fixed_number_of_queries(
    client_a, world, document, django_assert_max_num_queries
):
    from tenant_apps.authoring import services

    sign_in(client_a, world.alice, world.tenant_a)
    url = f"/content/{document.public_id}/revisions/"
    client_a.get(url)
    with schema_context(world.tenant_a.schema_name):
        for n in range(60):
            latest = Revision.objects.filter(item=document).order_by("-number").first()
            services.revision_write(
                actor=world.alice, item=document, html=f"<p>v{n}</p>", base=latest.public_id
            )
    with django_assert_max_num_queries(16):
        page = client_a.get(url)
    assert page.status_code == 200 and page.content.decode().count("data-revision=") == 50
    assert "?after=" in page.content.decode()
