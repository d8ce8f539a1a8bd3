"""The fleet bench's filler: the template's dump rewritten into fewer, cheaper statements.

Making a schema from the template costs PostgreSQL about 650 DDL statements (pg_dump
creates each table bare, then adds identities, primary keys, unique constraints and
foreign keys one ``ALTER TABLE`` at a time; a foreign key added that way is validated
with a query, 1.8 ms each). Folded into the ``CREATE TABLE`` statements - a foreign
key declared at creation needs no validation - the same schema costs about half.
The result is the same catalog (the bench checks it with ``schema_catalog`` against
the template): same names for every constraint, index and sequence, same columns in
the same order. Indexes, functions, triggers and the template's rows are replayed
as pg_dump wrote them.

Only the bench uses this: provisioning keeps pg_dump's text, which needs no parsing
of SQL (this parser knows pg_dump 15's layout of the statements it folds, and leaves
any statement it does not recognise where it was).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SKIP_PREFIXES = ("--", "SET ", "SELECT pg_catalog.set_config(", "\\")
_COPY_TABLE = re.compile(r"^COPY (\S+) ")
_CREATE_TABLE = re.compile(r"^CREATE TABLE (\S+) \($")
_IDENTITY = re.compile(
    r"^ALTER TABLE (?:ONLY )?(\S+) ALTER COLUMN (\S+) ADD (GENERATED (?:BY DEFAULT|ALWAYS) "
    r"AS IDENTITY \((.*)\));$",
    re.S,
)
_CONSTRAINT = re.compile(
    r"^ALTER TABLE ONLY (\S+)\s+ADD CONSTRAINT (\S+) "
    r"((PRIMARY KEY|UNIQUE) \(.*\)|FOREIGN KEY \(.*\) REFERENCES (\S+)\(.*)\s*;$",
    re.S,
)


def _items(dump: str) -> Iterator[tuple[str, str]]:
    """("sql", statement) and ("copy", header + rows + terminator) in the dump's order."""
    statement: list[str] = []
    lines = iter(dump.splitlines(keepends=True))
    for line in lines:
        if not statement and line.startswith("COPY "):
            block = [line]
            for row in lines:
                block.append(row)
                if row.rstrip("\n") == "\\.":
                    break
            yield "copy", "".join(block)
            continue
        if not statement and (line.startswith(_SKIP_PREFIXES) or not line.strip()):
            if line.startswith("--"):
                yield "comment", line  # keeps the dump's end marker (and any after it)
            continue
        statement.append(line)
        # pg_dump ends every statement with ";" at the end of a line; function bodies
        # are dollar-quoted and may hold such lines: count the quotes.
        if line.rstrip().endswith(";") and "".join(statement).count("$$") % 2 == 0:
            yield "sql", "".join(statement)
            statement.clear()
    if statement:
        yield "sql", "".join(statement)


def compact_dump(dump: str) -> str:
    """pg_dump's plain dump of a schema, with constraints and identities folded in."""
    items = list(_items(dump))
    tables: dict[str, list[str]] = {}  # name -> its CREATE TABLE's lines
    extra: dict[str, list[str]] = {}  # name -> table constraints to add
    references: dict[str, set[str]] = {}  # name -> tables its folded foreign keys need
    unique_ready: set[str] = set()  # "table" whose folded PK/UNIQUE a reference can use
    kept: list[tuple[str, str]] = []
    deferred_fks: list[tuple[str, str, str, str]] = []
    for kind, text in items:
        if kind != "sql":
            kept.append((kind, text))
            continue
        first, _, _rest = text.partition("\n")
        create = _CREATE_TABLE.match(first)
        if create:
            name = create.group(1)
            tables[name] = text.rstrip().splitlines()
            extra[name] = []
            references[name] = set()
            kept.append(("table", name))
            continue
        identity = _IDENTITY.match(text.strip())
        if identity and identity.group(1) in tables:
            name, column, clause = identity.group(1), identity.group(2), identity.group(3)
            lines = tables[name]
            for index, line in enumerate(lines):
                stripped = line.strip()
                if stripped.startswith(f"{column} ") and " NOT NULL" in stripped:
                    comma = stripped.endswith(",")
                    body = stripped.rstrip(",")
                    lines[index] = f"    {body} {' '.join(clause.split())}{',' if comma else ''}"
                    break
            else:
                kept.append(("sql", text))
            continue
        constraint = _CONSTRAINT.match(text.strip())
        if constraint and constraint.group(1) in tables:
            name, conname, definition = constraint.group(1, 2, 3)
            definition = " ".join(definition.split())
            target = constraint.group(5)
            if target is None:
                extra[name].append(f"CONSTRAINT {conname} {definition}")
                unique_ready.add(name)
            else:
                deferred_fks.append((name, conname, definition, target))
            continue
        kept.append(("sql", text))
    # Foreign keys fold into their table when the referenced table's key is folded too
    # (created with it); the others stay ALTERs, after the tables.
    # A table the dump has rows for keeps its foreign keys as ALTERs after the rows (its
    # deferred checks would otherwise still be pending when its indexes are made).
    with_rows = {
        _COPY_TABLE.match(text).group(1)
        for kind, text in kept
        if kind == "copy" and text.count("\n") > 2  # more than the header and "\."
    }
    leftover: list[str] = []
    for name, conname, definition, target in deferred_fks:
        if target in unique_ready and target in tables and name not in with_rows:
            extra[name].append(f"CONSTRAINT {conname} {definition}")
            if target != name:
                references[name].add(target)
        else:
            leftover.append(f"ALTER TABLE ONLY {name}\n    ADD CONSTRAINT {conname} {definition};")
    # Tables in an order where every referenced table comes first (cycles: their
    # foreign keys go back to ALTERs).
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        state[name] = 1
        for target in sorted(references[name]):
            if state.get(target) == 1:  # a cycle: unfold this reference
                for entry in [e for e in extra[name] if f"REFERENCES {target}(" in e]:
                    extra[name].remove(entry)
                    leftover.append(f"ALTER TABLE ONLY {name}\n    ADD {entry};")
                continue
            if target not in state:
                visit(target)
        state[name] = 2
        order.append(name)

    for name in tables:
        if name not in state:
            visit(name)

    def table_sql(name: str) -> str:
        lines = list(tables[name])
        assert lines[-1] == ");", lines[-1]
        body = lines[1:-1]
        for entry in extra[name]:
            body[-1] = body[-1] + ","
            body.append(f"    {entry}")
        return "\n".join([lines[0], *body, ");"]) + "\n"

    out: list[str] = []
    tables_written = False
    for kind, text in kept:
        if kind == "table":
            if not tables_written:
                out.extend(table_sql(name) for name in order)
                tables_written = True
            continue
        if kind == "comment" and text.startswith("-- PostgreSQL database dump complete"):
            out.extend(f"{statement}\n" for statement in leftover)
            leftover = []
        out.append(text)
    return "".join(out)
