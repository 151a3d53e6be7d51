"""Reports and exports may read from a read replica (issue 11 item 4, ``DATABASE_REPLICA_URL``).

Only reads made inside ``reading_from_replica()`` (or a view decorated with ``replica_reads``) go to
the "replica" alias, and only when it is configured. Everything else, every write, and every read made
inside a transaction on the primary stays on "default": a replica lags behind by a moment, which a
report can afford and a form that has just saved something cannot.

The flag is a context variable, so it belongs to one request (thread or task) and never leaks into
another one served by the same process.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA_DB_ALIAS = "replica"

_replica_reads: ContextVar[bool] = ContextVar("cursus_replica_reads", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside this block go to the replica when there is one (reports and exports only)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_reads[V: Callable[..., Any]](view: V) -> V:
    """A read-only report or export view whose queries may be served by the replica."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reading_from_replica():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in connections.settings


class ReplicaRouter:
    """The one router of the project (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if (
            _replica_reads.get()
            and replica_configured()
            # Inside a transaction on the primary a read must see the transaction's own writes.
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # Explicit: an object read from the replica is saved to the primary, never to the replica.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: objects from either may be related.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS, None} else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # The replica follows the primary by replication; migrating it would be a write.
        return db != REPLICA_DB_ALIAS
