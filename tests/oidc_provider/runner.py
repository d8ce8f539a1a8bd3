"""Start the test OpenID Connect provider in its own process (for the sign-in and e2e tests)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "oae-test-client"
CLIENT_SECRET = "oae-test-client-secret-0123456789"


@dataclass(frozen=True)
class Provider:
    base: str
    password: str

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"

    def settings(self, **overrides) -> dict:
        """OidcSettings values pointing at this provider."""
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
        answer = browser.post(
            f"{self.base}/login/",
            data={
                "username": username,
                "password": self.password,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": authorize_url.removeprefix(self.base),
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


@contextlib.contextmanager
def oidc_provider_running(
    workdir: Path, *, redirect_uris: list[str], people: list[dict], password: str
) -> Iterator[Provider]:
    """A provider on a free loopback port with these people and one client; stopped after."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

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
                "redirect_uris": redirect_uris,
                "people": [{"password": password, **person} for person in people],
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
    log_path = workdir / "provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", str(port), str(config)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{base}/o/.well-known/openid-configuration", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the test OpenID Connect provider did not start:\n"
                        + log_path.read_text()[-3000:]
                    )
                time.sleep(0.2)
            yield Provider(base=base, password=password)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
