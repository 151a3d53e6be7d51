"""A query asked on every page, built by the ORM once per process and run with each request's values.

Django builds a query's SQL anew each time it runs it. For a count the navigation asks on every staff page
(filters, a subquery, an ``Exists``, an aggregate), building it cost more than running it: about 4 ms of
Python against 1-2 ms in the database (issue 11 item 2). ``run_compiled`` runs the query once through the
ORM with *marker values* (an instant and numbers that no real row holds), stops it before the database
and keeps the SQL and the parameters Django would send, finds where each marker landed, and from then on sends the same
SQL with the request's values in those places. The query stays the ORM's (the visibility rules are not
written twice); only its building is skipped.

The query's shape (which filters exist, e.g. the roles a person has) must be part of the key, and every
value that varies must be given as a marker: a value not passed as a marker would be frozen at the first
run. A marker not found in the parameters, or found where another marker is, refuses to compile (the
query is then run through the ORM every time, which is correct, only slower).
"""

import datetime as dt
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections

# Values no real row holds: each marks the parameter that is swapped for the request's value.
_MARK_INSTANT = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
_MARK_NUMBER = -918_273_640


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, name of the value)


_compiled: dict[Hashable, _Compiled | None] = {}
_lock = threading.Lock()


def markers(values: Mapping[str, Any]) -> dict[str, Any]:
    """A marker for each value: instants for datetimes (100 days apart), numbers for integers."""
    out: dict[str, Any] = {}
    for i, (name, value) in enumerate(values.items()):
        if isinstance(value, dt.datetime):
            out[name] = _MARK_INSTANT + dt.timedelta(days=100 * i)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[name] = _MARK_NUMBER - i
        else:
            raise TypeError(f"run_compiled: {name} must be an aware datetime or an integer, not {value!r}")
    return out


def _adapt(alias: str, value: Any) -> Any:
    """The value as Django sends it to this database (SQLite: instants as UTC text)."""
    if isinstance(value, dt.datetime):
        return connections[alias].ops.adapt_datetimefield_value(value)
    return value


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class _Captured(Exception):  # noqa: N818 (not an error: the statement, stopped before the database)
    def __init__(self, sql: str, params: Any) -> None:
        self.sql, self.params = sql, params


def _capture(alias: str, run: Callable[[], Any]) -> tuple[str, Any] | None:
    """The one statement ``run`` sends, stopped before it reaches the database (None: it sends none)."""

    def stop(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise _Captured(sql, params)

    connection = connections[alias]
    # Not a query: it never reaches the database, so it is kept out of the log that query counts read
    # (``CaptureQueriesContext``, ``assertNumQueries``), which the debug cursor writes even on an error.
    logged, connection.force_debug_cursor = connection.force_debug_cursor, False
    try:
        with connection.execute_wrapper(stop):
            run()
    except _Captured as captured:
        return captured.sql, captured.params
    finally:
        connection.force_debug_cursor = logged
    return None


def _compile(alias: str, marked: Mapping[str, Any], sql: str, params: Any) -> _Compiled | None:
    params = tuple(params or ())
    slots: list[tuple[int, str]] = []
    for name, mark in marked.items():
        adapted = _adapt(alias, mark)
        where = [i for i, p in enumerate(params) if _same(p, adapted)]
        if not where:
            return None  # a value the query does not use: better not to guess
        slots += [(i, name) for i in where]
    if len({i for i, _name in slots}) != len(slots):
        return None
    return _Compiled(sql, params, tuple(sorted(slots)))


def run_compiled(
    key: Hashable,
    build: Callable[[Mapping[str, Any]], Callable[[], Any]],
    values: Mapping[str, Any],
    *,
    using: str = "default",
    convert: Callable[[dict[str, Any]], Any],
) -> Any:
    """``convert`` of the one row the query returns (as a dict of its column names).

    ``build(values)`` returns a function running the query through the ORM with those values and giving
    the same dict (e.g. ``lambda: qs.aggregate(...)``); it is called with markers the first time for this
    ``key`` (and database), its statement stopped before the database, and with the real values each time
    if the query could not be compiled. Only the query's first statement is kept: ``build`` must send one."""
    connection = connections[using]
    full_key = (using, connection.vendor, key)
    with _lock:
        known = full_key in _compiled
        compiled = _compiled.get(full_key)
    if not known:
        marked = markers(values)
        seen = _capture(using, build(marked))
        compiled = _compile(using, marked, *seen) if seen is not None else None
        with _lock:
            _compiled[full_key] = compiled
    if compiled is None:
        return convert(build(values)())
    params = list(compiled.params)
    for i, name in compiled.slots:
        params[i] = _adapt(using, values[name])
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        row = cursor.fetchone()
        names = [d[0] for d in cursor.description]
    return convert(dict(zip(names, row, strict=True)))


def forget() -> None:
    """Drop what was compiled (tests changing the database's shape)."""
    with _lock:
        _compiled.clear()
