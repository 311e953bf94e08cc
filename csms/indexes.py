"""Index choices shared by the apps' models."""

# For a foreign key that leads a composite index or unique constraint of its table: no index of its
# own. The composite one serves its lookups and cascades, and each insert maintains one index less
# (meter values, status history and the message log take hundreds of rows a second).
# tests/test_indexes.py checks that no index is the leading part of another.
LEADS_AN_INDEX = {"db_index": False}
