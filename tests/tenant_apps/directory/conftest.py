"""A real OpenID Connect provider (django-oauth-toolkit) in its own process on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD

REPO = Path(__file__).resolve().parents[3]
CLIENT_ID = "oae-test-client"
CLIENT_SECRET = "oae-test-client-secret-0123456789"
# The provider's people: "dana" has no account here yet; "alice.sso" shares Alice's address.
PEOPLE = [
    {"username": "dana", "password": PASSWORD, "email": "dana@example.edu", "name": "Dana Dale"},
    {
        "username": "alice.sso",
        "password": PASSWORD,
        "email": "alice@example.edu",
        "name": "Alice (SSO)",
    },
    {
        "username": "mallory",
        "password": PASSWORD,
        "email": "alice@example.edu",
        "name": "Mallory",
        "email_verified": False,
    },
]


@dataclass(frozen=True)
class Provider:
    base: str

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"

    def settings(self, **overrides) -> dict:
        values = {
            "enabled": True,
            "label": "Test Provider",
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base}/o/authorize/",
            "token_endpoint": f"{self.base}/o/token/",
            "userinfo_endpoint": f"{self.base}/o/userinfo/",
            "jwks_uri": f"{self.base}/o/.well-known/jwks.json",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "sign_algorithm": "RS256",
        }
        values.update(overrides)
        return values

    def approve(self, authorize_url: str, username: str) -> str:
        """Sign in at the provider as ``username`` and return where it sends the browser back."""
        browser = requests.Session()
        page = browser.get(f"{self.base}/login/", timeout=10)
        page.raise_for_status()
        next_path = authorize_url.removeprefix(self.base)
        answer = browser.post(
            f"{self.base}/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": next_path,
            },
            headers={"Referer": f"{self.base}/login/"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text[:500]
        answer = browser.get(
            self.base + answer.headers["Location"], allow_redirects=False, timeout=10
        )
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Provider:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    workdir = tmp_path_factory.mktemp("oidc-provider")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [
                    f"http://{slug}.localhost/oidc/callback" for slug in ("alpha", "beta")
                ],
                "people": PEOPLE,
            }
        )
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(workdir / "provider.sqlite3"),
        "OIDC_PROVIDER_KEY": key.decode(),
        "OIDC_PROVIDER_ISSUER": f"{base}/o",
        "PYTHONPATH": str(REPO),
    }
    log = (workdir / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port), str(config)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/o/.well-known/openid-configuration", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail(
                "the test OpenID Connect provider did not start:\n"
                + (workdir / "provider.log").read_text()[-3000:]
            )
        time.sleep(0.2)
    yield Provider(base=base)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
