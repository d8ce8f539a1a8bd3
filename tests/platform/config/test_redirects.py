"""``next`` may only send the browser to an address on this host; anything else is the
fallback (``next=abc`` was a NoReverseMatch 500 wherever a page redirected to it)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from config.redirects import local_target
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/content/", "/content/"),
        ("/people/?q=a", "/people/?q=a"),
        ("http://alpha.test/groups/", "http://alpha.test/groups/"),
        ("abc", "/fallback"),
        ("-99999", "/fallback"),
        ("g_aaaaaaaaaaaaaaaa", "/fallback"),
        ("//evil.example/", "/fallback"),
        ("/\\evil.example/", "/fallback"),
        ("https://evil.example/", "/fallback"),
        ("javascript:alert(1)", "/fallback"),
        ("", "/fallback"),
        (None, "/fallback"),
    ],
)
def test_only_addresses_on_this_host_are_kept(target, expected):
    request = RequestFactory(HTTP_HOST="alpha.test").get("/")
    assert local_target(request, target, "/fallback") == expected


@pytest.mark.parametrize("target", ["abc", "-1", "home page"])
def test_a_confirmation_with_a_next_that_is_no_address_goes_to_the_fallback(world, target):
    client = sign_in(
        Client(HTTP_HOST=world.host_a, raise_request_exception=False), world.alice, world.tenant_a
    )
    response = client.post("/connections/act", {"action": "nonsense", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/connections/"


def test_signing_in_with_a_next_that_is_no_address_lands_home(world):
    from tests.conftest import PASSWORD

    client = Client(HTTP_HOST=world.host_a, raise_request_exception=False)
    response = client.post(
        "/signin?next=abc", {"username": "alice", "password": PASSWORD, "next": "abc"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
