"""Two-factor sign-in: enrolling an authenticator (TOTP), recovery codes, the institution's
policy, platform admins, and API tokens (unaffected, but issuing one needs a fresh factor)."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.people.two_factor import SESSION_PENDING
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The device's code ``steps_ahead`` 30-second steps from now (django-otp refuses a code
    it has seen, and accepts the next step's: tests use one step per sign-in)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def password_sign_in(host: str, username: str) -> Client:
    client = Client(HTTP_HOST=host)
    answer = client.post("/signin", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.content[:500]
    return client


def enrol(client: Client, schema: str, username: str) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/2fa/enrol")
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    with schema_context(schema):
        device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    import base64

    assert base64.b32encode(device.bin_key).decode().rstrip("=") == secret
    wrong = client.post("/2fa/enrol", {"code": "000000" if code_for(device) != "000000" else "1"})
    assert wrong.status_code == 400
    time.sleep(1.1)  # django-otp throttles a device after a failure: 1 s, then 2 s, 4 s ...
    answer = client.post("/2fa/enrol", {"code": code_for(device), "next": "/people/"})
    assert answer.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", answer.content.decode())
    assert len(codes) == 10
    with schema_context(schema):
        device.refresh_from_db()
    assert device.confirmed
    return device, codes


def set_policy(world, policy: str) -> None:
    with schema_context(world.tenant_a.schema_name):
        InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).update(
            two_factor=policy
        )


@pytest.fixture
def policy_reset(world):
    yield
    set_policy(world, "off")


def test_a_person_enrols_and_then_signs_in_with_a_code(world):
    host, schema = world.host_a, world.tenant_a.schema_name
    client = password_sign_in(host, "bob")
    device, codes = enrol(client, schema, "bob")

    client = password_sign_in(host, "bob")
    answer = client.get("/people/")
    assert answer.status_code == 302
    assert answer["Location"] == "/2fa/verify?next=/people/"
    # The API with this session is refused too, as a problem.
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    assert "bob@example.edu" not in api.content.decode()
    assert client.post("/2fa/verify", {"code": "123"}).status_code == 400
    # Right after a failure even the right code is refused (throttled), then accepted.
    assert client.post("/2fa/verify", {"code": code_for(device, 1)}).status_code == 400
    time.sleep(2.1)
    answer = client.post("/2fa/verify", {"code": code_for(device, 1), "next": "/people/"})
    assert answer.status_code == 302 and answer["Location"] == "/people/"
    assert client.get("/people/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200

    # A recovery code works once.
    client = password_sign_in(host, "bob")
    assert client.post("/2fa/verify", {"code": codes[0]})["Location"] == "/"
    client = password_sign_in(host, "bob")
    assert client.post("/2fa/verify", {"code": codes[0]}).status_code == 400
    assert client.get("/").status_code == 302


def test_a_verify_page_is_for_this_institutions_session_only(world):
    client = password_sign_in(world.host_a, "bob")
    enrol(client, world.tenant_a.schema_name, "bob")
    client = password_sign_in(world.host_a, "bob")
    other = Client(HTTP_HOST=world.host_b, HTTP_COOKIE=client.cookies.output(header="", sep=";"))
    answer = other.get("/2fa/verify")
    assert answer.status_code == 302 and answer["Location"] == "/signin"
    assert Client(HTTP_HOST=world.host_b).get("/2fa/enrol")["Location"] == "/signin"


def test_the_policy_for_admins_forces_them_to_enrol(world, policy_reset, bearer):
    answer = Client(HTTP_HOST=world.host_a).patch(
        "/api/v1/admin/signin",
        {"two_factor": "admins"},
        content_type="application/json",
        **bearer(world.admin_a),
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["two_factor"] == "admins"
    admin = password_sign_in(world.host_a, "alpha-admin")
    answer = admin.get("/manage/people/")
    assert answer["Location"] == "/2fa/enrol?next=/manage/people/"
    assert b"must sign in with a second factor" in admin.get("/2fa/enrol").content
    # Members are not asked.
    alice = password_sign_in(world.host_a, "alice")
    assert alice.get("/people/").status_code == 200
    enrol(admin, world.tenant_a.schema_name, "alpha-admin")
    assert admin.get("/manage/people/").status_code == 200


def test_the_policy_for_everyone_and_bad_input(world, policy_reset, bearer):
    headers = bearer(world.admin_a)
    client = Client(HTTP_HOST=world.host_a)
    for body in ({"two_factor": "sometimes"}, {}):
        answer = client.patch(
            "/api/v1/admin/signin", body, content_type="application/json", **headers
        )
        assert answer.status_code == 400
        assert answer["Content-Type"] == "application/problem+json"
    assert client.get("/api/v1/admin/signin", **bearer(world.alice)).status_code == 403
    assert Client(HTTP_HOST=world.host_b).get("/api/v1/admin/signin", **headers).status_code == 401
    answer = client.patch(
        "/api/v1/admin/signin",
        {"two_factor": "everyone"},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 200
    alice = password_sign_in(world.host_a, "alice")
    assert alice.get("/people/")["Location"] == "/2fa/enrol?next=/people/"
    with schema_context(world.tenant_a.schema_name):
        assert alice.session[SESSION_PENDING] == "enrol"


def test_the_manage_page_sets_the_policy(world, policy_reset):
    admin = Client(HTTP_HOST=world.host_a)
    with schema_context(world.tenant_a.schema_name):
        admin.force_login(world.admin_a)
    answer = admin.post(
        "/manage/signin", {"section": "two_factor", "two_factor-two_factor": "everyone"}
    )
    assert answer.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        assert InstitutionProfile.objects.get().two_factor == "everyone"


def test_tokens_keep_working_but_issuing_one_needs_a_fresh_factor(world, bearer):
    host, schema = world.host_a, world.tenant_a.schema_name
    headers = bearer(world.bob)  # issued before Bob enrols
    client = password_sign_in(host, "bob")
    device, _codes = enrol(client, schema, "bob")
    # The existing token is unaffected.
    api = Client(HTTP_HOST=host)
    assert api.get("/api/v1/me", **headers).status_code == 200
    # A new token: with the bearer token alone, a code is needed.
    answer = api.post(
        "/api/v1/me/tokens/", {"name": "x"}, content_type="application/json", **headers
    )
    assert answer.status_code == 403
    assert "second factor" in answer.json()["detail"]
    answer = api.post(
        "/api/v1/me/tokens/",
        {"name": "x", "otp": code_for(device, 1)},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 201
    # The session that just proved its factor may issue one without a code.
    answer = client.post("/api/v1/me/tokens/", {"name": "y"}, content_type="application/json")
    assert answer.status_code == 201
    # A password alone no longer buys a token.
    answer = api.post(
        "/api/v1/auth/token",
        {"username": "bob", "password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 403
    answer = api.post(
        "/api/v1/auth/token",
        {"username": "bob", "password": PASSWORD, "otp": code_for(device, 2)},
        content_type="application/json",
    )
    assert answer.status_code == 201


def test_platform_admins_must_enrol_before_using_the_console(world):
    from tenant_apps.people.services import user_create

    user_create(username="root2fa", password=PASSWORD, is_admin=True)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    answer = client.post("/console/login", {"username": "root2fa", "password": PASSWORD})
    assert answer.status_code == 302
    answer = client.get("/console/")
    assert answer["Location"] == "/2fa/enrol?next=/console/"
    assert client.get("/api/v1/platform/tenants/").status_code == 403
    device, _codes = enrol(client, "public", "root2fa")
    assert client.get("/console/").status_code == 200
    # Issuing a console token later needs a fresh factor.
    session = client.session
    session["oae_2fa_at"] = int(time.time()) - 3600
    session.save()
    assert client.get("/console/").status_code == 200
    answer = client.post("/console/tokens/", {"name": "ci"})
    assert answer["Location"] == "/2fa/verify?next=/console/tokens/"
    assert client.post("/2fa/verify", {"code": code_for(device, 1)}).status_code == 302
    assert client.post("/console/tokens/", {"name": "ci"}).status_code == 201


def test_an_admin_resets_a_lost_authenticator(world, bearer, django_assert_max_num_queries):
    host, schema = world.host_a, world.tenant_a.schema_name
    client = password_sign_in(host, "bob")
    enrol(client, schema, "bob")
    admin = Client(HTTP_HOST=host)
    with schema_context(schema):
        admin.force_login(world.admin_a)
    url = f"/manage/people/{world.bob.public_id}/two-factor-reset"
    assert admin.get(url).status_code == 405
    with django_assert_max_num_queries(15):
        answer = admin.post(url)
    assert answer["Location"] == f"/manage/people/{world.bob.public_id}"
    with schema_context(schema):
        assert not TOTPDevice.objects.filter(user=world.bob).exists()
        from tenant_apps.institution.models import AdminAction

        assert AdminAction.objects.filter(
            verb="person.two_factor_reset", target=world.bob.public_id
        ).exists()
    # Bob signs in with his password alone again (nobody requires a second factor).
    bob = password_sign_in(host, "bob")
    assert bob.get("/people/").status_code == 200

    api = f"/api/v1/admin/people/{world.bob.public_id}/two-factor"
    assert Client(HTTP_HOST=host).delete(api, **bearer(world.admin_a)).status_code == 204
    assert Client(HTTP_HOST=host).delete(api, **bearer(world.alice)).status_code == 403
    # Another institution's admin holding the id: 404 there, nothing changed here.
    other = f"/api/v1/admin/people/{world.charlie.public_id}/two-factor"
    assert Client(HTTP_HOST=host).delete(other, **bearer(world.admin_a)).status_code == 404
    assert (
        admin.post(f"/manage/people/{world.charlie.public_id}/two-factor-reset").status_code == 404
    )
