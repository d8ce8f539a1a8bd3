"""The promises of every address of both hosts, walked from the URL resolvers.

- Another institution's ids are a 404 everywhere, and no answer (lists included) carries
  anything of that institution.
- No answer shows another person's username or e-mail address (FERPA), nor a name they
  made private: only opaque ids.
- Hostile ids, query parameters, bodies and form fields are a 4xx (a problem document under
  /api/, the friendly error page elsewhere), never a 5xx.
- Every address keeps its query count when its data grows (no query per row), and every
  API list pages with ``limit`` and ``next``.

The data is made by the real services (tests/endpoints.py); each test is one rolled-back
transaction and one sweep, so a route added later is swept without being listed here (an
id parameter it names must be placed in ``tests.endpoints.fill``).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.conftest import second_factor_proven, sign_in
from tests.endpoints import PARAM, build_life, fill, is_admin_route, params, post_forms, routes
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


def _why(response) -> str:
    """Where a 500 came from (the test client keeps the exception)."""
    import traceback

    info = getattr(response, "exc_info", None)
    if not info:
        return ""
    frame = traceback.extract_tb(info[2])[-1]
    return f"({info[0].__name__}: {str(info[1])[:80]} at {frame.filename}:{frame.lineno})"


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


# --- FERPA: no one else's username or e-mail address ----------------------------------
ZED = ("zq-hidden-login", "zq.hidden.mail@elsewhere.example.edu")
YAN = ("yq-hidden-login", "yq.hidden.mail@elsewhere.example.edu")
SEARCHES = (
    "/search/?q={}",
    "/api/v1/search/?q={}",
    "/api/v1/search/suggest?q={}",
    "/api/v1/suggestions?q={}",
    "/picker/suggestions?q={}",
    "/people/?q={}",
    "/api/v1/people/?q={}",
)


def test_no_answer_shows_another_persons_username_or_email(world):
    """Zed and Yan take part in everything of Alice's (comments, shares, messages, groups,
    join requests, discussions, connections, follows, notifications); no page or API
    answer Alice gets, and no search by their login or address, shows or finds them by it.
    Once Zed's name is private, no answer names him either."""
    from tenant_apps.activity.fanout import fan_out_pending
    from tenant_apps.institution.models import Visibility
    from tenant_apps.people.services import profile_update

    zed = make_person(world, ZED[0], "Zed Zimmerquist", email=ZED[1])
    yan = make_person(world, YAN[0], "Yan Young", email=YAN[1])
    alpha, _beta = _lives(world, a_peer=zed, a_third=yan)
    with schema_context(world.tenant_a.schema_name):
        fan_out_pending()
    member = _client(world, world.alice)
    hidden = [*ZED, *YAN]
    failures: list[str] = []
    # The needles are real: an admin's people page shows the addresses (admins manage them).
    assert ZED[1] in _text(_client(world, world.admin_a).get(f"/manage/people/?q={ZED[0]}"))
    for route in filter(_swept, TENANT_ROUTES):
        if is_admin_route(route) or route in TOKEN_ROUTES:
            continue  # admins manage accounts (they see addresses); tokens: their own tests
        path = fill(route, alpha.ids) if params(route) else "/" + route
        body = _text(member.get(path)).lower()
        if found := [h for h in hidden if h in body]:
            failures.append(f"GET {path} shows {found}")
    for search in SEARCHES:
        for needle in hidden:
            body = _text(member.get(search.format(needle)))
            if zed.public_id in body or yan.public_id in body:
                failures.append(f"{search.format(needle)} finds the person by it")

    # Zed makes his name "Only me (and the institution's admins)": no answer to Alice names
    # him any more (ids only). While it was for members, her pages named him.
    assert "Zimmerquist" in _text(member.get(fill("messages/<str:public_id>", alpha.ids)))
    with schema_context(world.tenant_a.schema_name):
        profile_update(actor=zed, person=zed, display_name_visibility=Visibility.PRIVATE)
    for route in filter(_swept, TENANT_ROUTES):
        if is_admin_route(route) or route in TOKEN_ROUTES:
            continue
        path = fill(route, alpha.ids) if params(route) else "/" + route
        if "Zimmerquist" in _text(member.get(path)):
            failures.append(f"GET {path} names Zed, whose name is private")
    assert failures == [], "\n".join(failures)


# --- hostile input: a clear 4xx, never a 5xx ----------------------------------------------
HOSTILE_IDS = (
    "x%00y",  # a NUL byte
    "u_" + "a" * 3000,  # far longer than any id
    "g_aaaaaaaaaaaaaaaa",  # well formed, of another kind
    "%E2%80%AE%F0%9F%98%80..%2F..",  # bidi control, emoji, a path climb
)
HOSTILE_NUMBERS = ("0", "99999999999999999999999999")
# Every query parameter a view reads (grep request.GET / query_params), and common ones.
QUERY_NAMES = [
    "after",
    "before",
    "cursor",
    "limit",
    "page",
    "page_size",
    "q",
    "tag",
    "group",
    "kind",
    "version",
    "to",
    "mine",
    "folder",
    "v",
    "target",
    "status",
    "show",
    "scope",
    "reply_to",
    "pages",
    "multiple",
    "from",
    "against",
    "fragment",
    "field",
    "type",
    "sort",
    "next",
    "sig",
    "filename",
    "language",
    "sso",
    "saml",
]
HOSTILE_QUERY = (
    *tuple(
        "?" + "&".join(f"{name}={value}" for name in QUERY_NAMES)
        for value in ("abc", "-99999999999999999999", "g_aaaaaaaaaaaaaaaa", "z" * 3000, "0")
    ),
    "?after=%00&q=%00",
)


def _hostile_values(route: str):
    """Hostile addresses for ``route``: every id parameter hostile (numbers out of range).
    API addresses get fewer: tests/platform/config/test_fuzz.py draws many more for them."""
    for value in HOSTILE_IDS[::2] if route.startswith("api/") else HOSTILE_IDS:
        yield "/" + PARAM.sub(
            lambda m, value=value: HOSTILE_NUMBERS[1] if m["converter"] == "int" else value,
            route,
        )
    if "<int:" in route:
        yield "/" + PARAM.sub(
            lambda m: HOSTILE_NUMBERS[0] if m["converter"] == "int" else HOSTILE_IDS[2], route
        )


def _problem(response) -> bool:
    return response["Content-Type"].startswith("application/problem+json")


def test_hostile_addresses_are_a_clear_4xx_on_every_address(world):
    alpha, _beta = _lives(world)
    member, admin = _client(world, world.alice), _client(world, world.admin_a)
    failures: list[str] = []

    def check(method: str, path: str, response) -> None:
        status = response.status_code
        if status >= 500:
            failures.append(f"{method.upper()} {path[:100]} -> {status} {_why(response)}")
        elif path.startswith("/api/") and status >= 400 and not _problem(response):
            failures.append(f"{method.upper()} {path[:100]} -> {status} not problem+json")
        elif not path.startswith("/api/") and status >= 400 and status != 405:
            # A page: the friendly error page (the site's layout and a message), not a bare
            # status or a plain-text line.
            kind = response.get("Content-Type", "")
            if "text/html" not in kind or len(_text(response)) < 300:
                failures.append(f"{method.upper()} {path[:100]} -> {status} bare ({kind})")

    for route in filter(_swept, TENANT_ROUTES):
        client = admin if is_admin_route(route) else member
        api = route.startswith("api/")
        if not params(route):
            for query in HOSTILE_QUERY:
                check("get", "/" + route + query, client.get("/" + route + query))
            if api:
                # Broken JSON, and a body of a type the API does not read.
                for body, kind in (('{"title": "x', "application/json"), ("a=b", "text/csv")):
                    for method in ("post", "patch"):
                        response = getattr(client, method)("/" + route, body, content_type=kind)
                        check(method, "/" + route, response)
            continue
        for path in _hostile_values(route):
            for method in ("get", "post", "patch", "delete") if api else ("get", "post"):
                check(method, path, _send(client, method, path))
        if route not in TOKEN_ROUTES:
            # Something real, read with hostile query parameters.
            ours = fill(route, alpha.ids).split("?")[0]
            for query in HOSTILE_QUERY[:3]:
                check("get", ours + query, client.get(ours + query))
    assert failures == [], "\n".join(failures)


# --- lists keep their query count as they grow ---------------------------------------------
def _grow(world, alpha) -> None:
    """More of everything Alice sees: two more people who comment, join, reply, connect,
    follow and are shared with; more items, messages, revisions and notifications."""
    from tenant_apps.activity.fanout import fan_out_pending
    from tenant_apps.connections.services import (
        connection_accept,
        connection_invite,
        person_follow,
    )
    from tenant_apps.content.models import ContentItem
    from tenant_apps.content.services import comment_create, content_add_link, content_share
    from tenant_apps.discussions.models import Discussion
    from tenant_apps.discussions.services import discussion_member_add, reply_create
    from tenant_apps.folders.models import Folder
    from tenant_apps.folders.services import folder_items_add
    from tenant_apps.groups.models import Group
    from tenant_apps.groups.services import group_join
    from tenant_apps.messaging.models import ThreadState
    from tenant_apps.messaging.services import message_reply, message_send

    alice = world.alice
    more = [make_person(world, f"audit-more-{n}", f"More Person{n}") for n in range(2)]
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(public_id=alpha.ids["item"])
        group = Group.objects.get(public_id=alpha.ids["group"])
        topic = Discussion.objects.get(public_id=alpha.ids["discussion"])
        folder = Folder.objects.get(public_id=alpha.ids["folder"])
        state = ThreadState.objects.get(thread__public_id=alpha.ids["thread"], user=alice)
        for n, person in enumerate(more):
            content_share(actor=alice, item=item, principals=[person], role="viewer")
            comment_create(actor=person, item=item, body=f"more comment {n}")
            group_join(actor=person, group=group)
            discussion_member_add(actor=alice, discussion=topic, person=person)
            reply_create(actor=person, discussion=topic, body=f"<p>more reply {n}</p>")
            message_reply(actor=alice, state=state, body=f"more message {n}")
            message_send(actor=person, to=[alice.public_id], subject=f"more {n}", body="hi")
            connection = connection_invite(actor=person, person=alice)
            connection_accept(actor=alice, connection=connection)
            person_follow(actor=person, person=alice)
            link = content_add_link(actor=alice, url=f"https://example.org/{n}", title=f"m{n}")
            folder_items_add(actor=alice, folder=folder, item_ids=[link.public_id])
        fan_out_pending()


def _count(client: Client, path: str) -> tuple[int, int]:
    client.get(path)  # warm: caches filled, session read
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, len(queries)


def test_no_page_or_list_costs_a_query_per_row_and_api_lists_are_paged(world):
    alpha, _beta = _lives(world)
    member, admin = _client(world, world.alice), _client(world, world.admin_a)
    paths = {}
    for route in filter(_swept, TENANT_ROUTES):
        if route in TOKEN_ROUTES or route.startswith(("api/v1/me/export", "account/export")):
            continue
        client = admin if is_admin_route(route) else member
        path = fill(route, alpha.ids) if params(route) else "/" + route
        status, count = _count(client, path)
        if status == 200:
            paths[route] = (client, path, count)
    assert len(paths) > 100  # the addresses were reached (not redirected to sign in)
    _grow(world, alpha)
    failures = []
    lists = 0
    for client, path, before in paths.values():
        _status, after = _count(client, path)
        if after > before:
            failures.append(f"GET {path}: {before} -> {after} queries")
        if path.startswith("/api/") and (problem := _unpaged(client, path)) is not None:
            lists += 1
            if problem:
                failures.append(problem)
    assert lists > 15  # the API's lists had rows to page
    assert failures == [], "\n".join(failures)


def _unpaged(client: Client, path: str) -> str | None:
    """None if ``path`` answers no list of 2+ rows; else "" when ``limit=1`` gives one row
    and a ``next`` cursor (API.md: lists are cursor-paginated), or what went wrong."""
    response = client.get(path)
    if "json" not in response.get("Content-Type", ""):
        return None
    body = response.json()
    if not isinstance(body, dict) or len(body.get("results") or []) < 2:
        return None
    page = client.get(path + ("&" if "?" in path else "?") + "limit=1").json()
    if len(page.get("results", [])) != 1 or not page.get("next"):
        return f"{path}: limit=1 gave {len(page.get('results', []))} rows, next {page.get('next')}"
    return ""


# Forms whose posting would end the sweep's own session (or the person).
FORM_SKIPPED = ("/signout", "/sessions/", "/erasure", "/account/password", "/2fa", "/language")
HOSTILE_FIELDS = ("a\x00b", "x" * 70_000, "-99999999999999999999", "g_aaaaaaaaaaaaaaaa")


def test_hostile_form_fields_are_a_friendly_4xx_never_a_5xx(world):
    """Every POST form of every page (found by reading the pages, as a browser would) is
    sent with each field hostile in turn: NUL bytes, 70,000 characters, numbers out of
    range, ids of the wrong kind."""
    alpha, _beta = _lives(world)
    member, admin = _client(world, world.alice), _client(world, world.admin_a)
    failures: list[str] = []
    seen: set[tuple[str, frozenset]] = set()
    forms_sent = 0
    for route in filter(_swept, TENANT_ROUTES):
        if route.startswith("api/") or route in TOKEN_ROUTES:
            continue
        client = admin if is_admin_route(route) else member
        page = fill(route, alpha.ids) if params(route) else "/" + route
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in post_forms(_text(response), page):
            key = (re.sub(r"[a-z]+_[a-z0-9]{16}", "ID", form.action), frozenset(form.fields))
            if key in seen or any(s in form.action for s in FORM_SKIPPED):
                continue
            seen.add(key)
            forms_sent += 1
            for value in HOSTILE_FIELDS:
                data = {**form.fields, **dict.fromkeys(form.texts or form.fields, value)}
                answer = client.post(form.action, data)
                if answer.status_code >= 500:
                    failures.append(
                        f"POST {form.action} {sorted(data)} {value[:12]!r} -> 500 {_why(answer)}"
                    )
                elif answer.status_code >= 400 and (
                    "text/html" not in answer.get("Content-Type", "") or len(_text(answer)) < 300
                ):
                    failures.append(
                        f"POST {form.action} {value[:12]!r} -> bare {answer.status_code}"
                    )
    assert forms_sent > 40  # the pages were read and had their forms
    assert failures == [], "\n".join(failures)


# --- the platform's host: the site, sign-up and the console -----------------------------------
PLATFORM_ROUTES = routes("config.urls_public")
PLATFORM_NOT_SWEPT = {
    "console/logout": "signs the sweep's admin out",
    "api/v1/platform/schema/": "the OpenAPI document (no data; slow to build)",
    "api/v1/platform/docs/": "the OpenAPI viewer (no data)",
}


def test_the_platform_host_answers_hostile_input_with_a_4xx(world):
    """Every address of the platform's host, as its admin (console) and as a visitor: hostile
    slugs, tokens and query parameters are a 4xx, never a 5xx. Only slugs no institution
    has are sent, so nothing is suspended or deleted; the visitors' forms (sign-up) are
    posted with hostile fields."""
    from tests.shared_apps.console.conftest import _account

    root = _account("audit-root", password=None, is_admin=True)
    console = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, raise_request_exception=False)
    console.force_login(root)
    second_factor_proven(console, root)
    visitor = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, raise_request_exception=False)
    failures: list[str] = []
    requests = 0

    def check(client: Client, method: str, path: str, data=None) -> None:
        nonlocal requests
        requests += 1
        response = _send(client, method, path) if data is None else client.post(path, data)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {path[:100]} -> 500 {_why(response)}")
        elif path.startswith("/api/") and response.status_code >= 400 and not _problem(response):
            failures.append(f"{method.upper()} {path[:100]} -> not problem+json")

    for route in PLATFORM_ROUTES:
        if route in PLATFORM_NOT_SWEPT:
            continue
        for client in (console, visitor):
            if not params(route):
                for query in HOSTILE_QUERY:
                    check(client, "get", "/" + route + query)
                continue
            for value in ("x%00y", "no-such-institution-" + "z" * 40, "a" * 3000, "-1"):
                path = "/" + PARAM.sub(lambda _m, value=value: value, route)
                for method in (
                    ("get", "post", "patch", "delete")
                    if route.startswith("api/")
                    else (
                        "get",
                        "post",
                    )
                ):
                    check(client, method, path)
    for page in ("/signup/", "/find", "/"):
        for form in post_forms(_text(visitor.get(page)), page):
            for value in HOSTILE_FIELDS:
                check(visitor, "post", form.action, {**dict.fromkeys(form.texts, value)})
    assert requests > 300
    assert failures == [], "\n".join(failures)
