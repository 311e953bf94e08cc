"""The product's tables carry no index that another index of the same table already covers: every
insert maintains each index, and the busiest tables (meter values, status history, the message log)
take hundreds of rows a second."""

import pytest
from django.apps import apps
from django.db import connection

PRODUCT_APPS = {
    "accounts",
    "chargers",
    "charging",
    "smart_charging",
    "commands",
    "ocpp_ws",
    "webhooks",
    "console",
    "pki",
}


def index_columns(table: str) -> dict[str, tuple]:
    """Each index or unique constraint of the table on plain columns (not the primary key, not an
    expression): its columns in order."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: tuple(info["columns"])
        for name, info in constraints.items()
        if (info["index"] or info["unique"]) and not info["primary_key"] and info["columns"] and all(info["columns"])
    }


def product_models():
    return [m for m in apps.get_models() if m._meta.app_label in PRODUCT_APPS and m._meta.managed]


@pytest.mark.django_db
def test_no_index_is_the_leading_part_of_another_on_its_table():
    redundant = []
    for model in product_models():
        table = model._meta.db_table
        indexes = index_columns(table)
        for name, columns in indexes.items():
            for other, wider in indexes.items():
                if other != name and len(wider) > len(columns) and wider[: len(columns)] == columns:
                    redundant.append(f"{table}.{name} {columns} is covered by {other} {wider}")
    assert redundant == [], "\n".join(redundant)


@pytest.mark.django_db
def test_every_foreign_key_without_an_index_of_its_own_leads_another():
    """Lookups by a foreign key, and the cascades when its row goes, need an index it leads."""
    unserved = []
    for model in product_models():
        led = {columns[0] for columns in index_columns(model._meta.db_table).values()}
        for field in model._meta.concrete_fields:
            if field.is_relation and not field.db_index and field.column not in led:
                unserved.append(f"{model._meta.db_table}.{field.column}")
    assert unserved == []
