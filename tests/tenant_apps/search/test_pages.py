"""The search page (a plain GET form), the header's search box and the World."""

from __future__ import annotations

import re

import pytest

from tenant_apps.content.services import content_create_document
from tenant_apps.groups.services import group_create
from tenant_apps.people.services import profile_update, user_create
from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_every_page_has_a_search_form_that_works_without_javascript(world, client_a):
    page = client_a.get("/people/").content.decode()
    form = re.search(r'<form method="get" action="/search/" role="search".*?</form>', page, re.S)
    assert form and 'name="q"' in form.group(0)
    assert "<script src=" in page and "search/suggest.js" in page
    assert "<script>" not in page  # no inline script: a CSP may forbid it
    script = client_a.get("/static/search/suggest.js")
    assert script.status_code == 200


def test_the_results_page_shows_results_filters_and_counts(world, in_a, client_a):
    item = in_a(
        content_create_document,
        actor=world.alice,
        title="Volcano <b>field</b> trip",
        tags=["geology"],
        visibility="loggedin",
    )
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get("/search/", {"q": "volcano"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/content/{item.public_id}"' in html
    assert "<mark>Volcano</mark> &lt;b&gt;field&lt;/b&gt; trip" in html
    assert "geology" in html and "Content (1)" in html
    filtered = client_a.get("/search/", {"q": "volcano", "kind": "link"})
    assert f"/content/{item.public_id}" not in filtered.content.decode()
    assert client_a.get("/search/").status_code == 200  # the empty form
    assert client_a.get("/search/", {"q": "volcano", "owner": "u_nobody"}).status_code == 400


def test_the_results_page_offers_a_correction(world, in_a, client_a):
    in_a(content_create_document, actor=world.alice, title="Photosynthesis", visibility="public")
    html = client_a.get("/search/", {"q": "photosinthesis"}).content.decode()
    assert "Did you mean" in html and "photosynthesis" in html


def test_visitors_explore_only_what_is_public(world, in_a, client_a):
    public = in_a(
        content_create_document,
        actor=world.alice,
        title="Open lecture",
        tags=["open-tag"],
        visibility="public",
    )
    members = in_a(
        content_create_document,
        actor=world.alice,
        title="Members handout",
        tags=["member-tag"],
        visibility="loggedin",
    )
    private = in_a(content_create_document, actor=world.alice, title="Private diary")
    open_group = in_a(group_create, actor=world.alice, title="Open circle", visibility="public")
    closed = in_a(group_create, actor=world.alice, title="Closed circle", visibility="private")
    newcomer = in_a(
        user_create,
        username="newbie",
        email="n@example.edu",
        password=PASSWORD,
        display_name="Nia Newcomer",
    )
    hidden = in_a(
        user_create,
        username="quiet",
        email="q@example.edu",
        password=PASSWORD,
        display_name="Quinn Quiet",
    )
    in_a(profile_update, actor=hidden, person=hidden, listed_in_directory=False)
    in_a(profile_update, actor=newcomer, person=newcomer, display_name_visibility="public")

    anonymous = client_a.get("/world/").content.decode()
    assert public.public_id in anonymous and open_group.public_id in anonymous
    assert "open-tag" in anonymous and "Nia Newcomer" in anonymous
    for absent in (
        members.public_id,
        private.public_id,
        closed.public_id,
        "member-tag",
        "Quinn Quiet",
        "Alice Archer",
    ):
        assert absent not in anonymous

    sign_in(client_a, world.bob, world.tenant_a)
    member = client_a.get("/world/").content.decode()
    assert members.public_id in member and "member-tag" in member and "Alice Archer" in member
    assert private.public_id not in member and closed.public_id not in member
    assert "Quinn Quiet" not in member and "newbie" not in member


def test_the_world_costs_a_bounded_number_of_queries(
    world, in_a, client_a, django_assert_max_num_queries
):
    for n in range(12):
        in_a(
            content_create_document,
            actor=world.alice,
            title=f"Item {n}",
            visibility="public",
            tags=[f"t{n % 4}"],
        )
        in_a(group_create, actor=world.alice, title=f"Group {n}", visibility="public")
    sign_in(client_a, world.bob, world.tenant_a)
    client_a.get("/world/")
    with django_assert_max_num_queries(10):
        assert client_a.get("/world/").status_code == 200


def test_another_institutions_world_shows_none_of_this_ones(world, in_a, client_b):
    item = in_a(content_create_document, actor=world.alice, title="Alpha only", visibility="public")
    assert item.public_id not in client_b.get("/world/").content.decode()
    assert client_b.get("/search/", {"q": "alpha only"}).status_code == 200
    assert item.public_id not in client_b.get("/search/", {"q": "alpha only"}).content.decode()
