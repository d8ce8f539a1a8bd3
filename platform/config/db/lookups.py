"""Lookups PostgreSQL's indexes can serve where Django's own cannot."""

from __future__ import annotations

from django.db.models.lookups import Lookup, PatternLookup


class ContainsCaseless(PatternLookup):
    """``column ILIKE '%value%'`` (the value's ``%``, ``_`` and ``\\`` escaped), for a plain
    value: ``ContainsCaseless(F("display_name"), "chen")`` in ``filter()``.

    Django's ``icontains`` compiles to ``UPPER(column::text) LIKE UPPER(%s)``, which a
    trigram index on the column (``gin_trgm_ops``) cannot serve; ILIKE it can. At 200,000
    people a name nobody has took 190-460 ms as ``icontains`` (every listed person read,
    in name order) and 1.6 ms as ILIKE (tests/bench/bench_name_plans.py). Which plan is
    best then depends on the value (the trigram index for a rare one, the name order for
    a frequent one): use it with ``config.db.prepared.planned_for_values``.
    """

    lookup_name = "contains_caseless"

    def get_rhs_op(self, connection, rhs: str) -> str:
        return f"ILIKE {rhs}"

    def process_rhs(self, qn, connection):
        if not self.rhs_is_direct_value():
            raise TypeError("ContainsCaseless compares a column with a plain value")
        return super().process_rhs(qn, connection)


class EqualsAny(Lookup):
    """``column = ANY(array)``: ``EqualsAny(F("pk"), Value(ids, output_field=ArrayField(...)))``
    in ``filter()``, one parameter whatever the number of values.

    PostgreSQL can serve it from the column's index - also as one arm of an ``OR``, whose
    arms it then reads as a BitmapOr of indexes - and, where it filters rows instead, tests
    a constant array by hashing it. (``column IN (subquery)`` in an ``OR`` is a SubPlan
    tested against every row, which reads the whole table; ``ANY(ARRAY(subquery))`` is
    searched linearly for each row, quadratic when the subquery finds many.)
    """

    lookup_name = "equals_any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)
