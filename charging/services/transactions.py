"""Charging sessions as chargers report them. Never reject in a way that makes a charger retry forever."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chargers import events
from chargers.models import Charger
from charging.models import Transaction, TransactionEvent, UnmatchedStop
from charging.services.authorization import IdTagDecision, id_tag_decide
from charging.services.metering import ENERGY_REGISTER, Sample, energy_register_wh, samples_record, session_figures
from charging.services.reservations import reservation_consume
from csms import hooks, metrics, statements

metrics.read_at_scrape(
    "csms_open_transactions", "Transactions not stopped yet (counted in the database at each scrape).", [],
    lambda: {(): Transaction.objects.filter(stop_time__isnull=True).count()},
)  # fmt: skip

# What a StopTransaction changes on its session.
STOP_FIELDS = ["stop_time", "meter_stop", "stop_reason", "stop_id_tag", "suspect", "last_message_at", "energy_wh"]


class TransactionAlreadyStopped(Exception):
    pass


@dataclass(frozen=True)
class StartOutcome:
    transaction: Transaction
    decision: IdTagDecision


def transaction_start(
    *,
    charger_id: int,
    organisation_id: int,
    connector_id: int,
    id_tag: str,
    meter_start: int,
    timestamp: datetime,
    reservation_id: int | None = None,
    ocpp_id: str | None = None,
    evse_id: int | None = None,
    remote_start_id: int | None = None,
    offline: bool = False,
) -> StartOutcome:
    """Record a started session. A retried identical start returns the first one unchanged.

    `ocpp_id` is the charger's own transaction id (OCPP 2.0.1); without one (1.6) we choose
    an unguessable one. `evse_id` defaults to the connector (1.6).
    """
    if ocpp_id is not None:
        retried = statements.instance(Transaction, where={"charger_id": charger_id, "ocpp_id": ocpp_id})
    else:
        same = {"connector_id": connector_id, "id_tag": id_tag, "meter_start": meter_start, "start_time": timestamp}
        retried = statements.instance(Transaction, where={"charger_id": charger_id, **same})
    decision = id_tag_decide(organisation_id=organisation_id, id_tag=id_tag)
    if retried is not None:
        # The same answer as the first time: the retried session itself must not make it ConcurrentTx.
        return StartOutcome(retried, replace(decision, status=retried.id_tag_status))
    chosen_by_charger = ocpp_id is not None
    while True:
        if not chosen_by_charger:
            ocpp_id = str(Transaction.new_ocpp_id())
            if statements.select_one(Transaction, ["id"], where={"ocpp_id": ocpp_id}) is not None:
                continue
        try:
            with transaction.atomic():
                started = statements.add(
                    Transaction(
                        charger_id=charger_id,
                        ocpp_id=ocpp_id,
                        evse_id=connector_id if evse_id is None else evse_id,
                        connector_id=connector_id,
                        remote_start_id=remote_start_id,
                        offline=offline,
                        id_tag=id_tag,
                        id_tag_status=decision.status,
                        meter_start=meter_start,
                        start_time=timestamp,
                        reservation_id=reservation_id,
                    )
                )
        except IntegrityError:
            if chosen_by_charger:  # started meanwhile by a concurrent retry of the same message
                return StartOutcome(Transaction.objects.get(charger_id=charger_id, ocpp_id=ocpp_id), decision)
            continue
        reservation_consume(session=started)
        hooks.run(hooks.SESSION_STARTED, session=started)
        events.transaction_started(
            charger_id=charger_id,
            transaction_id=ocpp_id,
            evse_id=evse_id,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            start_time=timestamp,
        )
        return StartOutcome(started, decision)


def transaction_stop(
    *,
    charger_id: int,
    organisation_id: int,
    transaction_id: str,
    meter_stop: int,
    timestamp: datetime,
    reason: str = "",
    id_tag: str = "",
    samples: list[Sample] = (),
    payload: dict | None = None,
) -> IdTagDecision | None:
    """Close a session. An unknown transaction is kept as an UnmatchedStop for an operator.

    A retried stop (the charger missed our answer) changes nothing and stores nothing twice.
    """
    with transaction.atomic():
        stopped = statements.instance(
            Transaction, where={"charger_id": charger_id, "ocpp_id": transaction_id}, for_update=True
        )
        first_report = True
        if stopped is None:
            same = {"transaction_id": transaction_id, "meter_stop": meter_stop, "timestamp": timestamp}
            first_report = not UnmatchedStop.objects.filter(charger_id=charger_id, **same).exists()
            if first_report:
                UnmatchedStop.objects.create(
                    charger_id=charger_id, id_tag=id_tag, reason=reason, payload=payload or {}, **same
                )
        elif stopped.stop_time is not None and not _charger_stop_after_manual_close(stopped, meter_stop, timestamp):
            first_report = False
        if samples and first_report:
            _session_samples_record(
                charger_id=charger_id, session=stopped, samples=samples, reported_transaction_id=transaction_id
            )
        if stopped is not None and first_report:
            # The charger's own figures win over an operator's manual close; who closed it and why stay.
            _end(
                stopped,
                stop_time=timestamp,
                meter_stop=meter_stop,
                stop_reason=reason,
                stop_id_tag=id_tag,
                last_message_at=timezone.now(),
            )
            statements.update(Transaction, {f: getattr(stopped, f) for f in STOP_FIELDS}, where={"id": stopped.pk})
            session_ended(session=stopped)
    if not id_tag:
        return None
    return id_tag_decide(organisation_id=organisation_id, id_tag=id_tag, starting=False)


def session_ended(*, session: Transaction) -> None:
    """What follows the end of a session, however it ended: watchers are told, and the rooms above
    act on it (smart charging: its TxProfiles go, its site's capacity is shared again)."""
    if not Transaction.charger.is_cached(session):
        # Its EVSE (Transaction.evse) needs only the charger's protocol, not the whole charger.
        charger = statements.instance(Charger, where={"id": session.charger_id}, only=("id", "ocpp_protocol"))
        if charger is not None:
            session.charger = charger
    events.transaction_stopped(
        charger_id=session.charger_id,
        transaction_id=session.ocpp_id,
        evse_id=session.evse,
        connector_id=session.connector_id,
        meter_stop=session.meter_stop,
        stop_time=session.stop_time,
        energy_wh=session.energy_wh,
        reason=session.stop_reason,
    )
    hooks.run(hooks.SESSION_ENDED, session=session)


@dataclass(frozen=True)
class SessionEvent:
    """One report on a session whose id the charger chose (OCPP 2.0.1 TransactionEvent)."""

    transaction_id: str
    event_type: str  # Started | Updated | Ended
    seq_no: int
    timestamp: datetime
    trigger_reason: str
    payload: dict
    evse_id: int | None = None
    connector_id: int | None = None
    id_tag: str = ""
    offline: bool = False
    charging_state: str = ""
    stopped_reason: str = ""
    remote_start_id: int | None = None
    reservation_id: int | None = None
    samples: tuple[Sample, ...] = ()


def transaction_event_record(*, charger_id: int, organisation_id: int, event: SessionEvent) -> IdTagDecision | None:
    """Record one event of a charger-numbered session: start it on its first event (whatever its
    type, since earlier ones may be lost), keep every event with its seqNo, note the seqNos
    missing so far, store its meter values, and stop it on Ended. A retried event changes nothing.
    """
    with transaction.atomic():
        session = Transaction.objects.select_for_update().filter(charger_id=charger_id, ocpp_id=event.transaction_id)
        session = session.first()
        decision = None
        if session is None:
            outcome = transaction_start(
                charger_id=charger_id,
                organisation_id=organisation_id,
                connector_id=event.connector_id or (1 if event.evse_id else 0),
                evse_id=event.evse_id or 0,
                id_tag=event.id_tag,
                meter_start=_energy_wh(event.samples) or 0,
                timestamp=event.timestamp,
                reservation_id=event.reservation_id,
                ocpp_id=event.transaction_id,
                remote_start_id=event.remote_start_id,
                offline=event.offline,
            )
            session = Transaction.objects.select_for_update().get(pk=outcome.transaction.pk)
            decision = outcome.decision if event.id_tag else None
        elif event.id_tag:
            decision = id_tag_decide(organisation_id=organisation_id, id_tag=event.id_tag, starting=not session.id_tag)
        if TransactionEvent.objects.filter(transaction=session, seq_no=event.seq_no).exists():
            return decision
        TransactionEvent.objects.create(
            charger_id=charger_id,
            transaction=session,
            event_type=event.event_type,
            seq_no=event.seq_no,
            trigger_reason=event.trigger_reason,
            timestamp=event.timestamp,
            offline=event.offline,
            charging_state=event.charging_state,
            payload=event.payload,
        )
        seen = set(TransactionEvent.objects.filter(transaction=session).values_list("seq_no", flat=True))
        changes = {
            "last_seq_no": max(seen),
            "missing_seq_nos": [n for n in range(min(seen | {0}), max(seen)) if n not in seen],
            "offline": session.offline or event.offline,
            "last_message_at": timezone.now(),
        }
        if not session.id_tag:  # not authorized yet (plugged in first), or authorized now
            changes |= {"id_tag": event.id_tag, "id_tag_status": decision.status if decision else ""}
        if event.remote_start_id is not None and session.remote_start_id is None:
            changes["remote_start_id"] = event.remote_start_id
        Transaction.objects.filter(pk=session.pk).update(**changes)
        if event.charging_state and event.event_type != "Ended":
            events.transaction_charging_state_changed(
                charger_id=charger_id, transaction_id=session.ocpp_id, evse_id=session.evse_id,
                connector_id=session.connector_id, charging_state=event.charging_state,
            )  # fmt: skip
        if event.event_type != "Ended" and event.samples:
            _session_samples_record(
                charger_id=charger_id,
                session=session,
                samples=event.samples,
                reported_transaction_id=event.transaction_id,
            )
    if event.event_type == "Ended":
        transaction_stop(
            charger_id=charger_id,
            organisation_id=organisation_id,
            transaction_id=event.transaction_id,
            meter_stop=_energy_wh(event.samples, last=True) or _last_energy_wh(session),
            timestamp=event.timestamp,
            reason=event.stopped_reason,
            id_tag=event.id_tag,
            samples=list(event.samples),
            payload=event.payload,
        )
    return decision


def _end(session: Transaction, **stop) -> None:
    """Set what ends `session` (its stop time, meter stop, reason...): no longer suspect, its energy from them."""
    for field, value in stop.items():
        setattr(session, field, value)
    session.suspect = False
    session.energy_wh = session_figures(session).energy_wh


def _session_samples_record(
    *, charger_id: int, session: Transaction | None, samples, reported_transaction_id: str
) -> None:
    """Keep samples the charger reported of a session, against the session where it is known."""
    samples_record(
        charger_id=charger_id,
        connector_id=session.connector_id if session else 0,
        evse_id=session.evse_id if session else 0,
        samples=list(samples),
        transaction_id=session.pk if session else None,
        reported_transaction_id=reported_transaction_id,
    )


def _energy_wh(samples, last: bool = False) -> int | None:
    """The energy register among samples, in Wh (the first, or the last)."""
    readings = [s for s in samples if (s.measurand or ENERGY_REGISTER) == ENERGY_REGISTER and not s.phase]
    if not readings:
        return None
    reading = readings[-1] if last else readings[0]
    try:
        return round(energy_register_wh(float(reading.value), reading.unit))
    except ValueError:
        return None


def _last_energy_wh(session: Transaction) -> int:
    """A session ended with no final reading: its last register reading, else no energy."""
    last = (
        session.meter_values.filter(measurand=ENERGY_REGISTER, phase="", numeric__isnull=False)
        .order_by("-timestamp", "-id")
        .first()
    )
    return round(energy_register_wh(last.numeric, last.unit)) if last else session.meter_start


def _charger_stop_after_manual_close(session: Transaction, meter_stop: int, timestamp: datetime) -> bool:
    """The charger's StopTransaction for a session an operator closed by hand; a retry of it repeats its figures."""
    return session.closed_manually and (session.meter_stop, session.stop_time) != (meter_stop, timestamp)


def transaction_close(
    *, session: Transaction, reason: str, closed_by: str, meter_stop: int | None = None
) -> Transaction:
    """An operator closes a session the charger never stopped: recorded as a manual close, with who and why.

    Raises TransactionAlreadyStopped for a stopped session.
    """
    with transaction.atomic():
        session = Transaction.objects.select_for_update().get(pk=session.pk)
        if session.stop_time is not None:
            raise TransactionAlreadyStopped(f"Transaction {session.ocpp_id} is already stopped.")
        _end(
            session,
            stop_time=timezone.now(),
            meter_stop=meter_stop,
            stop_reason="Other",
            closed_manually=True,
            closed_by=closed_by,
            close_reason=reason,
        )
        session.save()
        session_ended(session=session)
    return session


def transactions_flag_suspect(*, now: datetime | None = None) -> int:
    """Flag open sessions whose charger has said nothing of them for CSMS_TRANSACTION_SUSPECT_AFTER seconds."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.CSMS_TRANSACTION_SUSPECT_AFTER)
    return Transaction.objects.filter(stop_time__isnull=True, suspect=False, last_message_at__lt=cutoff).update(
        suspect=True
    )
