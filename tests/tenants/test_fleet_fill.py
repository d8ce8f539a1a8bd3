"""The fleet bench's filler (tests/bench/fleet_fill.py): pg_dump's template folded into
fewer statements must make exactly the template's catalog, or the 10,000 institutions
it measures would not be the product's."""

from __future__ import annotations

import io
import re

import pytest

from tenants.provisioning import template_current, template_schema
from tenants.schemas import restore_schema, schema_catalog
from tests.bench.fleet_fill import compact_dump

pytestmark = pytest.mark.django_db


def _statements(dump: str) -> int:
    return len(re.findall(r"^(?:CREATE|ALTER|SELECT) ", dump, re.M))


def test_the_folded_dump_makes_the_templates_catalog_in_fewer_statements():
    _fingerprint, dump = template_current()
    folded = compact_dump(dump)
    assert _statements(folded) < _statements(dump) * 0.7
    # Foreign keys are declared in the CREATE TABLEs, except on tables holding rows.
    assert len(re.findall(r"^ALTER TABLE", folded, re.M)) < 10
    restore_schema(io.StringIO(folded), source=template_schema(), target="folded")
    restore_schema(io.StringIO(dump), source=template_schema(), target="unfolded")
    assert schema_catalog("folded") == schema_catalog(template_schema())
    assert schema_catalog("folded") == schema_catalog("unfolded")
    # The template's rows came along (content types, migrations).
    assert schema_catalog("folded")["migrations"]


def test_a_statement_it_does_not_know_stays_where_it_was():
    dump = "\n".join(
        [
            "CREATE SCHEMA s;",
            "CREATE TABLE s.a (",
            "    id bigint NOT NULL",
            ");",
            "ALTER TABLE s.a ALTER COLUMN id SET STATISTICS 100;",
            "-- PostgreSQL database dump complete",
            "",
        ]
    )
    folded = compact_dump(dump)
    assert "ALTER TABLE s.a ALTER COLUMN id SET STATISTICS 100;" in folded
    assert folded.index("CREATE TABLE s.a") < folded.index("SET STATISTICS")
