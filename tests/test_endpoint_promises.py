"""The promises of every address an institution's host answers, walked from the URL resolvers.

- Another institution's ids are a 404 everywhere, and no answer (lists included) carries
  anything of that institution.
- No answer shows another person's username or e-mail address (FERPA): only opaque ids.
- Hostile ids in any address are a 4xx (a problem document under /api/), never a 5xx.
- Every list keeps its query count when the data grows (no query per row).

The data is made by the real services (tests/endpoints.py); each test is one rolled-back
transaction and one sweep, so a route added later is swept without being listed here (an
id parameter it names must be placed in ``tests.endpoints.fill``).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.endpoints import build_life, fill, is_admin_route, params, routes
from tests.tenant_apps.account.conftest import make_person

pytestmark = pytest.mark.django_db

TENANT_ROUTES = routes("config.urls_tenant")

# Addresses outside the sweeps, and why.
NOT_SWEPT = {
    "signout": "signs the caller out (the sweep's session)",
    "api/schema/": "the OpenAPI document (no data; slow to build)",
    "api/docs/": "the OpenAPI viewer (no data)",
}
# Token links: another institution's token is simply not valid here (a 400 or 404 page).
TOKEN_ROUTES = {
    "invitations/<str:token>",
    "account/email/confirm/<str:token>",
    "notifications/unsubscribe/<str:token>",
    "welcome/<str:uidb64>/<str:token>/",
}
# Addresses whose own institution's ids are a 404 too for the sweep's caller (so the
# sanity check that the address names something real does not apply), and why.
OWN_404 = {
    "account/exports/<str:public_id>/download": "needs the mailed link's signature",
    "content/<str:public_id>/pages/<int:number>": "a picture has no pages",
    "api/v1/content/<str:public_id>/pages/<int:number>": "a picture has no pages",
    "content/<str:public_id>/link-image": "the link's image is fetched in the background",
    "api/v1/content/<str:public_id>/link-image": "the link's image is fetched in the background",
    "content/<str:public_id>/preview": "previews are made in the background (none yet)",
    "api/v1/content/<str:public_id>/preview": "previews are made in the background (none yet)",
    "api/v1/admin/people/<str:public_id>/erasure": "nobody asked for the person's erasure",
    "people/<str:public_id>/picture": "the person has no picture",
    "groups/<str:public_id>/picture": "the group has no picture",
    "api/v1/groups/<str:public_id>/picture": "the group has no picture",
}


def _client(world, user) -> Client:
    return sign_in(
        Client(HTTP_HOST=world.host_a, raise_request_exception=False), user, world.tenant_a
    )


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _send(client: Client, method: str, path: str):
    """``method`` on ``path``: API writes with an empty JSON object, page forms empty."""
    if method == "get":
        return client.get(path)
    if path.startswith("/api/"):
        return getattr(client, method)(path, "{}", content_type="application/json")
    return getattr(client, method)(path)


def _swept(route: str) -> bool:
    return route not in NOT_SWEPT


def _lives(world, *, a_peer=None, a_third=None):
    """(alpha's life: Alice's, beta's life: Charlie's)."""
    a_peer = a_peer or world.bob
    a_third = a_third or make_person(world, "audit-third-a", "Tess Third")
    dora = make_person(world, "audit-dora", "Dora Delta", tenant=world.tenant_b)
    erin = make_person(world, "audit-erin", "Erin Echo", tenant=world.tenant_b)
    alpha = build_life(world.tenant_a, world.alice, a_peer, a_third, mark="ALPHAMARK")
    beta = build_life(world.tenant_b, world.charlie, dora, erin, mark="BETAMARK")
    return alpha, beta


def test_another_institutions_ids_are_a_404_on_every_address(world):
    alpha, beta = _lives(world)
    member, admin = _client(world, world.alice), _client(world, world.admin_a)
    beta_ids = set(beta.ids.values())
    failures: list[str] = []

    def leaks(body: str, path: str) -> list[str]:
        found = [s for s in beta.secrets if s.lower() in body.lower()]
        found += [i for i in beta_ids if i in body and i not in path]
        return found

    for route in filter(_swept, TENANT_ROUTES):
        client = admin if is_admin_route(route) else member
        if not params(route):
            # A list or page of one's own: nothing of the other institution in it.
            response = client.get("/" + route)
            if found := leaks(_text(response), "/" + route):
                failures.append(f"GET /{route} shows {found}")
            continue
        theirs = fill(route, beta.ids)
        methods = (
            ("get", "post", "patch", "delete") if route.startswith("api/") else ("get", "post")
        )
        answers = {}
        for method in methods:
            response = _send(client, method, theirs)
            answers[method] = response.status_code
            if found := leaks(_text(response), theirs):
                failures.append(f"{method.upper()} {route} shows {found}")
        if route in TOKEN_ROUTES:
            # Not a valid link here: refused (a page asking to confirm may come first).
            if answers.get("post") not in (400, 404) or answers["get"] not in (200, 400, 404):
                failures.append(f"{route} with another institution's token -> {answers}")
            continue
        # 404 where the address is looked up; 405 for methods it does not take; a 400 for
        # an empty body checked before the id says nothing about the id (and no data).
        if 404 not in answers.values() or not set(answers.values()) <= {400, 404, 405}:
            failures.append(f"{route} with another institution's ids -> {answers}")
        if route in OWN_404 or answers["get"] == 405:
            continue
        # The same address with our own ids names something real (so the 404 above is
        # the other institution's, not a wrongly filled address).
        ours = client.get(fill(route, alpha.ids))
        if ours.status_code == 404 or ours.status_code >= 500:
            failures.append(f"GET {route} with our own ids -> {ours.status_code}")
    assert failures == [], "\n".join(failures)
