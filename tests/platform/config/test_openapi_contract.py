"""The OpenAPI document describes what the API really answers, checked by a client no one
here wrote: schemathesis generates requests for every operation of an institution's API
(a bounded number each) and fails on any 5xx, any undocumented status code, any response
whose content type or body does not match the document.

In process (Django's WSGI handler, in the test's transaction, which is rolled back), as
Alice with a bearer token, so the writes she may do really happen and are undone.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenant_apps.people.signin import LIMITER

EXAMPLES = 5  # per operation: the whole run stays well under two minutes
CLIENT_ADDRESS = "192.0.2.44"  # TEST-NET-1: its failed sign-ins throttle no other test
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_process():
    """Requests through the WSGI handler share the test's connection (and transaction), as
    Django's test client arranges: nothing may close it between requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _headers(meta: dict) -> dict:
    """The ``bearer`` fixture's test-client keys (HTTP_AUTHORIZATION) as HTTP headers."""
    return {
        key.removeprefix("HTTP_").replace("_", "-").title(): value for key, value in meta.items()
    }


def _schema(app, base_url: str):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, base_url=base_url)


@pytest.fixture
def known_ids(world) -> dict[str, dict[str, str]]:
    """Real ids for the path parameters, by the collection a path names, so that the
    generated requests reach Alice's own things (and not only 404s): an item with a
    comment, a group she manages with Bob invited, a thread with Bob, an invitation to
    connect, a token."""
    from tenant_apps.connections.services import connection_invite
    from tenant_apps.content.services import comment_create, content_add_link
    from tenant_apps.groups.services import group_create, group_invite
    from tenant_apps.messaging.services import message_send
    from tenant_apps.people.services import token_create

    alice, bob = world.alice, world.bob
    with schema_context(world.tenant_a.schema_name):
        item = content_add_link(
            actor=alice,
            url="https://example.org/rules",
            title="Rules",
            description="",
            tags=[],
            visibility="loggedin",
        )
        comment = comment_create(actor=alice, item=item, body="First!")
        group = group_create(actor=alice, title="Contract club")
        group_invite(actor=alice, group=group, person=bob)
        thread = message_send(actor=alice, to=[bob.public_id], subject="Hi", body="Hello")
        connection = connection_invite(actor=alice, person=bob)
        token, _secret = token_create(user=alice, name="spare")
    return {
        "content": {"public_id": item.public_id, "comment_id": comment.public_id},
        "groups": {"public_id": group.public_id, "person_id": alice.public_id},
        "messages": {"public_id": thread.public_id},
        "connections": {"public_id": connection.public_id, "person_id": bob.public_id},
        "people": {"public_id": bob.public_id},
        "admin": {"public_id": bob.public_id},
        "me": {"public_id": token.public_id},
    }


def _operations(schema) -> list:
    """Every operation; the ones that can take the known ids away (deleting, an admin
    deactivating Bob) last, so that the others still find them."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(
        operations,
        key=lambda op: (
            _collection(op.path) == "admin",
            op.method.upper() == "DELETE",
            -op.path.count("/"),
        ),
    )


def _collection(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/", 1)[0]


def _exercise(
    operation, *, base_url: str, headers: dict, known: dict[str, str], answered: set[int]
) -> None:
    calls = [0]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case) -> None:
        calls[0] += 1
        if calls[0] % 2 and case.path_parameters:  # every other request: real ids
            for name in case.path_parameters:
                if name in known:
                    case.path_parameters[name] = known[name]
        response = case.call(
            base_url=base_url, headers=headers, environ_base={"REMOTE_ADDR": CLIENT_ADDRESS}
        )
        answered.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    exercise()


def _run(
    schema, world, headers: dict, *, admin_headers: dict | None = None, known: dict | None = None
) -> tuple[dict[str, str], dict[str, set[int]]]:
    """Every operation of ``schema``, a few generated requests each (the admin's endpoints
    as the institution's admin): the failures by operation, and the statuses each answered."""
    base_url = f"http://{world.host_a}"
    failures: dict[str, str] = {}
    answered: dict[str, set[int]] = {}
    for operation in _operations(schema):
        codes = answered.setdefault(operation.label, set())
        collection = _collection(operation.path)
        as_whom = admin_headers if collection == "admin" and admin_headers else headers
        try:
            _exercise(
                operation,
                base_url=base_url,
                headers=as_whom,
                known=(known or {}).get(collection, {}),
                answered=codes,
            )
        except (Exception, BaseExceptionGroup) as failure:  # every verdict, then one report
            failures[operation.label] = str(failure)[:2000]
    with schema_context(world.tenant_a.schema_name):
        cache.delete(LIMITER._keys("", CLIENT_ADDRESS)[1])  # this address's failed sign-ins
    return failures, answered


@pytest.mark.django_db
def test_every_operation_answers_as_the_openapi_document_says(world, bearer, in_process, known_ids):
    schema = _schema(in_process, f"http://{world.host_a}")
    failures, answered = _run(
        schema,
        world,
        _headers(bearer(world.alice)),
        admin_headers=_headers(bearer(world.admin_a)),
        known=known_ids,
    )
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    # It really ran: every operation answered, and reads succeeded for Alice.
    assert len(answered) > 70
    assert all(answered.values())
    succeeded = [label for label, codes in answered.items() if any(c < 300 for c in codes)]
    assert len(succeeded) >= 50, answered


@pytest.mark.django_db
def test_it_fails_on_a_status_the_document_does_not_list(world, bearer, in_process):
    """The check can fail: with the 404 left out of the document, asking for a person
    nobody may see is reported."""
    raw = _schema(in_process, f"http://{world.host_a}").raw_schema
    label = "GET /api/v1/people/{public_id}"
    operation = raw["paths"]["/api/v1/people/{public_id}"]["get"]
    del operation["responses"]["404"]
    raw["paths"] = {"/api/v1/people/{public_id}": {"get": operation}}
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = in_process
    failures, answered = _run(schema, world, _headers(bearer(world.alice)))
    assert 404 in answered[label]
    assert label in failures
