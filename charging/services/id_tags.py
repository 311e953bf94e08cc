"""Writes of id tags: the API, the admin's CSV import and the CLI all go through here."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Organisation
from charging.models import IdTag
from charging.services.authorization import id_tag_find

# OCPP 1.6 IdToken is CiString20Type; 2.0.1's is 36, which the column allows.
ID_TAG_MAX_LENGTH = 20
UNSET = object()


class IdTagInvalid(ValueError):
    """A field is wrong; `field` names it as the API spells it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class IdTagExists(IdTagInvalid):
    pass


@dataclass(frozen=True)
class ImportRow:
    line: int
    id_tag: str
    created: bool = False
    error: str = ""


def id_tag_problem(value: str) -> str | None:
    """Why `value` cannot be an OCPP 1.6 id tag, or None."""
    if not value or not value.strip():
        return "An id tag cannot be empty."
    if value != value.strip():
        return "An id tag cannot begin or end with spaces."
    if len(value) > ID_TAG_MAX_LENGTH:
        return f"An id tag has at most {ID_TAG_MAX_LENGTH} characters (OCPP CiString20)."
    if not value.isascii() or not value.isprintable():
        return "An id tag is printable ASCII (OCPP CiString)."
    return None


def _parent(organisation: Organisation, parent_id_tag: str | None, *, child: str) -> IdTag | None:
    if not parent_id_tag:
        return None
    parent = id_tag_find(organisation_id=organisation.pk, id_tag=parent_id_tag)
    if parent is None:
        raise IdTagInvalid("parentIdTag", f"No id tag {parent_id_tag} in this organisation.")
    if parent.id_tag.upper() == child.upper():
        raise IdTagInvalid("parentIdTag", "An id tag cannot be its own parent.")
    return parent


def _inserted(**fields) -> IdTag | None:
    """The new tag, or None when a request racing this one created the same id (any case) first."""
    try:
        with transaction.atomic():
            return IdTag.objects.create(**fields)
    except IntegrityError:
        return None


def id_tag_create(
    *,
    organisation: Organisation,
    id_tag: str,
    status: str = IdTag.Status.ACCEPTED,
    expiry_date: datetime | None = None,
    parent_id_tag: str | None = None,
    max_active_transactions: int = 1,
    note: str = "",
) -> IdTag:
    problem = id_tag_problem(id_tag)
    if problem:
        raise IdTagInvalid("idTag", problem)
    existing = id_tag_find(organisation_id=organisation.pk, id_tag=id_tag)
    if existing is not None:
        raise IdTagExists("idTag", f"Id tag {existing.id_tag} exists already (id tags are case-insensitive).")
    tag = _inserted(
        organisation=organisation,
        id_tag=id_tag,
        status=status,
        expiry_date=expiry_date,
        parent=_parent(organisation, parent_id_tag, child=id_tag),
        max_active_transactions=max_active_transactions,
        note=note,
    )
    if tag is None:
        raise IdTagExists("idTag", f"Id tag {id_tag} exists already (id tags are case-insensitive).")
    return tag


def id_tag_update(
    *,
    tag: IdTag,
    status: str = UNSET,
    expiry_date: datetime | None = UNSET,
    parent_id_tag: str | None = UNSET,
    max_active_transactions: int = UNSET,
    note: str = UNSET,
) -> IdTag:
    """Change the fields given. An operator's edit makes an auto-created tag a tag like any other."""
    if parent_id_tag is not UNSET:
        tag.parent = _parent(tag.organisation, parent_id_tag, child=tag.id_tag)
        if tag.parent is not None and id_tag_descends_from(tag.parent, tag):
            raise IdTagInvalid("parentIdTag", f"{parent_id_tag} is a child of {tag.id_tag}.")
    for field, value in (
        ("status", status),
        ("expiry_date", expiry_date),
        ("max_active_transactions", max_active_transactions),
        ("note", note),
    ):
        if value is not UNSET:
            setattr(tag, field, value)
    tag.auto_created = False
    tag.save()
    return tag


def id_tag_descends_from(candidate: IdTag, ancestor: IdTag) -> bool:
    """Whether `candidate` is `ancestor` or one of its descendants (a parent there would make a cycle)."""
    seen = set()
    while candidate is not None and candidate.pk not in seen:
        if candidate.pk == ancestor.pk:
            return True
        seen.add(candidate.pk)
        candidate = candidate.parent
    return False


def id_tag_delete(*, tag: IdTag) -> None:
    """Children keep existing, without a parent."""
    tag.delete()


def id_tag_upsert(*, organisation: Organisation, id_tag: str, **fields) -> tuple[IdTag, bool]:
    """Create the tag, or update the one with the same id (any case). Returns (tag, created)."""
    existing = id_tag_find(organisation_id=organisation.pk, id_tag=id_tag)
    if existing is None:
        return id_tag_create(organisation=organisation, id_tag=id_tag, **fields), True
    return id_tag_update(tag=existing, **fields), False


def id_tag_record_unknown(*, organisation_id: int, id_tag: str) -> IdTag:
    """An unknown tag accepted under the free-vend policy: kept, marked auto-created, for an operator."""
    tag = _inserted(
        organisation_id=organisation_id,
        id_tag=id_tag,
        auto_created=True,
        # Free vend: the tag must never be the reason a second session is refused.
        max_active_transactions=0,
        note="Recorded automatically: presented by a charger while unknown tags are accepted.",
    )
    return tag or id_tag_find(organisation_id=organisation_id, id_tag=id_tag)


def organisation_policy_set(*, organisation: Organisation, unknown_id_tag_policy: str) -> Organisation:
    """Reject unknown id tags, or accept and record them (free vend)."""
    organisation.unknown_id_tag_policy = unknown_id_tag_policy
    organisation.save(update_fields=["unknown_id_tag_policy"])
    return organisation


CSV_COLUMNS = ["idTag", "status", "expiryDate", "parentIdTag", "maxActiveTransactions", "note"]


def id_tags_csv(*, tags) -> str:
    """The tags as CSV with CSV_COLUMNS, as id_tags_import reads them back."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for tag in tags:
        expiry = tag.expiry_date.isoformat().replace("+00:00", "Z") if tag.expiry_date else ""
        parent = tag.parent.id_tag if tag.parent else ""
        writer.writerow([tag.id_tag, tag.status, expiry, parent, tag.max_active_transactions, tag.note])
    return out.getvalue()


def id_tags_import(*, organisation: Organisation, text: str) -> list[ImportRow]:
    """Create or update a tag per CSV row (header: CSV_COLUMNS; only idTag is required).

    Each row is the truth for its tag: an empty status is Accepted, an empty expiryDate none, an
    empty maxActiveTransactions 1. Rows naming a parent run after the others, so a parent may come
    later in the file. A bad row is reported by its line number and changes nothing.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("idTag",) if c not in (reader.fieldnames or [])]
    if missing:
        return [ImportRow(line=1, id_tag="", error=f"The header must name the columns {', '.join(CSV_COLUMNS)}.")]
    unknown = sorted(set(reader.fieldnames) - set(CSV_COLUMNS) - {""})
    if unknown:
        return [ImportRow(line=1, id_tag="", error=f"Unknown columns {', '.join(unknown)}; the columns are "
                          f"{', '.join(CSV_COLUMNS)}.")]  # fmt: skip
    rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    ordered = [r for r in rows if not r[1].get("parentIdTag")] + [r for r in rows if r[1].get("parentIdTag")]
    results = []
    for line, row in ordered:
        id_tag = row.get("idTag", "")
        try:
            fields = _import_fields(row)
            with transaction.atomic():
                _, created = id_tag_upsert(organisation=organisation, id_tag=id_tag, **fields)
            results.append(ImportRow(line=line, id_tag=id_tag, created=created))
        except IdTagInvalid as error:
            results.append(ImportRow(line=line, id_tag=id_tag, error=f"{error.field}: {error.message}"))
    return sorted(results, key=lambda r: r.line)


def _import_fields(row: dict) -> dict:
    status = row.get("status") or IdTag.Status.ACCEPTED
    if status not in IdTag.Status.values:
        raise IdTagInvalid("status", f"{status!r} is not one of {', '.join(IdTag.Status.values)}.")
    expiry = None
    if row.get("expiryDate"):
        expiry = parse_datetime(row["expiryDate"])
        if expiry is None and parse_date(row["expiryDate"]):
            expiry = datetime.combine(parse_date(row["expiryDate"]), time.min)
        if expiry is None:
            raise IdTagInvalid("expiryDate", f"{row['expiryDate']!r} is not an ISO 8601 date or time.")
        if timezone.is_naive(expiry):
            expiry = expiry.replace(tzinfo=UTC)
    limit = row.get("maxActiveTransactions") or "1"
    if not limit.isdigit():
        raise IdTagInvalid("maxActiveTransactions", f"{limit!r} is not a whole number of 0 or more.")
    note = row.get("note", "")
    if len(note) > 200:
        raise IdTagInvalid("note", "At most 200 characters.")
    return {
        "status": status,
        "expiry_date": expiry,
        "parent_id_tag": row.get("parentIdTag") or None,
        "max_active_transactions": int(limit),
        "note": note,
    }
