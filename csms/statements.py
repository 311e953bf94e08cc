"""Statements for the writes every charger frame makes, and the reads every API request about a
charger makes (its key, its charger), without the ORM's query compilation.

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
def _inserted_fields(model: type[Model]) -> tuple:
    """Every concrete field but an auto-incremented id (a UUID id is given, or its default taken)."""
    return tuple(f for f in model._meta.concrete_fields if f is not model._meta.auto_field)


@cache
def _insert_sql(model: type[Model], rows: int) -> tuple[str, tuple]:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = _inserted_fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)}", fields


def _conditions(model: type[Model], matched: tuple) -> list[str]:
    """SQL conditions for (field, how) pairs: "=" (equals), "ci" (equals, ignoring case), "null" (is null),
    or a number n (equals one of n values)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    forms = {"=": "{} = %s", "ci": "UPPER({}) = UPPER(%s)", "null": "{} IS NULL"}
    return [
        f"{quote(_field(model, name).column)} IN ({', '.join(['%s'] * how)})"
        if isinstance(how, int)
        else forms[how].format(quote(_field(model, name).column))
        for name, how in matched
    ]


def _matching(model: type[Model], where: dict, ignore_case: dict | None, connection) -> tuple[tuple, list]:
    """The (field, how) pairs of `where` (None: is null; a tuple: one of its values) and `ignore_case`,
    and their parameters."""
    matched = tuple(
        (name, "null" if value is None else len(value) if isinstance(value, tuple) else "=")
        for name, value in where.items()
    )
    params = []
    for name, value in where.items():
        if isinstance(value, tuple):
            params += [_field(model, name).get_db_prep_save(one, connection) for one in value]
        elif value is not None:
            params += _prepared(model, {name: value}, connection)
    if ignore_case:
        matched += tuple((name, "ci") for name in ignore_case)
        params += _prepared(model, ignore_case, connection)
    return matched, params


@cache
def _update_sql(model: type[Model], assigned: tuple, matched: tuple, newer_than: str | None) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    assignments = ", ".join(f"{quote(_field(model, name).column)} = %s" for name in assigned)
    conditions = _conditions(model, matched)
    if newer_than is not None:
        column = quote(_field(model, newer_than).column)
        conditions.append(f"({column} IS NULL OR {column} <= %s)")
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {' AND '.join(conditions)}"


@cache
def _select_sql(model: type[Model], selected: tuple, matched: tuple, for_update: bool) -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_field(model, name).column) for name in selected)
    conditions = " AND ".join(_conditions(model, matched))
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    return f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {conditions} LIMIT 1{lock}"


@cache
def _count_sql(model: type[Model], matched: tuple, within: tuple | None) -> str:
    """COUNT(*) of rows matching; `within` = (foreign key, its model, (field, how) pairs of the row it points to)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    conditions = _conditions(model, matched)
    if within is not None:
        key, parent, parent_matched = within
        inner = " AND ".join(_conditions(parent, parent_matched))
        parent_sql = f"SELECT {quote(parent._meta.pk.column)} FROM {quote(parent._meta.db_table)} WHERE {inner}"
        conditions.append(f"{quote(_field(model, key).column)} IN ({parent_sql})")
    return f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} WHERE {' AND '.join(conditions)}"


def _execute(
    connection, sql: str, params: list, *, prepare: bool = True, fetch_one: bool = False, fetch_all: bool = False
):
    """Run one statement in the current transaction: the first row if `fetch_one`, all rows if `fetch_all`,
    else the row count.

    Errors are raised as Django raises them (django.db.OperationalError, IntegrityError...).
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if fetch_one else cursor.fetchall() if fetch_all else cursor.rowcount
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=None if prepare else False)
        return cursor.fetchone() if fetch_one else cursor.fetchall() if fetch_all else cursor.rowcount


def _prepared(model: type[Model], values: dict, connection) -> list:
    return [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]


def insert(model: type[Model], rows: list[dict]) -> None:
    """INSERT rows given as {field: value}; other fields get their defaults, the id its sequence.

    On PostgreSQL more than PREPARED_MAX_ROWS rows go in with one COPY, which costs the driver less
    than parsing the placeholders of a long INSERT (the message log's batches).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql" and len(rows) > PREPARED_MAX_ROWS:
        _copy(model, rows, connection)
        return
    for start in range(0, len(rows), INSERT_MAX_ROWS):
        chunk = rows[start : start + INSERT_MAX_ROWS]
        sql, fields = _insert_sql(model, len(chunk))
        params = [value for row in chunk for value in _row_values(fields, row, connection)]
        _execute(connection, sql, params, prepare=len(chunk) <= PREPARED_MAX_ROWS)


def add(obj: Model) -> Model:
    """INSERT a new model instance, as Model.save() would for a new row (auto_now_add fields set,
    values adapted by their fields), and give it its id; without the ORM's query compilation, and
    without save()'s signals. For the frames' plain models: an auto-incremented id is always the
    database's, and db_default or generated fields are not supported."""
    connection = connections[DEFAULT_DB_ALIAS]
    model = type(obj)
    sql, fields = _insert_sql(model, 1)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    pk = model._meta.pk
    if connection.vendor == "postgresql":
        returning = f" RETURNING {connection.ops.quote_name(pk.column)}"
        obj.pk = _execute(connection, sql + returning, params, fetch_one=True)[0]
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            obj.pk = cursor.lastrowid if pk is model._meta.auto_field else obj.pk
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj


def _copy(model: type[Model], rows: list[dict], connection) -> None:
    import psycopg

    quote = connection.ops.quote_name
    fields = _inserted_fields(model)
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(_row_values(fields, row, connection))


def _row_values(fields: tuple, row: dict, connection) -> list:
    """A row's values for `fields`, adapted as the ORM would; a field not in the row gets its default."""
    return [
        f.get_db_prep_save(row[f.attname] if f.attname in row else row.get(f.name, f.get_default()), connection)
        for f in fields
    ]


def update(model: type[Model], values: dict, *, where: dict, newer_than: tuple[str, object] | None = None) -> int:
    """UPDATE ... SET values WHERE each `where` field equals its value; the number of rows changed.

    `newer_than=(field, value)` adds "and the field is null or not later than value".
    """
    connection = connections[DEFAULT_DB_ALIAS]
    matched, where_params = _matching(model, where, None, connection)
    sql = _update_sql(model, tuple(values), matched, newer_than[0] if newer_than else None)
    params = _prepared(model, values, connection) + where_params
    if newer_than is not None:
        params += _prepared(model, dict([newer_than]), connection)
    return _execute(connection, sql, params)


def select_one(
    model: type[Model], columns: list[str], *, where: dict, ignore_case: dict | None = None, for_update: bool = False
) -> tuple | None:
    """The first row's `columns` (values as the driver returns them) where each `where` field equals its
    value (None: is null) and each `ignore_case` field equals its value but for case."""
    connection = connections[DEFAULT_DB_ALIAS]
    matched, params = _matching(model, where, ignore_case, connection)
    return _execute(connection, _select_sql(model, tuple(columns), matched, for_update), params, fetch_one=True)


def instance(
    model: type[Model],
    *,
    where: dict,
    ignore_case: dict | None = None,
    for_update: bool = False,
    only: tuple[str, ...] | None = None,
):
    """The first matching row as a model instance (as select_one matches), or None: every concrete field
    (or the fields named in `only`, the others deferred) loaded and converted as the ORM would load it;
    relations load when used."""
    connection = connections[DEFAULT_DB_ALIAS]
    named = None if only is None else {_field(model, name) for name in only}
    fields = [f for f in model._meta.concrete_fields if named is None or f in named]  # in the model's order
    row = select_one(model, [f.attname for f in fields], where=where, ignore_case=ignore_case, for_update=for_update)
    if row is None:
        return None
    values = [_loaded(field, value, connection) for field, value in zip(fields, row, strict=True)]
    return model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], values)


def _loaded(field, value, connection):
    """A column's value as the ORM would hand it to the model (dates from SQLite's text, for one)."""
    column = field.get_col(field.model._meta.db_table)
    for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


def existing(model: type[Model], ids: set[int]) -> set[int]:
    """Which of these primary keys are in the table."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    pk, table = quote(model._meta.pk.column), quote(model._meta.db_table)
    ids = list(ids)
    if connection.vendor == "postgresql":  # one array parameter, one prepared statement
        chunks = [(f"SELECT {pk} FROM {table} WHERE {pk} = ANY(%s)", [ids])]
    else:
        chunks = [
            (f"SELECT {pk} FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(part))})", part)
            for part in (ids[start : start + INSERT_MAX_ROWS] for start in range(0, len(ids), INSERT_MAX_ROWS))
        ]
    found = set()
    for sql, params in chunks:
        found.update(row[0] for row in _execute(connection, sql, params, fetch_all=True))
    return found


def count(
    model: type[Model],
    *,
    where: dict,
    ignore_case: dict | None = None,
    within: tuple[str, type[Model], dict] | None = None,
) -> int:
    """How many rows match, as `select_one` matches; `within=(foreign key, model, where)` also requires the
    row the key points to to match `where` (such as the charger's organisation)."""
    connection = connections[DEFAULT_DB_ALIAS]
    matched, params = _matching(model, where, ignore_case, connection)
    parent = None
    if within is not None:
        key, parent_model, parent_where = within
        parent_matched, parent_params = _matching(parent_model, parent_where, None, connection)
        parent = (key, parent_model, parent_matched)
        params += parent_params
    return _execute(connection, _count_sql(model, matched, parent), params, fetch_one=True)[0]
