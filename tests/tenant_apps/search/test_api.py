"""One search across what a viewer may see: scopes, filters, visibility, FERPA, isolation,
hostile queries and the cost of a search (``/api/v1/search/``)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.content.models import ContentItem, ContentVersion
from tenant_apps.content.services import (
    content_add_link,
    content_create_document,
    content_share,
    content_upload_file,
)
from tenant_apps.content.tasks import version_process
from tenant_apps.groups.services import group_create, group_join
from tenant_apps.messaging.models import ThreadState
from tenant_apps.messaging.services import message_send, thread_delete
from tenant_apps.people.services import profile_update, user_create
from tests.conftest import PASSWORD
from tests.tenant_apps.content.conftest import docx_bytes, pdf_bytes
from tests.tenant_apps.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_it_finds_items_people_and_groups_in_one_search_and_each_scope(world, in_a, search_api):
    item = in_a(
        content_create_document,
        actor=world.alice,
        title="Marine biology field notes",
        body="<p>Tide pools</p>",
        visibility="loggedin",
    )
    group = in_a(group_create, actor=world.alice, title="Marine society", visibility="loggedin")
    in_a(profile_update, actor=world.bob, person=world.bob, department="Marine science")

    everything = search_api({"q": "marine"}, user=world.alice)
    assert {item.public_id, group.public_id, world.bob.public_id} <= set(ids(everything))
    body = everything.json()
    assert body["counts"] == {
        "content": 1,
        "people": 1,
        "groups": 1,
        "discussions": 0,
        "folders": 0,
    }
    assert ids(search_api({"q": "marine", "type": "content"}, user=world.alice)) == [item.public_id]
    assert ids(search_api({"q": "marine", "type": "groups"}, user=world.alice)) == [group.public_id]
    assert ids(search_api({"q": "marine", "type": "people"}, user=world.alice)) == [
        world.bob.public_id
    ]
    # Stemming (English by default), prefixes while typing, and the item's own page.
    assert item.public_id in ids(search_api({"q": "pool"}, user=world.alice))
    assert item.public_id in ids(search_api({"q": "biolo"}, user=world.alice))
    row = next(r for r in body["results"] if r["id"] == item.public_id)
    assert row["url"] == f"/content/{item.public_id}"
    assert row["owner"] == {"id": world.alice.public_id, "display_name": "Alice Archer"}


def test_it_searches_link_addresses_tags_and_descriptions(world, in_a, search_api):
    link = in_a(
        content_add_link,
        actor=world.alice,
        url="https://journals.example.org/zoology/42",
        title="A reading",
        description="About cephalopods",
        tags=["week-7"],
        visibility="loggedin",
    )
    for words in ("journals", "zoology", "cephalopod", "week-7"):
        assert ids(search_api({"q": words}, user=world.bob)) == [link.public_id], words


def test_a_private_item_is_found_by_its_owner_and_those_it_is_shared_with_only(
    world, in_a, search_api, client_b, bearer
):
    item = in_a(
        content_create_document, actor=world.alice, title="Secret thesis draft", body="quasar"
    )
    assert ids(search_api({"q": "quasar"}, user=world.alice)) == [item.public_id]
    assert ids(search_api({"q": "quasar"}, user=world.bob)) == []
    assert ids(search_api({"q": "quasar"}, user=world.admin_a)) == []
    assert ids(search_api({"q": "quasar"})) == []
    in_a(content_share, actor=world.alice, item=item, principals=[world.bob], role="viewer")
    assert ids(search_api({"q": "quasar"}, user=world.bob)) == [item.public_id]
    # Another institution holding the word (and the id) finds nothing of Alice's.
    charlie = bearer(world.charlie, world.tenant_b)
    assert ids(client_b.get("/api/v1/search/", {"q": "quasar"}, **charlie)) == []


def test_items_shared_with_a_group_are_found_by_its_members(world, in_a, search_api):
    group = in_a(group_create, actor=world.alice, title="Reading circle", join_policy="open")
    item = in_a(content_create_document, actor=world.alice, title="Nebula chapter")
    in_a(content_share, actor=world.alice, item=item, principals=[group], role="viewer")
    assert ids(search_api({"q": "nebula"}, user=world.bob)) == []
    in_a(group_join, actor=world.bob, group=group)
    assert ids(search_api({"q": "nebula"}, user=world.bob)) == [item.public_id]


def test_private_groups_are_found_by_their_members_only(world, in_a, search_api):
    private = in_a(
        group_create, actor=world.alice, title="Hidden orchid club", visibility="private"
    )
    members_only = in_a(
        group_create, actor=world.alice, title="Orchid growers", visibility="loggedin"
    )
    public = in_a(group_create, actor=world.alice, title="Orchid open day", visibility="public")
    assert set(ids(search_api({"q": "orchid", "type": "groups"}, user=world.alice))) == {
        private.public_id,
        members_only.public_id,
        public.public_id,
    }
    assert set(ids(search_api({"q": "orchid", "type": "groups"}, user=world.bob))) == {
        members_only.public_id,
        public.public_id,
    }
    assert ids(search_api({"q": "orchid", "type": "groups"})) == [public.public_id]


def test_a_persons_private_field_never_matches_for_others(world, in_a, search_api):
    in_a(
        profile_update,
        actor=world.bob,
        person=world.bob,
        department="Astrobiology",
        department_visibility="private",
        role="Volcanologist",
        role_visibility="loggedin",
    )
    assert ids(search_api({"q": "astrobiology"}, user=world.alice)) == []
    assert ids(search_api({"q": "astrobiology"})) == []
    assert ids(search_api({"q": "volcanologist"}, user=world.alice)) == [world.bob.public_id]
    assert ids(search_api({"q": "volcanologist"})) == []  # signed-in members only
    # The institution's admins see every profile field, so they find it.
    assert ids(search_api({"q": "astrobiology"}, user=world.admin_a)) == [world.bob.public_id]
    # A private name hides the person from search altogether (as in the directory).
    in_a(profile_update, actor=world.bob, person=world.bob, display_name_visibility="private")
    assert ids(search_api({"q": "volcanologist"}, user=world.alice)) == []
    assert ids(search_api({"q": "baker"}, user=world.alice)) == []


def test_ferpa_usernames_and_email_addresses_match_nobody_but_their_owner(world, in_a, search_api):
    person = in_a(
        user_create,
        username="zq-student-7",
        email="dana.doe@student.example.edu",
        password=PASSWORD,
        display_name="Dana Doe",
    )
    for q in ("zq-student-7", "dana.doe@student.example.edu", "student.example.edu"):
        for viewer in (world.alice, world.admin_a, None):
            assert ids(search_api({"q": q}, user=viewer)) == [], (q, viewer)
        response = search_api({"q": q}, user=world.alice)
        assert b"zq-student-7" not in response.content
        assert b"dana.doe" not in response.content
    # The person themselves finds their own account by their address.
    assert ids(search_api({"q": "dana.doe@student.example.edu"}, user=person)) == [person.public_id]
    # Their name is findable by anyone who may see it - without the address in the answer.
    response = search_api({"q": "dana"}, user=world.alice)
    assert ids(response) == [person.public_id]
    assert b"student.example.edu" not in response.content


def test_message_threads_are_searched_in_their_own_scope_for_participants_only(
    world, in_a, search_api
):
    thread = in_a(
        message_send,
        actor=world.alice,
        to=[world.bob.public_id],
        subject="Lab plans",
        body="<p>Bring the <b>oscilloscope</b></p>",
    )
    assert ids(search_api({"q": "oscilloscope"}, user=world.alice)) == []  # not in "all"
    for viewer in (world.alice, world.bob):
        response = search_api({"q": "oscilloscope", "type": "messages"}, user=viewer)
        assert ids(response) == [thread.public_id]
        assert "<mark>oscilloscope</mark>" in response.json()["results"][0]["snippet_html"]
    assert ids(search_api({"q": "lab plans", "type": "messages"}, user=world.bob)) == [
        thread.public_id
    ]
    assert ids(search_api({"q": "oscilloscope", "type": "messages"}, user=world.admin_a)) == []
    assert ids(search_api({"q": "oscilloscope", "type": "messages"})) == []
    state = in_a(ThreadState.objects.get, thread=thread, user=world.bob)
    in_a(thread_delete, actor=world.bob, state=state)
    assert ids(search_api({"q": "oscilloscope", "type": "messages"}, user=world.bob)) == []


def test_filters_narrow_content_and_come_with_counts(world, in_a, search_api):
    group = in_a(group_create, actor=world.alice, title="Seminar", join_policy="open")
    doc = in_a(
        content_create_document,
        actor=world.alice,
        title="Glacier survey",
        tags=["field", "ice"],
        visibility="loggedin",
    )
    link = in_a(
        content_add_link,
        actor=world.bob,
        url="https://example.org/glacier",
        title="Glacier photos",
        tags=["field"],
        visibility="loggedin",
    )
    old = in_a(
        content_create_document, actor=world.bob, title="Glacier history", visibility="loggedin"
    )
    in_a(ContentItem.objects.filter(pk=old.pk).update, created=timezone.now() - timedelta(days=400))
    in_a(content_share, actor=world.alice, item=doc, principals=[group], role="viewer")

    response = search_api({"q": "glacier", "type": "content"}, user=world.alice)
    assert set(ids(response)) == {doc.public_id, link.public_id, old.public_id}
    facets = response.json()["facets"]
    assert {f["value"]: f["count"] for f in facets["kind"]} == {"document": 2, "link": 1}
    assert {f["value"]: f["count"] for f in facets["tag"]} == {"field": 2, "ice": 1}
    assert {f["value"]: f["count"] for f in facets["owner"]} == {
        world.alice.public_id: 1,
        world.bob.public_id: 2,
    }
    assert facets["group"] == [{"value": group.public_id, "label": "Seminar", "count": 1}]
    assert {f["value"]: f["count"] for f in facets["date"]}["year"] == 2

    def found(**params):
        return set(ids(search_api({"q": "glacier", **params}, user=world.alice)))

    assert found(kind="link") == {link.public_id}
    assert found(tag="ice") == {doc.public_id}
    assert found(owner=world.bob.public_id) == {link.public_id, old.public_id}
    assert found(group=group.public_id) == {doc.public_id}
    year_ago = (timezone.now() - timedelta(days=300)).date().isoformat()
    assert found(after=year_ago) == {doc.public_id, link.public_id}
    assert found(before=year_ago) == {old.public_id}
    # Ids the viewer may not see (or that do not exist) are refused alike.
    for bad in ({"owner": "u_nobody"}, {"group": "g_nobody"}, {"after": "2026-13-01"}):
        response = search_api({"q": "glacier", **bad}, user=world.alice)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"


def test_the_same_word_in_two_institutions_stays_in_each(world, in_a, client_a, client_b, bearer):
    mine = in_a(
        content_create_document, actor=world.alice, title="Xylophone tuning", visibility="public"
    )
    with schema_context(world.tenant_b.schema_name):
        theirs = content_create_document(
            actor=world.charlie, title="Xylophone repairs", visibility="public"
        )
    assert ids(client_a.get("/api/v1/search/", {"q": "xylophone"})) == [mine.public_id]
    assert ids(client_b.get("/api/v1/search/", {"q": "xylophone"})) == [theirs.public_id]
    charlie = bearer(world.charlie, world.tenant_b)
    assert ids(client_b.get("/api/v1/search/", {"q": "tuning"}, **charlie)) == []
    # Alice's ids mean nothing on the other institution's host.
    response = client_b.get(
        "/api/v1/search/", {"q": "xylophone", "owner": world.alice.public_id}, **charlie
    )
    assert response.status_code == 400
    assert world.alice.public_id.encode() not in response.content.replace(b"owner", b"")


def _upload_and_process(world, data: bytes, name: str):
    with schema_context(world.tenant_a.schema_name):
        item = content_upload_file(
            actor=world.alice,
            source=io.BytesIO(data),
            filename=name,
            title="Untitled upload",
            visibility="loggedin",
        )
        version_process(version_id=item.current_version_id)
        return item, ContentVersion.objects.get(pk=item.current_version_id)


def test_a_word_only_inside_a_pdf_or_a_docx_finds_the_item(world, search_api):
    pdf, _ = _upload_and_process(world, pdf_bytes("Photosynthesis chlorophyll"), "a.pdf")
    docx, _ = _upload_and_process(world, docx_bytes("The mitochondrion powerhouse"), "b.docx")
    response = search_api({"q": "chlorophyll"}, user=world.bob)
    assert ids(response) == [pdf.public_id]
    assert "<mark>chlorophyll</mark>" in response.json()["results"][0]["snippet_html"]
    assert ids(search_api({"q": "mitochondrion"}, user=world.bob)) == [docx.public_id]
    assert ids(search_api({"q": "mitochondrion"})) == []  # loggedin: not for visitors


def test_html_and_markdown_files_are_searched_by_their_visible_text(world, search_api):
    html = (
        b"<html><head><style>.ribosome{}</style><script>var ribosome=1</script></head>"
        b"<body><h1>Golgi apparatus</h1><img src=x alt='vesicle diagram'></body></html>"
    )
    item, version = _upload_and_process(world, html, "page.html")
    assert version.mime_type == "text/html"
    assert "ribosome" not in version.extracted_text
    assert ids(search_api({"q": "golgi"}, user=world.bob)) == [item.public_id]
    assert ids(search_api({"q": "vesicle"}, user=world.bob)) == [item.public_id]
    assert ids(search_api({"q": "ribosome"}, user=world.bob)) == []
    md = b"# Lysosome notes\n\n* **enzymes** and [a link](https://example.org)\n"
    item, _ = _upload_and_process(world, md, "notes.md")
    assert ids(search_api({"q": "lysosome enzymes"}, user=world.bob)) == [item.public_id]


def test_snippets_and_titles_are_escaped_html_with_only_marks_added(world, in_a, search_api):
    in_a(
        content_create_document,
        actor=world.alice,
        title="<script>alert(1)</script> Comet",
        description='Comet tail <img src=x onerror="alert(2)"> & more',
        body="<p>comet <a href='javascript:alert(3)'>dust</a></p>",
        visibility="loggedin",
    )
    response = search_api({"q": "comet"}, user=world.bob)
    row = response.json()["results"][0]
    for html in (row["title_html"], row["snippet_html"]):
        stripped = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped, html
    assert "&lt;script&gt;" in row["title_html"]
    assert "<mark>Comet</mark>" in row["title_html"]


def test_misspellings_find_titles_and_suggest_a_correction(world, in_a, search_api):
    item = in_a(
        content_create_document,
        actor=world.alice,
        title="Thermodynamics problem set",
        visibility="loggedin",
    )
    response = search_api({"q": "thermodynamcs"}, user=world.bob)
    assert ids(response) == [item.public_id]
    response = search_api({"q": "thermodinamics problem"}, user=world.bob)
    assert response.json()["did_you_mean"] == "thermodynamics problem"
    # Words from what the viewer may not see are never suggested.
    in_a(content_create_document, actor=world.alice, title="Paleontology secrets")
    assert search_api({"q": "paleontolgy"}, user=world.bob).json()["did_you_mean"] is None


def test_phrases_exclusions_and_or(world, in_a, search_api):
    a = in_a(
        content_create_document,
        actor=world.alice,
        title="Linear algebra lecture",
        visibility="loggedin",
    )
    b = in_a(
        content_create_document,
        actor=world.alice,
        title="Algebra linear review",
        visibility="loggedin",
    )
    c = in_a(
        content_create_document, actor=world.alice, title="Topology lecture", visibility="loggedin"
    )
    assert ids(search_api({"q": '"linear algebra"'}, user=world.bob)) == [a.public_id]
    assert set(ids(search_api({"q": "algebra -review"}, user=world.bob))) == {a.public_id}
    assert set(ids(search_api({"q": "review or topology"}, user=world.bob))) == {
        b.public_id,
        c.public_id,
    }


@pytest.mark.parametrize(
    "q",
    [
        "",
        " ",
        '"',
        "'",
        '""',
        "''",
        "\\",
        ":*",
        "!",
        "& | ! <-> ( )",
        "-",
        "or",
        "or or -",
        '"unterminated phrase',
        "a:* & b",
        "%_%",
        "é" * 200,
        "x" * 256,
    ],
)
def test_odd_queries_answer_200(world, search_api, q):
    response = search_api({"q": q}, user=world.alice)
    assert response.status_code == 200, response.content
    response = search_api({"q": q}, path="/api/v1/search/suggest")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("q", ["x" * 10_000, "a\x00b", "y" * 257])
def test_hostile_queries_answer_400_problems(world, search_api, client_a, q):
    response = search_api({"q": q}, user=world.alice)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    if "\x00" not in q:  # a NUL byte is refused before routing (config.malformed)
        assert "q" in response.json()["errors"]
    page = client_a.get("/search/", {"q": q})
    assert page.status_code == 400


def test_bad_parameters_answer_400(world, search_api):
    for params in (
        {"q": "a", "type": "everything"},
        {"q": "a", "limit": "0"},
        {"q": "a", "limit": "101"},
        {"q": "a", "offset": "-1"},
        {"q": "a", "kind": "video"},
        {"q": "a", "after": "2026-02-01", "before": "2026-01-01"},
    ):
        assert search_api(params, user=world.alice).status_code == 400, params


def test_a_search_costs_a_bounded_number_of_queries(
    world, in_a, search_api, django_assert_max_num_queries
):
    group = in_a(group_create, actor=world.alice, title="Ecology group", join_policy="open")
    in_a(group_join, actor=world.bob, group=group)  # only members share into its library
    for n in range(15):
        item = in_a(
            content_create_document,
            actor=world.alice if n % 2 else world.bob,
            title=f"Ecology paper {n}",
            tags=[f"tag-{n % 3}"],
            visibility="loggedin",
        )
        if n % 4 == 0:
            in_a(content_share, actor=item.created_by, item=item, principals=[group], role="viewer")
    search_api({"q": "warm-up"}, user=world.alice)
    with django_assert_max_num_queries(14):
        response = search_api({"q": "ecology"}, user=world.alice)
    assert len(ids(response)) == 16
    with django_assert_max_num_queries(12):
        search_api({"q": "ecology", "type": "messages"}, user=world.alice)
    with django_assert_max_num_queries(12):
        search_api({"q": "ecolo"}, user=world.alice, path="/api/v1/search/suggest")
    with django_assert_max_num_queries(20):
        search_api({"q": "ecologgy"}, user=world.alice)  # near spellings, "did you mean"


def test_results_page_through_next_links(world, in_a, search_api, client_a):
    made = {
        in_a(
            content_create_document,
            actor=world.alice,
            title=f"Saturn ring {n}",
            visibility="public",
        ).public_id
        for n in range(7)
    }
    seen: list[str] = []
    response = search_api({"q": "saturn", "limit": 3})
    while True:
        seen += ids(response)
        following = response.json()["next"]
        if not following:
            break
        response = client_a.get(following)
    assert len(seen) == 7 and set(seen) == made


def test_suggestions_while_typing(world, in_a, search_api):
    item = in_a(
        content_create_document,
        actor=world.alice,
        title="Quantum entanglement primer",
        visibility="public",
    )
    response = search_api({"q": "quant"}, path="/api/v1/search/suggest")
    assert response.status_code == 200
    assert response.json()["results"][0] == {
        "type": "content",
        "id": item.public_id,
        "label": "Quantum entanglement primer",
        "kind": "document",
        "url": f"/content/{item.public_id}",
    }
    response = search_api({"q": "alic"}, user=world.bob, path="/api/v1/search/suggest")
    assert response.json()["results"][0]["id"] == world.alice.public_id
    assert b"alice@example.edu" not in response.content
    # Visitors get no one whose name is for members only.
    assert search_api({"q": "alic"}, path="/api/v1/search/suggest").json()["results"] == []


def test_a_documents_and_items_edits_are_searchable_at_once(world, in_a, search_api):
    from tenant_apps.authoring.selectors import latest_revision
    from tenant_apps.authoring.services import document_prepare, revision_write
    from tenant_apps.content.services import content_update

    def write(item, html):  # a document's text is written as a revision (issue 17)
        document_prepare(item=item)
        latest = latest_revision(item)
        base = latest.public_id if latest else None
        return revision_write(actor=world.alice, item=item, html=html, base=base)

    item = in_a(content_create_document, actor=world.alice, title="Draft", visibility="loggedin")
    in_a(write, item, "<p>Heliosphere</p>")
    assert ids(search_api({"q": "heliosphere"}, user=world.bob)) == [item.public_id]
    in_a(content_update, actor=world.alice, item=item, title="Magnetosphere")
    assert ids(search_api({"q": "magnetosphere"}, user=world.bob)) == [item.public_id]
