"""SAML 2.0 sign-in end to end against a real identity provider (tests/saml_idp, pysaml2)
on loopback: signed assertions, audience, replay, matching by (IdP, identity)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.directory.models import ExternalIdentity, SamlRequest, SamlSettings
from tenant_apps.directory.services import saml_settings_set
from tenant_apps.institution.models import AdminAction
from tenant_apps.people.models import User

pytestmark = pytest.mark.django_db


def configure(world, idp, schema=None, **overrides) -> None:
    """Switch SAML on in an institution (alpha unless named) and register it with the IdP."""
    schema = schema or world.tenant_a.schema_name
    host = world.host_a if schema == world.tenant_a.schema_name else world.host_b
    values = {"enabled": True, "label": "Test IdP", "idp_metadata_url": idp.metadata_url}
    values.update(overrides)
    with schema_context(schema):
        saml_settings_set(actor=None, **values)
    idp.register(Client().get("/saml/metadata", HTTP_HOST=host).content.decode())


def start(client: Client, host: str, next_path: str = "/") -> str:
    answer = client.get("/saml/start", {"next": next_path}, HTTP_HOST=host)
    assert answer.status_code == 302, answer.content[:300]
    return answer["Location"]


def post_back(client: Client, host: str, form: dict):
    return client.post(
        urlsplit(form["action"]).path,
        {"SAMLResponse": form["SAMLResponse"], "RelayState": form["RelayState"]},
        HTTP_HOST=host,
    )


def sign_in_saml(world, idp, username: str, *, host=None, next_path="/"):
    host = host or world.host_a
    client = Client()
    form = idp.sign_in(start(client, host, next_path), username)
    return client, post_back(client, host, form), form


def me(client: Client, host: str):
    return client.get("/api/v1/me", HTTP_HOST=host)


def test_the_service_provider_metadata_is_at_a_stable_address(world):
    answer = Client().get("/saml/metadata", HTTP_HOST=world.host_a)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/samlmetadata+xml"
    body = answer.content.decode()
    assert f'entityID="http://{world.host_a}/saml/metadata"' in body
    assert f"http://{world.host_a}/saml/acs" in body
    assert 'WantAssertionsSigned="true"' in body
    other = Client().get("/saml/metadata", HTTP_HOST=world.host_b).content.decode()
    assert f'entityID="http://{world.host_b}/saml/metadata"' in other


def test_a_new_person_signs_in_and_gets_an_account(world, saml_idp):
    configure(world, saml_idp)
    client, answer, _ = sign_in_saml(world, saml_idp, "sam", next_path="/people/")
    assert answer.status_code == 302
    assert answer["Location"] == "/people/"
    profile = me(client, world.host_a).json()
    assert profile["display_name"] == "Sam Saml"
    with schema_context(world.tenant_a.schema_name):
        sam = User.objects.get(public_id=profile["id"])
        assert sam.username == "sam"
        assert sam.email == "sam@example.edu"
        assert not sam.has_usable_password()
        identity = ExternalIdentity.objects.get(user=sam)
        assert identity.issuer == f"saml:{saml_idp.entity_id}"
        assert identity.subject == "sam@idp.example.edu"
        assert not SamlRequest.objects.exists()  # the request was answered and forgotten
    # The second time, the same account (matched by the IdP and the identity).
    client2, _, _ = sign_in_saml(world, saml_idp, "sam")
    assert me(client2, world.host_a).json()["id"] == profile["id"]
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.filter(external_identities__subject="sam@idp.example.edu").count() == 1


def test_a_persistent_name_id_can_be_the_identity(world, saml_idp):
    configure(world, saml_idp, identity="persistent")
    client, answer, _ = sign_in_saml(world, saml_idp, "sam")
    assert answer["Location"] == "/"
    with schema_context(world.tenant_a.schema_name):
        identity = ExternalIdentity.objects.get(subject="p-7a1c9e")
        assert identity.user.public_id == me(client, world.host_a).json()["id"]


def test_an_email_address_never_claims_an_existing_account(world, saml_idp):
    configure(world, saml_idp)
    client, _, _ = sign_in_saml(world, saml_idp, "alice.saml")
    assert me(client, world.host_a).json()["id"] != world.alice.public_id


def test_an_unsigned_assertion_is_refused(world, saml_idp):
    configure(world, saml_idp)
    client, answer, _ = sign_in_saml(world, saml_idp, "unsigned")
    assert answer["Location"] == "/signin?saml=failed"
    assert me(client, world.host_a).status_code in (401, 403)
    with schema_context(world.tenant_a.schema_name):
        assert not User.objects.filter(username="unsigned").exists()
    page = client.get("/signin?saml=failed", HTTP_HOST=world.host_a)
    assert b"did not complete" in page.content


def test_a_replayed_answer_is_refused(world, saml_idp):
    configure(world, saml_idp)
    _client, answer, form = sign_in_saml(world, saml_idp, "sam")
    assert answer["Location"] == "/"
    replay = Client()
    assert post_back(replay, world.host_a, form)["Location"] == "/signin?saml=failed"
    assert me(replay, world.host_a).status_code in (401, 403)


def test_an_assertion_for_another_institution_is_refused(world, saml_idp):
    """Beta asked, the IdP answered Beta; posted to Alpha's consumer it signs in nobody, even
    when Alpha has an outstanding request with the same id (the audience is Beta's)."""
    configure(world, saml_idp)
    configure(world, saml_idp, schema=world.tenant_b.schema_name)
    client = Client()
    form = saml_idp.sign_in(start(client, world.host_b), "sam")
    assert world.host_b in form["action"]
    with schema_context(world.tenant_b.schema_name):
        request_id = SamlRequest.objects.get().request_id
    with schema_context(world.tenant_a.schema_name):
        SamlRequest.objects.create(request_id=request_id)
    answer = client.post(
        "/saml/acs", {"SAMLResponse": form["SAMLResponse"]}, HTTP_HOST=world.host_a
    )
    assert answer["Location"] == "/signin?saml=failed"
    assert me(client, world.host_a).status_code in (401, 403)
    with schema_context(world.tenant_a.schema_name):
        assert not User.objects.filter(username="sam").exists()
    # Beta itself accepts it.
    assert post_back(Client(), world.host_b, form)["Location"] == "/"


def test_an_unsolicited_or_forged_answer_is_refused(world, saml_idp):
    configure(world, saml_idp)
    client = Client()
    form = saml_idp.sign_in(start(client, world.host_a), "sam")
    with schema_context(world.tenant_a.schema_name):
        SamlRequest.objects.all().delete()  # as if this institution never asked
    assert post_back(client, world.host_a, form)["Location"] == "/signin?saml=failed"
    for junk in ("", "bm90IHhtbA==", "<<<"):
        answer = client.post("/saml/acs", {"SAMLResponse": junk}, HTTP_HOST=world.host_a)
        assert answer["Location"] == "/signin?saml=failed"


def test_a_deactivated_person_and_unknown_people_without_creation_are_refused(world, saml_idp):
    configure(world, saml_idp)
    client, _, _ = sign_in_saml(world, saml_idp, "sam")
    sam_id = me(client, world.host_a).json()["id"]
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(public_id=sam_id).update(is_active=False)
    _, answer, _ = sign_in_saml(world, saml_idp, "sam")
    assert answer["Location"] == "/signin?saml=failed"
    configure(world, saml_idp, create_people=False)
    _, answer, _ = sign_in_saml(world, saml_idp, "alice.saml")
    assert answer["Location"] == "/signin?saml=failed"


def test_start_and_acs_are_404_without_saml(world):
    assert Client().get("/saml/start", HTTP_HOST=world.host_a).status_code == 404
    assert Client().post("/saml/acs", HTTP_HOST=world.host_a).status_code == 404


def test_the_sign_in_page_offers_the_identity_provider(world, saml_idp):
    assert b"/saml/start" not in Client().get("/signin", HTTP_HOST=world.host_a).content
    configure(world, saml_idp)
    page = Client().get("/signin?next=/people/", HTTP_HOST=world.host_a)
    assert b"Sign in with Test IdP" in page.content
    assert b"/saml/start?next=/people/" in page.content


def test_admin_api_configures_saml_with_clear_errors(world, saml_idp, bearer):
    headers = bearer(world.admin_a)
    url = "/api/v1/admin/signin/saml"
    answer = Client().get(url, HTTP_HOST=world.host_a, **headers)
    assert answer.status_code == 200
    assert answer.json()["sp_entity_id"] == f"http://{world.host_a}/saml/metadata"
    for body, field in (
        ({"enabled": True}, "idp_metadata_xml"),
        ({"idp_metadata_xml": "<not metadata"}, "idp_metadata_xml"),
        ({"idp_metadata_url": "http://169.254.169.254/latest"}, "idp_metadata_url"),
        ({"identity": "email"}, "identity"),
    ):
        answer = Client().patch(
            url, body, content_type="application/json", HTTP_HOST=world.host_a, **headers
        )
        assert answer.status_code == 400, (body, answer.content)
        assert answer["Content-Type"] == "application/problem+json"
        assert field in answer.json()["errors"], answer.json()
    with schema_context(world.tenant_a.schema_name):
        assert not SamlSettings.objects.exists()  # nothing half-written
    answer = Client().patch(
        url,
        {"enabled": True, "idp_metadata_xml": saml_idp.metadata(), "label": "Alpha IdP"},
        content_type="application/json",
        HTTP_HOST=world.host_a,
        **headers,
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["idp_entity_id"] == saml_idp.entity_id
    methods = Client().get("/api/v1/admin/signin", HTTP_HOST=world.host_a, **headers).json()
    assert methods["saml"] is True
    with schema_context(world.tenant_a.schema_name):
        action = AdminAction.objects.filter(verb="signin.saml_updated").latest("id")
        assert "idp_metadata_xml" in action.details["changed"]


def test_admin_api_is_for_this_institutions_admins_only(world, bearer):
    url = "/api/v1/admin/signin/saml"
    assert Client().get(url, HTTP_HOST=world.host_a).status_code in (401, 403)
    assert Client().get(url, HTTP_HOST=world.host_a, **bearer(world.alice)).status_code == 403
    # Alpha's admin's token is worthless on Beta's host.
    answer = Client().get(url, HTTP_HOST=world.host_b, **bearer(world.admin_a))
    assert answer.status_code == 401


def test_the_manage_page_saves_saml_from_a_metadata_address(
    world, saml_idp, django_assert_max_num_queries
):
    client = Client()
    with schema_context(world.tenant_a.schema_name):
        client.force_login(world.admin_a)
    with django_assert_max_num_queries(20):
        page = client.get("/manage/signin", HTTP_HOST=world.host_a)
    assert page.status_code == 200
    assert f"http://{world.host_a}/saml/metadata".encode() in page.content
    answer = client.post(
        "/manage/signin",
        {
            "section": "saml",
            "saml-enabled": "on",
            "saml-label": "Alpha IdP",
            "saml-idp_metadata_url": saml_idp.metadata_url,
            "saml-idp_metadata_xml": "",
            "saml-identity": "eppn",
            "saml-create_people": "on",
        },
        HTTP_HOST=world.host_a,
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    with schema_context(world.tenant_a.schema_name):
        row = SamlSettings.objects.get()
        assert row.enabled and row.idp_entity_id == saml_idp.entity_id


def test_a_saml_sign_in_still_owes_the_second_factor_the_policy_asks_for(world, saml_idp):
    from tenant_apps.institution.models import InstitutionProfile

    configure(world, saml_idp)
    with schema_context(world.tenant_a.schema_name):
        InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).update(
            two_factor="everyone"
        )
    client, answer, _ = sign_in_saml(world, saml_idp, "sam", next_path="/people/")
    assert answer["Location"] == "/people/"
    assert client.get("/people/", HTTP_HOST=world.host_a)["Location"] == (
        "/2fa/enrol?next=/people/"
    )
    assert me(client, world.host_a).status_code == 403
