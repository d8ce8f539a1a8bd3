"""Start the test SAML identity provider in its own process (for the sign-in and e2e tests)."""

from __future__ import annotations

import contextlib
import datetime
import html
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class IdentityProvider:
    base: str
    password: str

    @property
    def entity_id(self) -> str:
        return f"{self.base}/metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/metadata"

    def metadata(self) -> str:
        answer = requests.get(self.metadata_url, timeout=10)
        answer.raise_for_status()
        return answer.text

    def register(self, sp_metadata: str) -> None:
        """Make a service provider known to the identity provider (by its metadata)."""
        answer = requests.post(f"{self.base}/register", data=sp_metadata.encode(), timeout=10)
        assert answer.status_code == 204, answer.text[:500]

    def sign_in(self, location: str, username: str) -> dict[str, str]:
        """Sign in at the identity provider's page ``location`` (where the service provider
        sent the browser) as ``username``; return the form it posts back: {"action",
        "SAMLResponse", "RelayState"}."""
        parts = urlsplit(location)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        answer = requests.post(
            f"{self.base}/sso/login",
            data={
                "username": username,
                "password": self.password,
                "SAMLRequest": query["SAMLRequest"],
                "RelayState": query.get("RelayState", ""),
            },
            timeout=20,
        )
        assert answer.status_code == 200, answer.text[:1000]
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', answer.text))
        action = re.search(r'action="([^"]+)"', answer.text).group(1)
        return {
            "action": html.unescape(action),
            "SAMLResponse": fields["SAMLResponse"],
            "RelayState": html.unescape(fields.get("RelayState", "")),
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key_and_certificate(workdir: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test identity provider")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = workdir / "idp.key", workdir / "idp.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@contextlib.contextmanager
def saml_idp_running(
    workdir: Path, *, people: list[dict], password: str
) -> Iterator[IdentityProvider]:
    """An identity provider on a free loopback port with these people; stopped after."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    key_file, cert_file = _key_and_certificate(workdir)
    config = workdir / "idp.json"
    config.write_text(
        json.dumps(
            {
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "password": password,
                "people": people,
            }
        )
    )
    log_path = workdir / "idp.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.saml_idp.serve", str(port), str(config)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{base}/metadata", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the test SAML identity provider did not start:\n"
                        + log_path.read_text()[-3000:]
                    )
                time.sleep(0.2)
            yield IdentityProvider(base=base, password=password)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
