"""The outbound guard: no connection inward unless the operator allows the network.

The test stack allows 127.0.0.0/8 (its LDAP server and OpenID provider run there);
every test here clears or narrows that allow-list with the ``settings`` fixture.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import mozilla_django_oidc.auth
import pytest
import requests

from config.outbound import OutboundRefused, check_host, check_url, url_problem


@pytest.fixture(autouse=True)
def _nothing_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


@contextmanager
def listener(host: str = "127.0.0.1", answer: bytes = b"") -> Iterator[tuple[int, list]]:
    """A TCP server on ``host`` counting the connections it gets (and answering ``answer``)."""
    server = socket.create_server((host, 0))
    server.settimeout(0.2)
    connections: list = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            connections.append(conn)
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    if answer:
                        conn.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], connections
    finally:
        stop.set()
        thread.join(2)
        server.close()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "localhost",
        "LOCALHOST.",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared address space (CGNAT)
        "169.254.169.254",  # cloud metadata
        "metadata.google.internal",
        "metadata.google.internal.",  # a trailing dot
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "::1",
        "[::1]",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "2130706433",  # 127.0.0.1 as one number
        "0x7f.1",
        "0177.0.0.1",
        "127.0.0.1.nip.io",
        "10-0-0-1.sslip.io",
        "app.192.168.0.5.nip.io",
        "7f000001.nip.io",
        "printer.local",
        "ldap",  # a bare name: only a local resolver knows it
    ],
)
def test_inward_addresses_are_refused(host):
    with pytest.raises(OutboundRefused):
        check_host(host, require_resolution=False)
    with pytest.raises(OutboundRefused):
        check_host(host, resolve=False)


@pytest.mark.parametrize("host", ["93.184.215.14", "2606:4700::1111", "8.8.8.8.nip.io"])
def test_public_addresses_pass(host):
    check_host(host, resolve=False)


def test_a_name_that_does_not_resolve_passes_at_save_time_but_not_at_connect_time():
    check_host("ldap.does-not-exist.invalid", require_resolution=False)
    with pytest.raises(OutboundRefused):
        check_host("ldap.does-not-exist.invalid", require_resolution=True)


def test_the_operator_allow_list_admits_its_networks_only(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "127.0.0.0/8"]
    check_host("10.20.3.4")
    check_host("127.0.0.1")
    check_host("localhost")  # resolves into the allowed network
    with pytest.raises(OutboundRefused):
        check_host("10.21.0.1")
    with pytest.raises(OutboundRefused):
        check_host("169.254.169.254")
    # Links people follow ignore the operator's list.
    with pytest.raises(OutboundRefused):
        check_url("http://10.20.3.4/", resolve=False, use_allow_list=False)


def test_the_save_time_check_says_what_is_wrong():
    assert "inside the platform's own network" in url_problem("https://169.254.169.254/latest")
    assert "ldap" in url_problem("http://ldap.example.edu", schemes=("ldap", "ldaps"))
    assert url_problem("https://93.184.215.14/token") is None


def test_the_oidc_library_cannot_post_to_a_refused_address():
    with listener() as (port, connections), pytest.raises(requests.ConnectionError):
        mozilla_django_oidc.auth.requests.post(
            f"http://127.0.0.1:{port}/token", data={"client_secret": "s3cret"}, timeout=2
        )
    assert connections == []


def test_a_redirect_to_a_refused_address_is_not_followed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with listener("127.0.0.2") as (inner_port, inner_connections):
        redirect = (
            "HTTP/1.1 307 Temporary Redirect\r\n"
            f"Location: http://127.0.0.2:{inner_port}/steal\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n"
        ).encode()
        with (
            listener("127.0.0.1", answer=redirect) as (port, connections),
            pytest.raises(requests.ConnectionError),
        ):
            mozilla_django_oidc.auth.requests.post(
                f"http://127.0.0.1:{port}/token", data={"client_secret": "s3cret"}, timeout=2
            )
        assert len(connections) == 1  # the allowed server was asked
    assert inner_connections == []  # the refused one never was
