"""The platform site: it says what the product is and routes people to their institution,
the sign-up and the console, without revealing anyone in any institution."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.models import Domain, TenantStatus

pytestmark = pytest.mark.django_db


def test_the_home_page_links_to_sign_up_find_and_the_console(platform_client):
    html = platform_client.get("/").content.decode()
    for link in ('href="/signup/"', 'href="/find"', 'href="/console/"'):
        assert link in html
    assert 'class="skip-link"' in html and '<main id="main"' in html


def test_an_institution_is_found_by_name_without_its_people(
    platform_client, world, django_assert_max_num_queries
):
    # The schema switch, the institutions and their primary addresses.
    with django_assert_max_num_queries(3):
        response = platform_client.get("/find", {"q": "alpha"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="http://alpha.localhost/">Alpha University</a>' in html
    assert "Beta College" not in html
    for private in ("alice", "Alice", "Bob", "example.edu"):
        assert private not in html


def test_an_institution_is_found_by_an_e_mail_address_at_its_custom_domain(platform_client, world):
    connection.set_schema_to_public()
    Domain.objects.create(tenant=world.tenant_b, domain="beta.example", is_primary=False)
    html = platform_client.get("/find", {"q": "carla@cs.beta.example"}).content.decode()
    assert "Beta College" in html and "Alpha University" not in html
    # Its link goes to its primary address.
    assert 'href="http://beta.localhost/"' in html


def test_short_or_unknown_queries_say_so(platform_client, world):
    short = platform_client.get("/find", {"q": "al"}).content.decode()
    assert "Type at least 3 characters." in short
    none = platform_client.get("/find", {"q": "nosuch university"}).content.decode()
    assert "No institution matches" in none
    blank = platform_client.get("/find", {"q": "@"})
    assert blank.status_code == 200


def test_an_institution_being_deleted_is_not_found(platform_client, world):
    connection.set_schema_to_public()
    type(world.tenant_b).objects.filter(pk=world.tenant_b.pk).update(status=TenantStatus.DELETING)
    assert "Beta College" not in platform_client.get("/find", {"q": "beta"}).content.decode()


def test_the_unknown_host_page_links_back_to_the_platform(client_a):
    from django.test import Client

    html = Client(HTTP_HOST="nosuch.localhost:8000").get("/").content.decode()
    assert 'href="http://localhost:8000/find"' in html
    assert 'href="http://localhost:8000/"' in html
