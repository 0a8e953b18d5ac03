"""Adding minutes to a timestamp column inside a query, the same on PostgreSQL and SQLite.

A scheduler that takes "rows due by now" in batches must say *due* in SQL: a batch
filtered in Python after a ``LIMIT`` can be filled with rows that are not due yet while
due ones wait behind them. When the due moment is a stored time plus a number of minutes
held in other columns (a check-in's end plus its organisation's grace), the sum has to
be written per dialect: an interval on PostgreSQL, ``strftime`` on SQLite, in the text
form SQLAlchemy stores SQLite datetimes in, so it compares with them as text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from shared.db.types import UtcDateTime


class plus_minutes(FunctionElement):  # noqa: N801 - a SQL function, named as one
    """``timestamp + minutes`` as an SQL expression of type :class:`UtcDateTime`:
    ``plus_minutes(CheckIn.starts_at, CheckIn.duration_minutes + 30) < now``."""

    type = UtcDateTime()
    inherit_cache = True
    name = "plus_minutes"

    def __init__(self, timestamp: ColumnElement, minutes: ColumnElement | int):
        super().__init__(timestamp, minutes)


@compiles(plus_minutes, "postgresql")
def _on_postgresql(element: plus_minutes, compiler: Any, **kw: Any) -> str:
    timestamp, minutes = element.clauses
    return (
        f"({compiler.process(timestamp, **kw)}"
        f" + make_interval(mins => CAST({compiler.process(minutes, **kw)} AS integer)))"
    )


@compiles(plus_minutes, "sqlite")
def _on_sqlite(element: plus_minutes, compiler: Any, **kw: Any) -> str:
    timestamp, minutes = element.clauses
    # SQLAlchemy writes "YYYY-MM-DD HH:MM:SS.ffffff"; %f gives "SS.sss": pad to match.
    return (
        f"(strftime('%Y-%m-%d %H:%M:%f', {compiler.process(timestamp, **kw)},"
        f" CAST({compiler.process(minutes, **kw)} AS TEXT) || ' minutes') || '000')"
    )
