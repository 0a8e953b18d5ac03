"""Look at a service's database as a whole: every row of every table."""

from __future__ import annotations

from sqlalchemy import select


def snapshot(system, service: str) -> dict[str, list[tuple]]:
    """Every row of every table of ``service``, as comparable tuples."""
    runtime = system.runtimes[service]
    rows = {}
    with runtime.engine.connect() as connection:
        for table in runtime.metadata.sorted_tables:
            rows[table.name] = sorted(map(tuple, connection.execute(select(table))), key=repr)
    return rows


def text_values(system, service: str):
    """Yield ``(table, column, text)`` for every non-empty value that can hold text:
    strings, JSON documents and binary bodies (decoded)."""
    for table, rows in snapshot(system, service).items():
        columns = system.runtimes[service].metadata.tables[table].columns.keys()
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                if value is None or isinstance(value, int | float | bool):
                    continue
                text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                yield table, column, text
