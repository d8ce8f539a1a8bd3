"""A real OpenID Connect provider (django-oauth-toolkit) in its own process on loopback."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.oidc_provider.runner import Provider, oidc_provider_running
from tests.saml_idp.runner import IdentityProvider, saml_idp_running

# The provider's people: "dana" has no account here yet; "alice.sso" shares Alice's address;
# "mallory" claims it too, but the provider never verified it.
PEOPLE = [
    {"username": "dana", "email": "dana@example.edu", "name": "Dana Dale"},
    {"username": "alice.sso", "email": "alice@example.edu", "name": "Alice (SSO)"},
    {
        "username": "mallory",
        "email": "alice@example.edu",
        "name": "Mallory",
        "email_verified": False,
    },
]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Provider:
    try:
        with oidc_provider_running(
            tmp_path_factory.mktemp("oidc-provider"),
            redirect_uris=[f"http://{slug}.localhost/oidc/callback" for slug in ("alpha", "beta")],
            people=PEOPLE,
            password=PASSWORD,
        ) as provider:
            yield provider
    except RuntimeError as error:
        pytest.fail(str(error))


# The SAML identity provider's people: "sam" has no account here yet; "alice.saml" has
# Alice's e-mail address; "unsigned" gets assertions without a signature.
SAML_PEOPLE = [
    {
        "username": "sam",
        "eppn": "sam@idp.example.edu",
        "persistent": "p-7a1c9e",
        "name": "Sam Saml",
        "mail": "sam@example.edu",
    },
    {
        "username": "alice.saml",
        "eppn": "alice.saml@idp.example.edu",
        "persistent": "p-alice",
        "name": "Alice (SAML)",
        "mail": "alice@example.edu",
    },
    {
        "username": "unsigned",
        "eppn": "unsigned@idp.example.edu",
        "persistent": "p-unsigned",
        "name": "Una Signed",
        "mail": "una@example.edu",
        "sign": False,
    },
]


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory) -> IdentityProvider:
    try:
        with saml_idp_running(
            tmp_path_factory.mktemp("saml-idp"), people=SAML_PEOPLE, password=PASSWORD
        ) as idp:
            yield idp
    except RuntimeError as error:
        pytest.fail(str(error))
