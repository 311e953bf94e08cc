"""Tariffs, which tariff prices a session, what a session costs, and its charge detail record."""

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation
from billing import engine, ocpi
from billing.models import CDR, LocalTimeZone, SessionTariff, Tariff, TariffAssignment
from billing.sessions import session_periods, session_reported_until
from chargers import events
from chargers.models import Charger, Site
from charging.models import IdTag, Transaction


class TariffExists(Exception):
    pass


def tariff_time_zone(name: str = "") -> ZoneInfo:
    """Where restrictions' times of day and dates are read: zone `name`, else CSMS_TARIFF_TIME_ZONE."""
    return ZoneInfo(name or settings.CSMS_TARIFF_TIME_ZONE)


def time_zone_for(*, charger_id: int) -> str:
    """The zone of the charger's sessions' restrictions: its own, else its site's, else CSMS_TARIFF_TIME_ZONE."""
    site_id = Charger.everything.filter(pk=charger_id).values_list("site_id", flat=True).first()
    found = Q(charger_id=charger_id) | (Q(site_id=site_id) if site_id is not None else Q(pk__in=[]))
    rows = LocalTimeZone.objects.filter(found).values_list("charger_id", "time_zone")
    zones = {"charger" if charger else "site": zone for charger, zone in rows}
    return zones.get("charger") or zones.get("site") or settings.CSMS_TARIFF_TIME_ZONE


def time_zone_set(*, organisation: Organisation, target: Charger | Site, time_zone: str | None) -> None:
    """Read the restrictions of `target`'s sessions in `time_zone` (an IANA name; None: as before, its site's or
    CSMS_TARIFF_TIME_ZONE). Sessions already priced keep the zone they started with."""
    field = "charger" if isinstance(target, Charger) else "site"
    if time_zone is None:
        LocalTimeZone.objects.filter(**{field: target}).delete()
    else:
        LocalTimeZone.objects.update_or_create(**{field: target}, defaults={"organisation": organisation,
                                                                          "time_zone": time_zone})  # fmt: skip


def _columns(document: dict) -> dict:
    def when(name):
        return datetime.fromisoformat(document[name]) if name in document else None

    return {"currency": document["currency"], "start_date_time": when("start_date_time"),
            "end_date_time": when("end_date_time")}  # fmt: skip


def tariff_create(*, organisation: Organisation, document: dict) -> Tariff:
    """`document`: a validated OCPI Tariff (ocpi.Tariff), in JSON's terms. Raises TariffExists for a taken id."""
    now = timezone.now()
    document = {"id": document.get("id") or uuid.uuid4().hex, **document}
    document.setdefault("last_updated", ocpi.as_json(now))
    if Tariff.objects.filter(organisation=organisation, tariff_id=document["id"]).exists():
        raise TariffExists(f"Tariff {document['id']} exists already.")
    return Tariff.objects.create(
        organisation=organisation, tariff_id=document["id"], document=document, updated_at=now, **_columns(document)
    )


def tariff_update(*, tariff: Tariff, document: dict) -> Tariff:
    """Replace the tariff's object (its id stays; `last_updated` becomes now unless a new one is given), or
    write a new tariff's (the admin's editor). Sessions already priced keep their snapshot."""
    now = timezone.now()
    document = {**document, "id": tariff.tariff_id}
    if document.get("last_updated") in (None, (tariff.document or {}).get("last_updated")):
        document["last_updated"] = ocpi.as_json(now)
    for name, value in _columns(document).items():
        setattr(tariff, name, value)
    tariff.document, tariff.updated_at = document, now
    tariff.save()
    return tariff


def tariff_delete(*, tariff: Tariff) -> None:
    tariff.delete()


# Who a tariff is assigned to, most specific first: the first assignment found prices the session.
ASSIGNMENT_ORDER = ("id tag", "charger", "site")


def tariff_assign(*, organisation: Organisation, tariff: Tariff | None, target: IdTag | Charger | Site | None) -> None:
    """Price `target`'s sessions (None: the organisation's default) with `tariff` (None: no longer)."""
    with transaction.atomic():
        if target is None:
            Tariff.objects.filter(organisation=organisation, is_default=True).update(is_default=False)
            if tariff is not None:
                Tariff.objects.filter(pk=tariff.pk).update(is_default=True)
            return
        field = {IdTag: "id_tag", Charger: "charger", Site: "site"}[type(target)]
        TariffAssignment.objects.filter(**{field: target}).delete()
        if tariff is not None:
            TariffAssignment.objects.create(tariff=tariff, **{field: target})


def charger_tariff_set(*, charger: Charger, tariff_id: str | None) -> None:
    """PATCH charger's `tariffId`: raises ValueError for a tariff the charger's organisation does not have."""
    tariff = None
    if tariff_id is not None:
        tariff = Tariff.objects.filter(organisation_id=charger.organisation_id, tariff_id=tariff_id).first()
        if tariff is None:
            raise ValueError(f"no tariff {tariff_id} in the organisation")
    tariff_assign(organisation=charger.organisation, tariff=tariff, target=charger)


def _valid_at(tariff: Tariff, at: datetime) -> bool:
    return (tariff.start_date_time is None or tariff.start_date_time <= at) and (
        tariff.end_date_time is None or at < tariff.end_date_time
    )


def tariff_for_session(*, session: Transaction, organisation_id: int) -> tuple[Tariff, str] | None:
    """The tariff that prices `session` (tariff_for at its start)."""
    return tariff_for(organisation_id=organisation_id, charger_id=session.charger_id, id_tag=session.id_tag,
                      at=session.start_time)  # fmt: skip


def tariff_for(*, organisation_id: int, charger_id: int, id_tag: str, at: datetime) -> tuple[Tariff, str] | None:
    """The tariff, and who it is assigned to, that prices a session of `id_tag` on the charger starting `at`:
    the id tag's, the charger's, its site's, else the organisation's default; each only while valid
    (start_date_time, end_date_time) at `at`."""
    site_id = Charger.everything.filter(pk=charger_id).values_list("site_id", flat=True).first()
    found = Q(charger_id=charger_id)
    if id_tag:
        found |= Q(id_tag__organisation_id=organisation_id, id_tag__id_tag=id_tag)
    if site_id is not None:
        found |= Q(site_id=site_id)
    candidates = []
    for assignment in TariffAssignment.objects.filter(found).select_related("tariff"):
        kind = "id tag" if assignment.id_tag_id else "charger" if assignment.charger_id else "site"
        candidates.append((ASSIGNMENT_ORDER.index(kind), assignment.tariff, kind))
    default = Tariff.objects.filter(organisation_id=organisation_id, is_default=True).first()
    if default is not None:
        candidates.append((len(ASSIGNMENT_ORDER), default, "default"))
    for _, tariff, kind in sorted(candidates, key=lambda c: c[0]):
        if tariff.organisation_id == organisation_id and _valid_at(tariff, at):
            return tariff, kind
    return None


def session_price(*, session: Transaction, organisation_id: int) -> SessionTariff | None:
    """Keep a snapshot of the tariff that prices `session` (once: a retried start keeps the first)."""
    existing = SessionTariff.objects.filter(transaction=session).first()
    if existing is not None:
        return existing
    found = tariff_for_session(session=session, organisation_id=organisation_id)
    if found is None:
        return None
    tariff, kind = found
    return SessionTariff.objects.create(transaction=session, tariff=tariff, snapshot=tariff.document, assigned_by=kind,
                                        time_zone=time_zone_for(charger_id=session.charger_id))  # fmt: skip


def session_costs(
    *, session: Transaction, now: datetime | None = None, priced: SessionTariff | None = None
) -> engine.Costs | None:
    """What `session` costs by its snapshot: until it stopped, else until `now`, else as far as the charger
    reported it. None for a session with no tariff."""
    priced = priced or SessionTariff.objects.filter(transaction=session).first()
    if priced is None:
        return None
    return _session_priced(session, priced.snapshot, priced.time_zone, now)


def _session_priced(session: Transaction, tariff: dict, time_zone: str, now: datetime | None = None) -> engine.Costs:
    end = max(session.stop_time or now or session_reported_until(session), session.start_time)
    periods = session_periods(session, end=end)
    return engine.price_periods(tariff, start=session.start_time, end=end, periods=periods,
                                tz=tariff_time_zone(time_zone))  # fmt: skip


def _unpriced(currency: str) -> dict:
    """What a session no tariff prices is measured with: a tariff of no elements, so its volumes and periods
    are those of any CDR, and each of its costs is 0."""
    return {"currency": currency, "elements": []}


def session_cost_shown(session: Transaction) -> dict | None:
    """What chargers and the API show of a session's cost: currency, total with and without VAT, and the
    tariff's text (its first tariff_alt_text), or None for a session no tariff prices."""
    return _cost_shown(SessionTariff.objects.filter(transaction=session).first())


def transaction_cost_shown(*, charger_id: int, transaction_id: str) -> dict | None:
    """`session_cost_shown` of the charger's session `transaction_id`: one query for a session with no tariff."""
    priced = SessionTariff.objects.filter(transaction__charger_id=charger_id, transaction__ocpp_id=transaction_id)
    return _cost_shown(priced.select_related("transaction").first())


def _cost_shown(priced: SessionTariff | None) -> dict | None:
    if priced is None:
        return None
    total = session_costs(session=priced.transaction, priced=priced).total_cost
    text = (priced.snapshot.get("tariff_alt_text") or [{}])[0]
    return {
        "currency": priced.snapshot["currency"],
        "excl_vat": float(total.excl_vat),
        "incl_vat": float(total.incl_vat),
        "text": text.get("text", ""),
        "language": text.get("language"),
    }


def tariff_preview(
    *, document: dict, start: datetime, end: datetime, charging_periods: list[dict], time_zone: str = ""
) -> engine.Costs:
    """Price OCPI charging periods (validated, ocpi.SessionPeriods) with a tariff object, its restrictions read
    in `time_zone` (else CSMS_TARIFF_TIME_ZONE)."""
    periods = engine.periods_from_ocpi(charging_periods, end)
    return engine.price_periods(document, start=start, end=end, periods=periods, tz=tariff_time_zone(time_zone))


def _auth_method(session: Transaction) -> str:
    return "COMMAND" if session.remote_start_id is not None else "AUTH_REQUEST"


def _cdr_document(session: Transaction, charger: Charger, snapshot: dict | None, costs: engine.Costs) -> dict:
    """OCPI's CDR of `session`; `snapshot`: the tariff that priced it, None for a free session (no `tariffs`,
    no `tariff_id` on its periods: OCPI's "no tariff is relevant")."""
    evse = session.evse_id or session.connector_id
    document = {
        "id": uuid.uuid4().hex,
        "start_date_time": ocpi.as_json(session.start_time),
        "end_date_time": ocpi.as_json(session.stop_time),
        "session_id": session.ocpp_id,
        "cdr_token": {"uid": session.id_tag, "type": "RFID", "contract_id": session.id_tag},
        "auth_method": _auth_method(session),
        "cdr_location": {
            "id": charger.charge_box_id,
            "name": charger.name,
            "address": charger.location,
            "evse_uid": f"{charger.charge_box_id}-{evse}",
            "evse_id": str(evse),
            "connector_id": str(session.connector_id),
        },
        "currency": costs.currency,
        **({"tariffs": [snapshot]} if snapshot is not None else {}),
        **costs.as_ocpi(),
        "credit": False,
        "last_updated": ocpi.as_json(timezone.now()),
    }
    for name in ("country_code", "party_id"):
        if name in (snapshot or {}):
            document[name] = snapshot[name]
    return document


def _cdr_record(*, organisation_id: int, session: Transaction | None, charge_box_id: str, document: dict,
                credit_reference: CDR | None = None) -> CDR:  # fmt: skip
    cdr = CDR.objects.create(
        organisation_id=organisation_id,
        cdr_id=document["id"],
        transaction=session,
        charge_box_id=charge_box_id,
        id_tag=document["cdr_token"]["uid"],
        start_date_time=document["start_date_time"],
        end_date_time=document["end_date_time"],
        currency=document["currency"],
        total_cost_excl_vat=Decimal(str(document["total_cost"]["excl_vat"])),
        total_cost_incl_vat=Decimal(str(document["total_cost"]["incl_vat"])),
        credit=document["credit"],
        credit_reference=credit_reference,
        document=document,
    )
    events.cdr_created(organisation_id=organisation_id, cdr=document)
    return cdr


def cdr_issue(*, session: Transaction) -> CDR | None:
    """Write the CDR of an ended session. One no tariff prices is free: its CDR has the session's energy, times
    and periods, every cost 0, in CSMS_FREE_SESSION_CURRENCY, and no `tariffs`. A session that ends again (an
    operator closed it, then the charger's own stop came) gets its first CDR credited and a new one."""
    if session.stop_time is None:
        return None
    priced = SessionTariff.objects.filter(transaction=session).first()
    snapshot = priced.snapshot if priced is not None else None
    charger = Charger.everything.get(pk=session.charger_id)
    for earlier in _uncredited(session):
        cdr_credit(cdr=earlier)
    if priced is not None:
        costs = _session_priced(session, priced.snapshot, priced.time_zone)
    else:
        costs = _session_priced(session, _unpriced(settings.CSMS_FREE_SESSION_CURRENCY), "")
    document = _cdr_document(session, charger, snapshot, costs)
    return _cdr_record(organisation_id=charger.organisation_id, session=session,
                       charge_box_id=charger.charge_box_id, document=document)  # fmt: skip


def _uncredited(session: Transaction):
    credited = CDR.objects.filter(credit=True, transaction=session).values("credit_reference_id")
    return CDR.objects.filter(transaction=session, credit=False).exclude(pk__in=credited)


class AlreadyCredited(Exception):
    pass


def cdr_credit(*, cdr: CDR) -> CDR:
    """A credit CDR for `cdr`: the same record with its amounts negated, `credit: true` and
    `credit_reference_id`. Raises AlreadyCredited for a credit CDR or one credited before."""
    if cdr.credit or CDR.objects.filter(credit_reference=cdr).exists():
        raise AlreadyCredited(f"CDR {cdr.cdr_id} is a credit or has been credited.")
    document = {
        **_negated(cdr.document),
        "id": uuid.uuid4().hex,
        "credit": True,
        "credit_reference_id": cdr.cdr_id,
        "last_updated": ocpi.as_json(timezone.now()),
    }
    return _cdr_record(organisation_id=cdr.organisation_id, session=cdr.transaction,
                       charge_box_id=cdr.charge_box_id, document=document, credit_reference=cdr)  # fmt: skip


def _negated(document: dict) -> dict:
    """OCPI's credit CDR: every cost negated, volumes as they were."""
    return {
        name: {k: -v or 0 for k, v in value.items()} if name.startswith("total_") and isinstance(value, dict) else value
        for name, value in document.items()
    }
