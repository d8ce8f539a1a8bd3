"""A real OpenID Connect provider (django-oauth-toolkit) in its own process on loopback."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.oidc_provider.runner import Provider, oidc_provider_running

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
