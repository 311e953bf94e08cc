"""Reservations as every simulated charger keeps them: one per connector, ended when its id tag
starts a session, when it is cancelled or when it expires.

Mixed into each version's charger, which answers ReserveNow in its own words and says what it
sends when a reservation expires (`reservation_expired`).
"""

from datetime import datetime

from ocpp.routing import after

from simulator.charger import answers
from simulator.clock import until
from simulator.connectors import Connector, Reservation


class Reservations:
    def _reserve(self, connector: Connector, reservation_id: int, id_tag: str, parent_id_tag, expiry: datetime) -> str:
        """ReserveNow's status; a reservation with the same id elsewhere moves here."""
        held = connector.reservation
        if connector.session is not None or (held is not None and held.reservation_id != reservation_id):
            return "Occupied"
        if not self._operative(connector):
            return "Unavailable"
        if (previous := self._reserved(reservation_id)) is not None:
            self._end_reservation(previous)
        connector.reservation = Reservation(reservation_id, id_tag, parent_id_tag, expiry)
        self._expiries[reservation_id] = self._spawn(self._expire(connector, expiry))
        return "Accepted"

    def _report_reserved(self, reservation_id: int) -> None:
        connector = self._reserved(reservation_id)
        if connector is not None:
            self._spawn(self.report_status(connector.id))

    async def _expire(self, connector: Connector, expiry: datetime) -> None:
        await until(expiry)
        reservation_id = connector.reservation.reservation_id
        self.log.info("reservation %s on %s %s expired", reservation_id, self.point, connector.id)
        self._end_reservation(connector)
        await self.reservation_expired(reservation_id)
        await self.report_status(connector.id)

    async def reservation_expired(self, reservation_id: int) -> None:
        """What the version sends when a reservation expires (1.6: nothing but the status)."""

    def _end_reservation(self, connector: Connector) -> None:
        if connector.reservation is not None:
            self._cancel(self._expiries.pop(connector.reservation.reservation_id, None))
            connector.reservation = None

    def _reserved(self, reservation_id: int) -> Connector | None:
        for connector in self.connectors.values():
            if connector.reservation and connector.reservation.reservation_id == reservation_id:
                return connector
        return None

    @answers("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **_):
        status = "Accepted" if self._reserved(reservation_id) else "Rejected"
        return self._call_result.CancelReservation(status=status)

    @after("CancelReservation")
    def after_cancel_reservation(self, reservation_id: int, **_):
        connector = self._reserved(reservation_id)
        if connector is not None:
            self._end_reservation(connector)
            self._spawn(self.report_status(connector.id))
