"""A bounded fuzz of every API operation: hostile input answers 4xx, never 5xx.

Every operation of both OpenAPI schemas (an institution's API and the platform's) is
sent path ids, query parameters and JSON bodies drawn by hypothesis from hostile
values: NUL bytes, lone surrogates, oversized strings and numbers, JSON nested far
deeper than anyone needs. The requests are made by an administrator (of the
institution, of the platform) so that they get past authentication into the
views; each test runs in a rolled-back transaction.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tenant_apps.people.services import token_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 15
METHODS = ("get", "post", "put", "patch", "delete")
# Query parameters that lists and searches take, whether or not an operation declares them.
COMMON_QUERY = ("q", "tag", "after", "version", "cursor", "scope", "page_size")

_nul_text = st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=8), st.text(max_size=8))
_surrogate_text = st.builds(lambda a: f"{a}\ud800", st.text(max_size=8))
_oversized_text = st.integers(min_value=5_000, max_value=70_000).map(lambda n: "x" * n)
HOSTILE_TEXT = st.one_of(_nul_text, _surrogate_text, _oversized_text)
ANY_TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=30))
HUGE_NUMBER = st.one_of(
    st.sampled_from([2**63, -(2**63) - 1, 2**200, -1, 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
)
DEEP = st.integers(min_value=70, max_value=3_000).map(lambda n: "[" * n + "]" * n)


def _operations(urlconf: str) -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, item in sorted(schema["paths"].items())
        for method, operation in item.items()
        if method in METHODS
    ]


def _body_properties(operation: dict, components: dict) -> dict:
    content = (operation.get("requestBody") or {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema.get("properties", {})


def _value_for(prop: dict, text: st.SearchStrategy) -> st.SearchStrategy:
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return st.one_of(HUGE_NUMBER, text)
    if kind == "array":
        return st.one_of(st.lists(text, max_size=3), st.just([[[[]]]]), text)
    if kind == "object":
        return st.one_of(st.dictionaries(text, text, max_size=3), text)
    return st.one_of(text, st.none(), st.lists(text, max_size=2))


def _request(draw, path: str, operation: dict, components: dict, text) -> tuple[str, str | None]:
    """(address with query, raw JSON body or None)."""
    address = re.sub(
        r"\{[^}]+\}",
        lambda _m: quote(draw(text).encode("utf-8", "surrogatepass"), safe=""),
        path,
    )
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    query = {
        name: draw(text).encode("utf-8", "surrogatepass")
        for name in sorted(names | set(COMMON_QUERY))
        if draw(st.booleans())
    }
    if query:
        address += "?" + urlencode(query)
    props = _body_properties(operation, components)
    if not props and not operation.get("requestBody"):
        return address, None
    if draw(st.integers(0, 4)) == 0:
        return address, draw(DEEP)
    body = {name: draw(_value_for(prop, text)) for name, prop in props.items()}
    return address, json.dumps(body)  # ensure_ascii: lone surrogates travel as \ud800


def _fuzz(client: Client, urlconf: str, text) -> None:
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    failures: list[str] = []

    def prober(path: str, method: str, operation: dict):
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def probe(data):
            address, body = _request(data.draw, path, operation, components, text)
            kwargs = {"content_type": "application/json"} if body is not None else {}
            args = (body,) if body is not None else ()
            response = getattr(client, method)(address, *args, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {address[:120]} -> {response.status_code}")

        return probe

    for path, method, operation in _operations(urlconf):
        prober(path, method, operation)()
    assert failures == [], "\n".join(sorted(set(failures)))


def test_no_operation_of_the_institution_api_answers_5xx(world):
    client = Client(HTTP_HOST=world.host_a, raise_request_exception=False)
    sign_in(client, world.admin_a, world.tenant_a)
    _fuzz(client, "config.urls_tenant", ANY_TEXT)


def test_no_operation_of_the_platform_api_answers_5xx(world):
    from tests.shared_apps.console.conftest import _account

    admin = _account("fuzz-root", password=None, is_admin=True)
    raw = token_create(user=admin, name="fuzz")[1]
    client = Client(
        HTTP_HOST=settings.PLATFORM_DOMAIN,
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        raise_request_exception=False,
    )
    # Only hostile strings here: a valid slug and name would provision an institution.
    _fuzz(client, "config.urls_public", HOSTILE_TEXT)
