"""Charging sessions as chargers report them. Never reject in a way that makes a charger retry forever."""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from chargers import events
from chargers.models import Transaction, UnmatchedStop
from chargers.services.authorization import IdTagDecision, id_tag_decide
from chargers.services.metering import Sample, samples_record


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
) -> StartOutcome:
    """Record a started session. A retried identical start returns the first one unchanged."""
    retried = Transaction.objects.filter(
        charger_id=charger_id, connector_id=connector_id, id_tag=id_tag, meter_start=meter_start, start_time=timestamp
    ).first()
    decision = id_tag_decide(organisation_id=organisation_id, id_tag=id_tag)
    if retried is not None:
        # The same answer as the first time: the retried session itself must not make it ConcurrentTx.
        return StartOutcome(retried, replace(decision, status=retried.id_tag_status))
    while True:
        ocpp_id = str(Transaction.new_ocpp_id())
        if Transaction.objects.filter(ocpp_id=ocpp_id).exists():
            continue
        try:
            with transaction.atomic():
                started = Transaction.objects.create(
                    charger_id=charger_id,
                    ocpp_id=ocpp_id,
                    connector_id=connector_id,
                    id_tag=id_tag,
                    id_tag_status=decision.status,
                    meter_start=meter_start,
                    start_time=timestamp,
                    reservation_id=reservation_id,
                )
        except IntegrityError:
            continue
        events.transaction_started(
            charger_id=charger_id,
            transaction_id=ocpp_id,
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
        stopped = Transaction.objects.select_for_update().filter(charger_id=charger_id, ocpp_id=transaction_id).first()
        first_report = True
        if stopped is None:
            same = {"transaction_id": transaction_id, "meter_stop": meter_stop, "timestamp": timestamp}
            first_report = not UnmatchedStop.objects.filter(charger_id=charger_id, **same).exists()
            if first_report:
                UnmatchedStop.objects.create(
                    charger_id=charger_id, id_tag=id_tag, reason=reason, payload=payload or {}, **same
                )
        elif stopped.stop_time is None:
            stopped.stop_time = timestamp
            stopped.meter_stop = meter_stop
            stopped.stop_reason = reason
            stopped.stop_id_tag = id_tag
            stopped.energy_wh = max(meter_stop - stopped.meter_start, 0)
            stopped.last_message_at = timezone.now()
            stopped.save()
            events.transaction_stopped(
                charger_id=charger_id,
                transaction_id=transaction_id,
                connector_id=stopped.connector_id,
                meter_stop=meter_stop,
                stop_time=timestamp,
                energy_wh=stopped.energy_wh,
                reason=reason,
            )
        else:
            first_report = False
        if samples and first_report:
            samples_record(
                charger_id=charger_id,
                connector_id=stopped.connector_id if stopped else 0,
                samples=list(samples),
                transaction=stopped,
                reported_transaction_id=transaction_id,
            )
    if not id_tag:
        return None
    return id_tag_decide(organisation_id=organisation_id, id_tag=id_tag, starting=False)
