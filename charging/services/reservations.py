"""Reservations as the CSMS keeps them: created when a charger accepts one, then consumed, cancelled or expired."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chargers.models import Charger
from charging.models import Reservation, Transaction


def reservation_record(
    *,
    charger: Charger,
    reservation_id: int,
    connector_id: int,
    id_tag: str,
    expiry_date: datetime,
    parent_id_tag: str = "",
) -> Reservation:
    """The charger accepted a reservation. Reusing an id replaces that reservation, as on the charger."""
    reservation, _ = Reservation.objects.update_or_create(
        charger=charger,
        reservation_id=reservation_id,
        defaults={
            "connector_id": connector_id,
            "id_tag": id_tag,
            "parent_id_tag": parent_id_tag or "",
            "expiry_date": expiry_date,
            "status": Reservation.Status.ACTIVE,
            "transaction": None,
        },
    )
    return reservation


def reservation_cancel(*, charger: Charger, reservation_id: int) -> int:
    """The charger accepted a CancelReservation; returns how many active reservations it ended (0 or 1)."""
    return Reservation.objects.filter(
        charger=charger, reservation_id=reservation_id, status=Reservation.Status.ACTIVE
    ).update(status=Reservation.Status.CANCELLED, updated_at=timezone.now())


def reservation_consume(*, session: Transaction) -> Reservation | None:
    """The session started on the reservation it names; a reservation of another charger is left alone."""
    if session.reservation_id is None:
        return None
    reservation = (
        Reservation.objects.select_for_update()
        .filter(charger_id=session.charger_id, reservation_id=session.reservation_id)
        .first()
    )
    if reservation is None:
        return None
    # Consumed even if we had already marked it expired: the charger honoured it, and it knows best.
    if reservation.status != Reservation.Status.CANCELLED:
        reservation.status = Reservation.Status.CONSUMED
        reservation.transaction = session
        reservation.save(update_fields=["status", "transaction", "updated_at"])
    return reservation


def reservations_expire(*, now: datetime | None = None) -> int:
    """Active reservations past their expiryDate become Expired; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        return Reservation.objects.filter(status=Reservation.Status.ACTIVE, expiry_date__lte=now).update(
            status=Reservation.Status.EXPIRED, updated_at=now
        )
