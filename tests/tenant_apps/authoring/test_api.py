"""Document revisions through the API: optimistic concurrency (409 with both versions),
sanitising, difference, restore, the editor role, and 404 for everyone else."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.activity.models import Activity
from tenant_apps.authoring import services
from tenant_apps.authoring.models import DocumentUpdate, Revision
from tenant_apps.content.models import ContentItem
from tests.tenant_apps.authoring.conftest import edit_update

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p onclick="steal()">Hi <a href="javascript:alert(1)">click</a>'
    '<img src="https://evil.example/pixel.png" onerror="x()">'
    '<img src="/content/c_abc/download" alt="figure"></p><script>alert(1)</script>'
    '<iframe src="https://evil.example"></iframe><h2 style="color:red">Results</h2>'
)


def _json(client, method, url, data, headers):
    return getattr(client, method)(url, data, content_type="application/json", **headers)


def _document(client_a, alice, *, body="<p>First draft</p>", title="Lab report", **fields) -> dict:
    response = _json(
        client_a,
        "post",
        "/api/v1/content/",
        {"kind": "document", "title": title, "body": body, **fields},
        alice,
    )
    assert response.status_code == 201, response.content
    return response.json()


def _share(client_a, alice, item_id, person, role):
    response = _json(
        client_a,
        "post",
        f"/api/v1/content/{item_id}/shares/",
        {"principals": [person.public_id], "role": role},
        alice,
    )
    assert response.status_code == 201, response.content


def _revisions(client, item_id, headers):
    return client.get(f"/api/v1/content/{item_id}/revisions/", **headers)


def test_a_document_starts_with_a_revision_by_its_author(client_a, alice, world):
    doc = _document(client_a, alice)
    listed = _revisions(client_a, doc["id"], alice).json()["results"]
    assert [r["number"] for r in listed] == [1]
    assert listed[0]["authors"] == [{"id": world.alice.public_id, "display_name": "Alice Archer"}]
    one = client_a.get(f"/api/v1/content/{doc['id']}/revisions/{listed[0]['id']}", **alice)
    assert one.json()["html"] == "<p>First draft</p>"


def test_a_write_on_the_latest_revision_makes_a_new_one_and_a_stale_one_answers_409(
    client_a, alice, world
):
    doc = _document(client_a, alice)
    url = f"/api/v1/content/{doc['id']}/revisions/"
    first = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    written = _json(client_a, "post", url, {"body": "<p>Second</p>", "base": first}, alice)
    assert written.status_code == 201, written.content
    assert written.json()["number"] == 2 and written.json()["html"] == "<p>Second</p>"
    stale = _json(client_a, "post", url, {"body": "<p>Overwrite</p>", "base": first}, alice)
    assert stale.status_code == 409
    assert stale["Content-Type"].startswith("application/problem+json")
    problem = stale.json()
    assert problem["base"]["id"] == first and problem["base"]["html"] == "<p>First draft</p>"
    assert problem["current"]["id"] == written.json()["id"]
    assert problem["current"]["html"] == "<p>Second</p>"
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=doc["id"])
        assert item.body_html == "<p>Second</p>"  # nothing was overwritten
        assert Revision.objects.filter(item=item).count() == 2


def test_live_edits_not_yet_in_a_revision_make_an_older_base_stale(client_a, alice, world):
    doc = _document(client_a, alice)
    base = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=doc["id"])
        state, _ = services.document_open(item_id=item.pk)
        services.document_append(
            item_id=item.pk, updates=[(world.bob.pk, edit_update(state, "Typed live"))]
        )
    stale = _json(
        client_a,
        "post",
        f"/api/v1/content/{doc['id']}/revisions/",
        {"body": "<p>Mine</p>", "base": base},
        alice,
    )
    assert stale.status_code == 409
    assert "Typed live" in stale.json()["current"]["html"]


def test_hostile_html_is_sanitised_on_the_api_path(client_a, alice, world):
    doc = _document(client_a, alice)
    base = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    written = _json(
        client_a,
        "post",
        f"/api/v1/content/{doc['id']}/revisions/",
        {"body": HOSTILE, "base": base},
        alice,
    )
    assert written.status_code == 201, written.content
    html = written.json()["html"]
    for bad in ("script", "onclick", "onerror", "javascript:", "evil.example", "iframe", "style"):
        assert bad not in html, (bad, html)
    assert '<img src="/content/c_abc/download" alt="figure">' in html
    assert "Results" in html and "click" in html and "href" not in html.split("click")[0][-60:]
    with schema_context(world.tenant_a.schema_name):
        assert ContentItem.objects.get(public_id=doc["id"]).body_html == html


def test_two_revisions_compare_with_highlighted_changes(client_a, alice):
    doc = _document(client_a, alice, body="<p>The quick fox</p><p>Unchanged line</p>")
    url = f"/api/v1/content/{doc['id']}/revisions/"
    first = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    second = _json(
        client_a,
        "post",
        url,
        {"body": "<p>The slow fox</p><p>Unchanged line</p><p>New line</p>", "base": first},
        alice,
    ).json()["id"]
    diff = client_a.get(f"{url}{second}/diff?against={first}", **alice).json()
    assert "<del>quick</del>" in diff["html"] and "<ins>slow</ins>" in diff["html"]
    assert "<ins>New line</ins>" in diff["html"]
    assert (diff["added"], diff["changed"]) == (1, 1)
    missing = client_a.get(f"{url}{second}/diff?against=r_nope", **alice)
    assert missing.status_code == 404


def test_restoring_a_revision_makes_a_new_one_with_its_text(client_a, alice, world):
    doc = _document(client_a, alice)
    url = f"/api/v1/content/{doc['id']}/revisions/"
    first = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    _json(client_a, "post", url, {"body": "<p>Rewritten</p>", "base": first}, alice)
    restored = client_a.post(f"{url}{first}/restore", **alice)
    assert restored.status_code == 201
    body = restored.json()
    assert (body["number"], body["kind"], body["restored_from"]) == (3, "restored", first)
    assert body["html"] == "<p>First draft</p>"
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=doc["id"])
        assert item.body_html == "<p>First draft</p>"
        # The live document follows: the restore is an update in the log.
        doc_state, _ = services.document_load(item)
        from tenant_apps.authoring import ydoc

        assert ydoc.fragment_html(doc_state) == "<p>First draft</p>"


def test_editors_write_and_restore_viewers_only_read(client_a, alice, bob, world):
    doc = _document(client_a, alice)
    url = f"/api/v1/content/{doc['id']}/revisions/"
    first = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    assert _revisions(client_a, doc["id"], bob).status_code == 404  # private: not Bob's
    _share(client_a, alice, doc["id"], world.bob, "viewer")
    assert _revisions(client_a, doc["id"], bob).status_code == 200
    refused = _json(client_a, "post", url, {"body": "<p>Bob</p>", "base": first}, bob)
    assert refused.status_code == 404
    assert client_a.post(f"{url}{first}/restore", **bob).status_code == 404
    _share(client_a, alice, doc["id"], world.bob, "editor")
    written = _json(client_a, "post", url, {"body": "<p>Bob</p>", "base": first}, bob)
    assert written.status_code == 201
    assert [a["id"] for a in written.json()["authors"]] == [world.bob.public_id]


def test_the_editor_role_changes_content_of_every_kind_but_not_sharing(client_a, alice, bob, world):
    link = _json(
        client_a,
        "post",
        "/api/v1/content/",
        {"kind": "link", "url": "https://example.org/a", "title": "A link"},
        alice,
    ).json()
    _share(client_a, alice, link["id"], world.bob, "editor")
    item_url = f"/api/v1/content/{link['id']}"
    changed = _json(client_a, "patch", item_url, {"url": "https://example.org/b"}, bob)
    assert changed.status_code == 200 and changed.json()["can_edit"] is True
    assert changed.json()["can_manage"] is False
    assert _json(client_a, "patch", item_url, {"visibility": "public"}, bob).status_code == 404
    shared = _json(
        client_a,
        "post",
        f"{item_url}/shares/",
        {"principals": [world.admin_a.public_id], "role": "viewer"},
        bob,
    )
    assert shared.status_code == 404
    assert client_a.delete(item_url, **bob).status_code == 404


def test_bad_input_is_a_clear_400_and_writes_nothing(client_a, alice, world):
    doc = _document(client_a, alice)
    url = f"/api/v1/content/{doc['id']}/revisions/"
    assert _revisions(client_a, doc["id"], alice).status_code == 200
    for body in ({}, {"body": "<p>x</p>"}, {"body": 5, "base": None, "name": "n" * 300}):
        response = _json(client_a, "post", url, body, alice)
        assert response.status_code == 400, (body, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
    with schema_context(world.tenant_a.schema_name):
        assert Revision.objects.filter(item__public_id=doc["id"]).count() == 1
    not_document = _json(
        client_a,
        "post",
        "/api/v1/content/",
        {"kind": "link", "url": "https://example.org/x", "title": "x"},
        alice,
    ).json()
    assert _revisions(client_a, not_document["id"], alice).status_code == 404
    patch = _json(client_a, "patch", f"/api/v1/content/{doc['id']}", {"body": "<p>x</p>"}, alice)
    assert patch.status_code == 400  # the text is written as a revision, never overwritten


def test_another_institution_gets_404_on_every_endpoint(client_a, client_b, alice, charlie, world):
    doc = _document(client_a, alice, visibility="public", title="Alice's secret")
    first = _revisions(client_a, doc["id"], alice).json()["results"][0]["id"]
    base = f"/api/v1/content/{doc['id']}/revisions/"
    calls = [
        ("get", base, None),
        ("post", base, {"body": "<p>x</p>", "base": first}),
        ("get", f"{base}{first}", None),
        ("get", f"{base}{first}/diff?against={first}", None),
        ("post", f"{base}{first}/restore", None),
    ]
    for method, url, data in calls:
        if data is None:
            response = getattr(client_b, method)(url, **charlie)
        else:
            response = _json(client_b, method, url, data, charlie)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Alice" not in response.content.decode()
    for page in ("editor", "write", "revisions/", "export.html", "export.pdf"):
        response = client_b.get(f"/content/{doc['id']}/{page}", **charlie)
        assert response.status_code in (404, 302), (page, response.status_code)
        assert b"First draft" not in response.content


def test_the_revision_list_costs_a_fixed_number_of_queries(
    client_a, alice, world, django_assert_max_num_queries
):
    doc = _document(client_a, alice)
    url = f"/api/v1/content/{doc['id']}/revisions/"
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=doc["id"])
        for n in range(30):
            state, _ = services.document_open(item_id=item.pk)
            author = world.alice if n % 2 else world.bob
            services.document_append(
                item_id=item.pk, updates=[(author.pk, edit_update(state, f"p{n}"))]
            )
            services.revision_take(item=item)
    with django_assert_max_num_queries(12):
        page = client_a.get(f"{url}?limit=25", **alice).json()
    assert len(page["results"]) == 25 and page["next"]
    assert {a["id"] for a in page["results"][0]["authors"]} <= {
        world.alice.public_id,
        world.bob.public_id,
    }
    with django_assert_max_num_queries(12):
        rest = client_a.get(page["next"], **alice).json()
    assert len(rest["results"]) == 6 and rest["next"] is None


def test_authors_are_listed_and_the_feed_says_who_edited(client_a, alice, world):
    doc = _document(client_a, alice)
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=doc["id"])
        state, _ = services.document_open(item_id=item.pk)
        services.document_append(
            item_id=item.pk,
            updates=[
                (world.alice.pk, edit_update(state, "from Alice", client_id=11)),
                (world.bob.pk, edit_update(state, "from Bob", client_id=12)),
            ],
        )
        revision = services.revision_take(item=item)
        assert revision is not None and revision.kind == "auto"
        assert {a.pk for a in revision.authors.all()} == {world.alice.pk, world.bob.pk}
        assert "from Alice" in revision.text and "from Bob" in revision.text
        edited = Activity.objects.filter(item=item, verb="content.edited")
        assert {a.actor_id for a in edited} == {world.alice.pk, world.bob.pk}
        # Nothing changed since: no empty revision.
        assert services.revision_take(item=item) is None
        item.refresh_from_db()
        assert "from Bob" in item.body_html  # what search indexes and pages show


def test_compaction_keeps_the_document_and_empties_the_log(client_a, alice, world):
    doc = _document(client_a, alice)
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=doc["id"])
        for n in range(5):
            state, _ = services.document_open(item_id=item.pk)
            services.document_append(
                item_id=item.pk, updates=[(world.alice.pk, edit_update(state, f"line {n}"))]
            )
        from tenant_apps.authoring import ydoc

        before = ydoc.fragment_html(services.document_load(item)[0])
        services.document_compact(item_id=item.pk)
        assert not DocumentUpdate.objects.filter(item=item).exists()
        assert ydoc.fragment_html(services.document_load(item)[0]) == before
        assert "line 4" in before


def test_exports_as_html_and_pdf(client_a, world):
    from tests.conftest import sign_in

    sign_in(client_a, world.alice, world.tenant_a)
    with schema_context(world.tenant_a.schema_name):
        from tenant_apps.content.services import content_create_document

        item = content_create_document(
            actor=world.alice, title="Lab report", body="<h2>Method</h2><p>We measured ✓</p>"
        )
    html = client_a.get(f"/content/{item.public_id}/export.html")
    assert html.status_code == 200 and "attachment" in html["Content-Disposition"]
    assert b"<h2>Method</h2>" in html.content
    pdf = client_a.get(f"/content/{item.public_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    assert client_a.get(f"/content/{item.public_id}/export.exe").status_code == 404
