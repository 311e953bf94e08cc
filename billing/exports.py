"""CDRs out, as JSON or CSV, streamed: a year of them never sits in memory (the API and export_cdrs)."""

import csv
import io
import json
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.db.models import Q

BATCH = 500
PART_BYTES = 64 * 1024

CSV_COLUMNS = ("id", "credit", "credit_reference_id", "start_date_time", "end_date_time", "location_id", "evse_uid",
               "connector_id", "token_uid", "auth_method", "currency", "total_energy", "total_time",
               "total_parking_time", "total_cost_excl_vat", "total_cost_incl_vat", "total_energy_cost_excl_vat",
               "total_time_cost_excl_vat", "total_parking_cost_excl_vat", "total_fixed_cost_excl_vat")  # fmt: skip


def csv_row(document: dict) -> list:
    """One CDR as a CSV row of CSV_COLUMNS: its nested objects flattened."""
    location, token = document.get("cdr_location", {}), document.get("cdr_token", {})
    flat = {**document, "location_id": location.get("id"), "evse_uid": location.get("evse_uid"),
            "connector_id": location.get("connector_id"), "token_uid": token.get("uid")}  # fmt: skip
    for name in ("total_cost", "total_energy_cost", "total_time_cost", "total_parking_cost", "total_fixed_cost"):
        price = document.get(name) or {}
        flat[f"{name}_excl_vat"], flat[f"{name}_incl_vat"] = price.get("excl_vat"), price.get("incl_vat")
    return ["" if flat.get(column) is None else flat[column] for column in CSV_COLUMNS]


def cdrs_csv(rows) -> Iterator[bytes]:
    """CSV_COLUMNS' header, then a chunk per CDR."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue().encode()
    for document in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_row(document))
        yield buffer.getvalue().encode()


def cdrs_json(rows) -> Iterator[bytes]:
    """{"cdrs": [...]}, a CDR at a time."""
    yield b'{"cdrs": ['
    for index, document in enumerate(rows):
        yield (b"," if index else b"") + json.dumps(document).encode()
    yield b"]}"


STREAMS = {"csv": (cdrs_csv, "text/csv; charset=utf-8"), "json": (cdrs_json, "application/json")}


def cdr_documents(queryset) -> Iterator[dict]:
    """The CDRs' documents, newest end first, BATCH at a time; each batch is a query of its own, so no
    cursor is held between them (the API sends each batch from whatever thread reads it)."""
    ordered = queryset.order_by("-end_date_time", "-id")
    rows = ordered
    while True:
        batch = list(rows.values_list("end_date_time", "id", "document")[:BATCH])
        yield from (document for _, _, document in batch)
        if len(batch) < BATCH:
            return
        end, pk = batch[-1][:2]
        rows = ordered.filter(Q(end_date_time__lt=end) | Q(end_date_time=end, id__lt=pk))


async def streamed(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI Django reads a sync iterator whole before it sends a byte; this sends as it reads."""
    while True:
        part = await sync_to_async(_next_part)(chunks)
        if not part:
            return
        yield part


def _next_part(chunks: Iterator[bytes]) -> bytes:
    parts, size = [], 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= PART_BYTES:
            break
    return b"".join(parts)
