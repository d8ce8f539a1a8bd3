"""A real SAML 2.0 identity provider (pysaml2) for the tests: ``python -m tests.saml_idp.serve
PORT CONFIG``.

CONFIG is a JSON file: {"key_file", "cert_file", "password", "people": [{"username",
"eppn", "persistent", "name", "mail", "sign"?}]}. Service providers register by POSTing
their metadata to /register. GET /sso/redirect (HTTP-Redirect binding) shows a sign-in
form; POST /sso/login answers with a page holding the signed assertion in a form that
posts it to the service provider (HTTP-POST binding; a "Continue" button, no script).
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import sys
import threading
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import (
    AUTHN_PASSWORD,
    NAME_FORMAT_URI,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    NameID,
)
from saml2.server import Server

LOCK = threading.Lock()
SP_METADATA: dict[str, str] = {}


def idp_config(base: str, config: dict) -> IdPConfig:
    values = {
        "entityid": f"{base}/metadata",
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": config["key_file"],
        "cert_file": config["cert_file"],
        "service": {
            "idp": {
                "name": "Test identity provider",
                "endpoints": {
                    "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]
                },
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 15},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    }
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                "want_authn_requests_signed": False,
            }
        },
    }
    with LOCK:
        if SP_METADATA:
            values["metadata"] = {"inline": list(SP_METADATA.values())}
    idp = IdPConfig()
    idp.load(values)
    return idp


def page(body: str, status: str = "200 OK"):
    document = (
        "<!doctype html><html><head><title>Test identity provider</title></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return status, [("Content-Type", "text/html; charset=utf-8")], document.encode()


def make_app(base: str, config: dict):
    people = {person["username"]: person for person in config["people"]}

    def app(environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = {
            key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()
        }
        form: dict[str, str] = {}
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            if path == "/register":
                xml = body.decode()
                entity_id = re.search(r'entityID="([^"]+)"', xml).group(1)
                with LOCK:
                    SP_METADATA[entity_id] = xml
                start_response("204 No Content", [])
                return [b""]
            form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if path == "/metadata":
            xml = str(entity_descriptor(idp_config(base, config))).encode()
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [xml]
        if path == "/sso/redirect" and method == "GET":
            saml_request = html.escape(query.get("SAMLRequest", ""))
            relay_state = html.escape(query.get("RelayState", ""))
            status, headers, document = page(
                "<h1>Test identity provider</h1>"
                f'<form method="post" action="{base}/sso/login">'
                '<label for="username">Username</label>'
                '<input id="username" name="username" autocomplete="username">'
                '<label for="password">Password</label>'
                '<input id="password" name="password" type="password">'
                f'<input type="hidden" name="SAMLRequest" value="{saml_request}">'
                f'<input type="hidden" name="RelayState" value="{relay_state}">'
                '<button type="submit">Sign in</button></form>'
            )
            start_response(status, headers)
            return [document]
        if path == "/sso/login" and method == "POST":
            person = people.get(form.get("username", ""))
            if person is None or form.get("password") != config["password"]:
                status, headers, document = page(
                    '<p role="alert">Wrong username or password.</p>', "403 Forbidden"
                )
                start_response(status, headers)
                return [document]
            server = Server(config=idp_config(base, config))
            request = server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
            args = server.response_args(request.message, [BINDING_HTTP_POST])
            destination = args["destination"]
            identity = {"displayName": [person["name"]], "mail": [person["mail"]]}
            if person.get("eppn"):
                identity["eduPersonPrincipalName"] = [person["eppn"]]
            name_id = NameID(
                format=NAMEID_FORMAT_PERSISTENT,
                sp_name_qualifier=args["sp_entity_id"],
                name_qualifier=f"{base}/metadata",
                text=person["persistent"],
            )
            response = server.create_authn_response(
                identity,
                in_response_to=args["in_response_to"],
                destination=destination,
                sp_entity_id=args["sp_entity_id"],
                name_id=name_id,
                userid=person["username"],
                authn={"class_ref": AUTHN_PASSWORD, "authn_auth": f"{base}/metadata"},
                sign_assertion=person.get("sign", True),
                sign_response=False,
            )
            relay_state = html.escape(form.get("RelayState", ""))
            encoded = base64.b64encode(str(response).encode()).decode()
            status, headers, document = page(
                "<h1>Signed in</h1>"
                f'<form method="post" action="{html.escape(destination)}">'
                f'<input type="hidden" name="SAMLResponse" value="{encoded}">'
                f'<input type="hidden" name="RelayState" value="{relay_state}">'
                '<button type="submit">Continue</button></form>'
            )
            start_response(status, headers)
            return [document]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        sys.stderr.write("saml-idp: " + format % args + "\n")


def main() -> None:
    port, config_path = int(sys.argv[1]), sys.argv[2]
    with open(config_path) as handle:
        config = json.load(handle)
    base = f"http://127.0.0.1:{port}"
    server = make_server(
        "127.0.0.1", port, make_app(base, config), ThreadingServer, handler_class=QuietHandler
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
