"""The console's institution search and the sign-in page's institution finder are planned
for their words, never run as prepared statements (see tests/tenant_apps/people/test_plans.py:
a generic plan for ``ILIKE`` made for a frequent word reads everything for a rare one)."""

from __future__ import annotations

import pytest

from config.keyset import keyset_page
from shared_apps.console.selectors import console_tenants, tenant_sorted
from shared_apps.site.selectors import institutions_find
from tests.autocommit import autocommit_default, prepared_texts

WORDS = ["alp", "beta", "a", "zzyzx", "Univ", "coll", "e"] * 2


@pytest.fixture
def autocommit_public(world, django_db_blocker):
    with django_db_blocker.unblock(), autocommit_default() as wrapper:
        yield wrapper


def _searches(wrapper) -> list[str]:
    return [text for text in prepared_texts(wrapper) if "LIKE" in text]


def test_the_console_search_is_never_prepared(world, autocommit_public):
    for word in WORDS:
        tenants, ordering = tenant_sorted(console_tenants(search=word), "name")
        page = keyset_page(tenants, ordering=ordering, cursor=None, limit=5)
        if word == "alp":
            assert [t.pk for t in page.items] == [world.tenant_a.pk]
        console_tenants(search=word).count()
    assert _searches(autocommit_public) == []
    # The listing filtered by status only is prepared as before (so the check above can fail).
    for _ in range(3):
        tenants, ordering = tenant_sorted(console_tenants(status="active"), "name")
        keyset_page(tenants, ordering=ordering, cursor=None, limit=5)
    assert [text for text in prepared_texts(autocommit_public) if "tenants_tenant" in text]


def test_the_institution_finder_is_never_prepared(world, autocommit_public):
    for word in WORDS + ["someone@alpha.example"] * 7:
        found = institutions_find(word)
        if word == "alp":
            assert [f.name for f in found] == ["Alpha University"]
    assert _searches(autocommit_public) == []
