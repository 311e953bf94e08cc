"""Statements for the writes every charger frame makes, without the ORM's query compilation.

On this stack the ORM spends more CPU compiling a one-row UPDATE than the database spends
running it (about 0.4-0.9 ms against 0.04 ms on a small machine), and a busy fleet runs
these statements for every heartbeat, status and meter value. They are built here from the
models' own fields, so new columns and their defaults are picked up, and the values are
adapted by the fields themselves, so SQLite and PostgreSQL get what the ORM would send.
On PostgreSQL they run with server-side parameters, so the driver does not quote every value
into the text in Python, and each connection prepares them once (after a few runs) instead of
the server parsing and planning them every time. Everything else uses the ORM.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

# Multi-row INSERTs of more rows than this are not prepared: each row count is its own
# statement, and the driver keeps a bounded number of prepared statements per connection.
PREPARED_MAX_ROWS = 10
# Rows per INSERT statement: bounds the parameters of one statement and the statements cached.
INSERT_MAX_ROWS = 100


@cache
def _field(model: type[Model], name: str):
    """A concrete field by name or column name ("charger" or "charger_id")."""
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    raise LookupError(f"{model.__name__} has no field {name}")


@cache
def _insert_sql(model: type[Model], rows: int) -> tuple[str, tuple]:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)}", fields


@cache
def _update_sql(model: type[Model], assigned: tuple, matched: tuple, newer_than: str | None) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    assignments = ", ".join(f"{quote(_field(model, name).column)} = %s" for name in assigned)
    conditions = [f"{quote(_field(model, name).column)} = %s" for name in matched]
    if newer_than is not None:
        column = quote(_field(model, newer_than).column)
        conditions.append(f"({column} IS NULL OR {column} <= %s)")
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {' AND '.join(conditions)}"


@cache
def _select_sql(model: type[Model], selected: tuple, matched: tuple, for_update: bool) -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_field(model, name).column) for name in selected)
    conditions = " AND ".join(f"{quote(_field(model, name).column)} = %s" for name in matched)
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    return f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {conditions} LIMIT 1{lock}"


def _execute(connection, sql: str, params: list, *, prepare: bool = True, fetch_one: bool = False):
    """Run one statement in the current transaction: the first row if `fetch_one`, else the row count.

    Errors are raised as Django raises them (django.db.OperationalError, IntegrityError...).
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if fetch_one else cursor.rowcount
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=None if prepare else False)
        return cursor.fetchone() if fetch_one else cursor.rowcount


def _prepared(model: type[Model], values: dict, connection) -> list:
    return [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]


def insert(model: type[Model], rows: list[dict]) -> None:
    """INSERT rows given as {field: value}; other fields get their defaults, the id its sequence."""
    connection = connections[DEFAULT_DB_ALIAS]
    for start in range(0, len(rows), INSERT_MAX_ROWS):
        chunk = rows[start : start + INSERT_MAX_ROWS]
        sql, fields = _insert_sql(model, len(chunk))
        params = [
            f.get_db_prep_save(row[f.attname] if f.attname in row else row.get(f.name, f.get_default()), connection)
            for row in chunk
            for f in fields
        ]
        _execute(connection, sql, params, prepare=len(chunk) <= PREPARED_MAX_ROWS)


def update(model: type[Model], values: dict, *, where: dict, newer_than: tuple[str, object] | None = None) -> int:
    """UPDATE ... SET values WHERE each `where` field equals its value; the number of rows changed.

    `newer_than=(field, value)` adds "and the field is null or not later than value".
    """
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _update_sql(model, tuple(values), tuple(where), newer_than[0] if newer_than else None)
    params = _prepared(model, values, connection) + _prepared(model, where, connection)
    if newer_than is not None:
        params += _prepared(model, dict([newer_than]), connection)
    return _execute(connection, sql, params)


def select_one(model: type[Model], columns: list[str], *, where: dict, for_update: bool = False) -> tuple | None:
    """The first row's `columns` where each field equals its value (values as the driver returns them)."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _select_sql(model, tuple(columns), tuple(where), for_update)
    return _execute(connection, sql, _prepared(model, where, connection), fetch_one=True)
