"""The backend issues SET search_path when, and only when, the applied path may differ."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tenant_apps.institution.models import InstitutionProfile

pytestmark = pytest.mark.django_db


def _sets(captured) -> int:
    return sum(q["sql"].startswith("SET search_path") for q in captured.captured_queries)


def test_switching_to_the_same_tenant_keeps_the_applied_path(world):
    connection.set_tenant(world.tenant_a)
    InstitutionProfile.objects.count()
    with CaptureQueriesContext(connection) as captured:
        connection.set_tenant(world.tenant_a)
        InstitutionProfile.objects.count()
    assert _sets(captured) == 0


def test_switching_tenants_sets_the_path_once(world):
    connection.set_tenant(world.tenant_a)
    InstitutionProfile.objects.count()
    with CaptureQueriesContext(connection) as captured:
        connection.set_tenant(world.tenant_b)
        assert InstitutionProfile.objects.get().name == "Beta College"
        assert InstitutionProfile.objects.get().name == "Beta College"
    assert _sets(captured) == 1


def _applied_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


def test_a_rolled_back_savepoint_does_not_leave_a_stale_path(world):
    connection.set_tenant(world.tenant_a)
    InstitutionProfile.objects.count()
    try:
        with transaction.atomic():
            connection.set_tenant(world.tenant_b)
            assert InstitutionProfile.objects.get().name == "Beta College"
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    # ROLLBACK TO SAVEPOINT reverted the database to alpha's path; the backend
    # must have noticed and applied beta's again before the next query.
    assert _applied_path() == "t_beta, public"
    assert InstitutionProfile.objects.get().name == "Beta College"
