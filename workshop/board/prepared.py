"""The few statements every board operation runs, executed on the driver's cursor.

A board operation is a handful of small statements (the session lock, the cell's
cards, the card, the seq, the event log entry). For each, SQLAlchemy's
``Connection.execute`` spent about ten times what the database did: cache-key
lookups, execution contexts, result objects. A ``Prepared`` statement is a Core
statement compiled once per dialect; running it converts the parameters with
the same type processors SQLAlchemy would use (JSON, SQLite's datetimes) and
hands the SQL to the DBAPI cursor of the *same* connection, inside the same
transaction. Rows come back as named tuples with SQLAlchemy's result
conversions applied. Only plain statements qualify: no "expanding" IN lists, no
server-side defaults read back (``compile`` refuses them at first use).
Errors are the driver's own (``sqlite3`` / ``psycopg``), not wrapped in
``sqlalchemy.exc``, and engine events do not see these statements.
"""
from __future__ import annotations

from collections import namedtuple

from sqlalchemy.engine import Connection


_UNKNOWN = object()


class Prepared:
    __slots__ = ("statement", "_by_dialect")

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: dict[str, tuple] = {}

    def _compile(self, dialect) -> tuple:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a Prepared statement cannot expand parameters at execution")
        binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                 for name, bind in compiled.binds.items()}
        processors = {name: proc for name, proc in binds.items() if proc is not None}
        columns = getattr(self.statement, "selected_columns", None)
        if columns is None and getattr(self.statement, "_returning", None):
            columns = self.statement._returning
        row_type = None
        if columns is not None:
            row_type = namedtuple("Row", [c.key for c in columns], rename=True)
        positional = compiled.positiontup if dialect.positional else None
        # result conversions depend on the driver's type codes: found at the first execution
        entry = [compiled.string, compiled, positional, processors, row_type, _UNKNOWN, columns]
        self._by_dialect[dialect.name] = entry
        return entry

    def _run(self, conn: Connection, params: dict):
        dialect = conn.dialect
        entry = self._by_dialect.get(dialect.name) or self._compile(dialect)
        sql, compiled, positional, processors, row_type, results, columns = entry
        values = compiled.construct_params(params)
        for name, proc in processors.items():
            values[name] = proc(values[name])
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(sql, [values[n] for n in positional] if positional is not None else values)
        except BaseException:
            cursor.close()
            raise
        if results is _UNKNOWN:
            results = None
            if columns is not None:
                codes = [d[1] for d in cursor.description]
                results = [c.type.dialect_impl(dialect).result_processor(dialect, code)
                           for c, code in zip(columns, codes)]
                if not any(results):
                    results = None
            entry[5] = results
        return cursor, row_type, results

    def rows(self, conn: Connection, params: dict) -> list:
        """All result rows (named tuples)."""
        cursor, row_type, results = self._run(conn, params)
        try:
            raw = cursor.fetchall()
        finally:
            cursor.close()
        if results is None:
            return [row_type._make(r) for r in raw]
        return [row_type._make(p(v) if p else v for p, v in zip(results, r)) for r in raw]

    def first(self, conn: Connection, params: dict):
        """The first result row, or None."""
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    def execute(self, conn: Connection, params: dict) -> int:
        """A statement without result rows; returns the number of rows it changed."""
        cursor, _row_type, _results = self._run(conn, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()
