"""Account self-service: changing one's password (other sessions end) and e-mail address
(confirmed by a mailed link, the old address told), seeing and ending one's sessions and
tokens; through the pages and the API, with real mail (aiosmtpd)."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tenant_apps.account.models import SessionRecord
from tenant_apps.people.models import AccessToken, User
from tenant_apps.people.services import token_create
from tests.conftest import PASSWORD
from tests.tenant_apps.account.conftest import make_person, signed_in

pytestmark = pytest.mark.django_db(transaction=False)

NEW_PASSWORD = "a different horse, battery and staple"


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def test_a_password_change_needs_the_current_one_and_ends_the_other_sessions(
    world, smtp_server, django_capture_on_commit_callbacks
):
    dora = make_person(world, "dora", "Dora Dunn")
    here, elsewhere = signed_in(world, dora), signed_in(world, dora)
    assert elsewhere.get("/api/v1/me").status_code == 200

    wrong = here.post(
        "/api/v1/me/password",
        {"current_password": "nope", "new_password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert "current_password" in wrong.json()["errors"]
    weak = here.post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": "123"},
        content_type="application/json",
    )
    assert weak.status_code == 400 and "new_password" in weak.json()["errors"]

    with django_capture_on_commit_callbacks(execute=True):
        done = here.post(
            "/api/v1/me/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            content_type="application/json",
        )
    assert done.status_code == 204
    assert here.get("/api/v1/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/v1/me").status_code in (401, 403)  # the other one ended
    with schema_context(world.tenant_a.schema_name):
        dora.refresh_from_db()
        assert dora.check_password(NEW_PASSWORD)
        assert SessionRecord.objects.filter(user=dora).count() == 1
    assert smtp_server.recipients == [["dora@example.edu"]]
    assert "was just changed" in _body(smtp_server.messages[0])


def test_the_password_page_changes_it_and_shows_errors_on_the_form(world):
    erin = make_person(world, "erin", "Erin Eve")
    client = signed_in(world, erin)
    page = client.get("/account/")
    assert page.status_code == 200 and b"Change password" in page.content
    bad = client.post("/account/password", {"current_password": "x", "new_password": NEW_PASSWORD})
    assert bad.status_code == 400 and b"current password is not correct" in bad.content
    good = client.post(
        "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert good.status_code == 302
    assert client.get("/account/").status_code == 200  # still signed in


def test_an_email_change_is_confirmed_by_the_new_address_and_told_to_the_old(
    world, smtp_server, django_capture_on_commit_callbacks
):
    fay = make_person(world, "fay", "Fay Fox")
    client = signed_in(world, fay)
    bad = client.post(
        "/api/v1/me/email",
        {"email": "not an address", "current_password": PASSWORD},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    wrong = client.post(
        "/api/v1/me/email",
        {"email": "fay@new.example", "current_password": "wrong"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "current_password" in wrong.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(
            "/api/v1/me/email",
            {"email": "fay@new.example", "current_password": PASSWORD},
            content_type="application/json",
        )
    assert asked.status_code == 202
    assert smtp_server.recipients == [["fay@new.example"]]
    link = re.search(r"http://\S+/account/email/confirm/(\S+)", _body(smtp_server.messages[0]))
    assert link, _body(smtp_server.messages[0])
    token = link.group(1)
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.get(pk=fay.pk).email == "fay@example.edu"  # not yet

    # Someone else holding the link cannot use it, nor can Charlie on his host.
    bob = signed_in(world, world.bob)
    assert bob.post(f"/account/email/confirm/{token}").status_code == 400
    charlie = signed_in(world, world.charlie, world.tenant_b)
    assert (
        charlie.post(
            "/api/v1/me/email/confirm", {"token": token}, content_type="application/json"
        ).status_code
        == 400
    )

    assert client.get(f"/account/email/confirm/{token}").status_code == 200  # a button only
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/account/email/confirm/{token}").status_code == 302
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.get(pk=fay.pk).email == "fay@new.example"
    assert smtp_server.recipients[-1] == ["fay@example.edu"]
    assert "was changed" in _body(smtp_server.messages[-1])
    # The link works once.
    again = client.post(
        "/api/v1/me/email/confirm", {"token": token}, content_type="application/json"
    )
    assert again.status_code == 400 and "token" in again.json()["errors"]
    forged = client.post(
        "/api/v1/me/email/confirm", {"token": token[:-2] + "xx"}, content_type="application/json"
    )
    assert forged.status_code == 400


def test_people_see_and_end_their_own_sessions_only(world, django_assert_max_num_queries):
    gus = make_person(world, "gus", "Gus Gray")
    here, laptop = signed_in(world, gus), signed_in(world, gus)
    # Routing, session, person, one page of records (a fixed cost, however many).
    with django_assert_max_num_queries(8):
        listed = here.get("/api/v1/me/sessions/")
    assert listed.status_code == 200
    sessions = listed.json()["results"]
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    assert all(s["id"].startswith("s_") for s in sessions)
    other = next(s["id"] for s in sessions if not s["current"])

    # Bob (a peer) and Charlie (another institution) holding the id: 404, nothing ended.
    assert signed_in(world, world.bob).delete(f"/api/v1/me/sessions/{other}").status_code == 404
    charlie = signed_in(world, world.charlie, world.tenant_b)
    assert charlie.delete(f"/api/v1/me/sessions/{other}").status_code == 404
    assert charlie.post(f"/account/sessions/{other}/end").status_code == 404
    assert laptop.get("/api/v1/me").status_code == 200

    assert here.delete(f"/api/v1/me/sessions/{other}").status_code == 204
    assert laptop.get("/api/v1/me").status_code in (401, 403)
    assert here.get("/api/v1/me").status_code == 200
    assert here.delete(f"/api/v1/me/sessions/{other}").status_code == 404


def test_the_account_page_lists_sessions_and_tokens_and_ends_them(world):
    hal = make_person(world, "hal", "Hal Hill")
    here, laptop = signed_in(world, hal), signed_in(world, hal)
    with schema_context(world.tenant_a.schema_name):
        token, secret = token_create(user=hal, name="my script")
        other = (
            SessionRecord.objects.filter(user=hal)
            .exclude(session_key=here.session.session_key)
            .get()
        )
    page = here.get("/account/")
    assert b"my script" in page.content and b"(this one)" in page.content
    assert b"hal@example.edu" in page.content  # one's own address, on one's own page
    # Another person cannot revoke it by its id.
    assert (
        signed_in(world, world.bob).post(f"/account/tokens/{token.public_id}/revoke").status_code
        == 404
    )
    assert here.post(f"/account/tokens/{token.public_id}/revoke").status_code == 302
    with schema_context(world.tenant_a.schema_name):
        assert AccessToken.objects.get(pk=token.pk).revoked is not None
    from django.test import Client

    revoked = Client(HTTP_HOST=world.host_a).get(
        "/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert revoked.status_code == 401
    assert laptop.get("/api/v1/me").status_code == 200  # until its session is ended
    assert here.post(f"/account/sessions/{other.public_id}/end").status_code == 302
    assert laptop.get("/account/").status_code == 302  # to the sign-in page


def test_account_pages_and_endpoints_need_a_signed_in_person(client_a):
    assert client_a.get("/account/").status_code == 302
    for path in ("/api/v1/me/sessions/", "/api/v1/me/export", "/api/v1/me/erasure"):
        response = client_a.get(path)
        assert response.status_code in (401, 403)
        assert response["Content-Type"] == "application/problem+json"
