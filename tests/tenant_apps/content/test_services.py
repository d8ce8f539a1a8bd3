"""The content library's rules below HTTP: the services and the door, called as the pages,
the API, tasks and commands call them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenant_apps.content import services
from tenant_apps.content.access import access_content
from tenant_apps.content.models import LibrarySettings, ShareRole
from tenant_apps.content.permissions import can_manage, can_view
from tenant_apps.content.services import NotAllowed


@pytest.fixture
def alpha(world, db):
    with schema_context(world.tenant_a.schema_name):
        yield world


def _link(actor, visibility="private", **fields):
    return services.content_add_link(
        actor=actor, url="https://example.org/notes", visibility=visibility, **fields
    )


def test_the_creator_manages_what_they_add(alpha):
    item = _link(alpha.alice, title="Notes")
    assert can_manage(alpha.alice, item)
    assert access_content(alpha.alice, item.public_id, for_write=True) == item


def test_it_hides_private_items_from_peers(alpha):
    item = _link(alpha.alice)
    assert not can_view(alpha.bob, item)
    with pytest.raises(Http404):
        access_content(alpha.bob, item.public_id)


def test_peers_read_loggedin_items_but_may_not_change_them(alpha):
    item = _link(alpha.alice, visibility="loggedin")
    assert access_content(alpha.bob, item.public_id) == item
    with pytest.raises(Http404):
        access_content(alpha.bob, item.public_id, for_write=True)
    with pytest.raises(NotAllowed):
        services.content_update(actor=alpha.bob, item=item, title="Mine now")
    with pytest.raises(NotAllowed):
        services.content_delete(actor=alpha.bob, item=item)


def test_a_refusal_is_not_an_input_error(alpha):
    """Callers that show input errors need not catch refusals first: NotAllowed is a 404."""
    item = _link(alpha.alice, visibility="loggedin")
    with pytest.raises(Http404) as refused:
        services.content_update(actor=alpha.bob, item=item, title="Mine now")
    assert not isinstance(refused.value, ValidationError)


def test_an_unknown_id_and_a_missing_item_look_the_same(alpha):
    with pytest.raises(Http404):
        access_content(alpha.alice, "i_doesnotexist")


def test_links_must_be_public_http_addresses(alpha):
    for url in ("javascript:alert(1)", "http://127.0.0.1/admin", "ftp://example.org/x"):
        with pytest.raises(ValidationError) as refused:
            services.content_add_link(actor=alpha.alice, url=url)
        assert "url" in refused.value.message_dict


def test_documents_are_sanitised(alpha):
    item = services.content_create_document(
        actor=alpha.alice, title="Doc", body='<p onclick="x()">Hi<script>alert(1)</script></p>'
    )
    assert "<script" not in item.body_html and "onclick" not in item.body_html
    assert "Hi" in item.body_html


def test_an_item_never_loses_its_last_manager(alpha):
    item = _link(alpha.alice)
    with pytest.raises(ValidationError):
        services.content_unshare(actor=alpha.alice, item=item, principal=alpha.alice)
    services.content_share(
        actor=alpha.alice, item=item, principals=[alpha.bob], role=ShareRole.MANAGER
    )
    services.content_unshare(actor=alpha.alice, item=item, principal=alpha.alice)
    assert can_manage(alpha.bob, item) and not can_view(alpha.alice, item)


def test_unknown_principals_are_refused_by_name(alpha):
    with pytest.raises(ValidationError) as refused:
        services.principals_by_ids(["u_nobody"], visible_to=alpha.alice)
    assert "u_nobody" in " ".join(refused.value.messages)


def test_comments_need_an_account_and_only_author_or_managers_change_them(alpha):
    from django.contrib.auth.models import AnonymousUser

    item = _link(alpha.alice, visibility="loggedin")
    with pytest.raises(NotAllowed):
        services.comment_create(actor=AnonymousUser(), item=item, body="Hello")
    comment = services.comment_create(actor=alpha.bob, item=item, body="<b>Nice</b><script>")
    assert "<script" not in comment.body_html
    with pytest.raises(NotAllowed):
        services.comment_update(actor=alpha.admin_a, comment=comment, body="Edited by a stranger")
    assert services.comment_update(actor=alpha.alice, comment=comment, body="Tidied").body_html
    services.comment_delete(actor=alpha.bob, comment=comment)


def test_a_reply_belongs_to_its_parents_item(alpha):
    first, second = _link(alpha.alice, visibility="loggedin"), _link(alpha.alice)
    parent = services.comment_create(actor=alpha.alice, item=first, body="Parent")
    with pytest.raises(ValidationError) as refused:
        services.comment_create(actor=alpha.alice, item=second, body="Reply", parent=parent)
    assert "parent" in refused.value.message_dict


def test_only_admins_and_the_platforms_operators_set_the_upload_limit(alpha):
    with pytest.raises(PermissionDenied):
        services.library_settings_update(actor=alpha.alice, max_upload_bytes=10)
    services.library_settings_update(actor=alpha.admin_a, max_upload_bytes=2000)
    assert services.upload_limit() == 2000
    services.library_settings_update(actor=Actor.cli(), max_upload_bytes=None)
    assert LibrarySettings.objects.get().max_upload_bytes is None


def test_an_upload_limit_below_one_byte_is_refused(alpha):
    with pytest.raises(ValidationError) as refused:
        services.library_settings_update(actor=alpha.admin_a, max_upload_bytes=0)
    assert "max_upload_bytes" in refused.value.message_dict


def test_a_file_over_the_limit_is_refused_before_anything_is_stored(alpha):
    services.library_settings_update(actor=alpha.admin_a, max_upload_bytes=1000)
    with pytest.raises(ValidationError) as refused:
        services.upload_precheck(size=1001)
    assert "1,000 bytes" in " ".join(refused.value.messages)
    services.upload_precheck(size=1000)
