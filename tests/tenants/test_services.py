"""Provisioning an institution: schema, subdomain and profile, or nothing at all."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from tenants.models import Domain, Tenant
from tenants.services import schema_name_for_slug, tenant_create, validate_slug

pytestmark = pytest.mark.django_db


def test_it_provisions_a_routable_institution(settings):
    tenant = tenant_create(slug="gamma", name="  Gamma Institute ")
    assert tenant.schema_name == "t_gamma"
    assert schema_exists("t_gamma")
    assert tenant.domains.get().domain == f"gamma.{settings.PLATFORM_DOMAIN}"
    assert connection.schema_name == "public"
    response = Client(HTTP_HOST=f"gamma.{settings.PLATFORM_DOMAIN}").get("/api/v1/institution")
    assert response.json() == {
        "name": "Gamma Institute",
        "slug": "gamma",
        "primary_colour": "#1f4e8c",
    }


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "lower-case letters"),
        ("Has Spaces", "lower-case letters"),
        ("-leading", "lower-case letters"),
        ("trailing-", "lower-case letters"),
        ("under_score", "lower-case letters"),
        ("x" * 41, "lower-case letters"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("api", "reserved"),
        ("alpha", "already taken"),
    ],
)
def test_it_refuses_a_bad_subdomain_with_a_clear_message(world, slug, message):
    with pytest.raises(ValidationError, match=message):
        validate_slug(slug)


def test_it_refuses_an_empty_name():
    with pytest.raises(ValidationError, match="needs a name"):
        tenant_create(slug="nameless", name="   ")
    assert not Tenant.objects.filter(slug="nameless").exists()
    assert not schema_exists("t_nameless")


def test_a_failure_after_the_schema_leaves_nothing_behind(world, settings):
    # The hostname is already someone else's: the domain step fails.
    Domain.objects.create(domain=f"delta.{settings.PLATFORM_DOMAIN}", tenant=world.tenant_a)
    with pytest.raises(Exception, match="duplicate key"):
        tenant_create(slug="delta", name="Delta")
    assert not Tenant.objects.filter(slug="delta").exists()
    assert not schema_exists("t_delta")
    assert connection.schema_name == "public"


def test_schema_names_are_one_to_one_with_slugs():
    assert schema_name_for_slug("st-andrews") == "t_st_andrews"
    assert len(schema_name_for_slug("x" * 40)) <= 63
