"""Charging sessions as every simulated charger runs them: local and remote starts, the stop's
bookkeeping, availability, and the car drawing what the charging profiles allow.

Mixed into each version's charger, which supplies how it names an id tag (`id_token`, `id_tag_of`),
what it calls a connector (`point`), `start_session`, `stop_session`, `status_of`,
`report_status`, `ask_authorization` and `sampled_value`.
"""

import asyncio
import re

from ocpp.routing import after

from simulator.charger import answers
from simulator.charging_profiles import TX
from simulator.clock import iso, now
from simulator.connectors import Connector, Reservation, Session

DEFAULT_MEASURAND = "Energy.Active.Import.Register"


def remote_stop(action: str):
    """The answer to a remote stop and the stop it starts (1.6 RemoteStopTransaction, 2.0.1
    RequestStopTransaction), named `on_<action>` and `after_<action>` as the `ocpp` library routes
    them: `on_..., after_... = remote_stop(action)` in a version's class."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()

    def answer(self, transaction_id, **_):
        known = self._session(transaction_id) is not None
        return getattr(self._call_result, action)(status="Accepted" if known else "Rejected")

    def stop(self, transaction_id, **_):
        session = self._session(transaction_id)
        if session is not None:
            self._spawn(self.stop_session(session.connector_id, reason="Remote", trigger="RemoteStop"))

    answer.__name__, stop.__name__ = f"on_{snake}", f"after_{snake}"
    return answers(action)(answer), after(action)(stop)


class Sessions:
    point = "connector"

    async def charge(self, id_tag: str, *, connector_id: int | None = None, duration: float = 60) -> Session | None:
        """One local session: authorised, started, metered and stopped after `duration` s (or sooner if the
        CSMS stops it). None when the id tag is not accepted or no connector is free."""
        token = self.id_token(id_tag)
        if self.flag("authorize") and await self.authorize(token) != "Accepted":
            self.log.warning("%s was not accepted; not charging", id_tag)
            return None
        connector_id = connector_id or self._free_connector(id_tag)
        if connector_id is None:
            self.log.warning("no %s is available for %s", self.point, id_tag)
            return None
        session = await self.start_session(connector_id, token, trigger="Authorized")
        try:
            await asyncio.wait_for(session.stopped.wait(), duration)
        except TimeoutError:
            await self.stop_session(connector_id, reason="Local", trigger="StopAuthorized")
        return session

    def _take_reservation(self, connector: Connector, id_tag: str) -> Reservation | None:
        """The connector's reservation, ended, if it was held for this id tag."""
        reservation = connector.reservation
        if reservation is None or not reservation.admits(id_tag):
            return None
        self._end_reservation(connector)
        return reservation

    def _started(self, connector: Connector, session: Session) -> None:
        self.log.info(
            "transaction %s started on %s %s for %s (%s)",
            session.transaction_id,
            self.point,
            connector.id,
            session.id_tag,
            session.id_tag_status,
        )
        for installed in self.profiles.installed:
            if installed.purpose == TX and installed.connector_id == connector.id:
                installed.profile.setdefault("transaction_id", session.transaction_id)
                if "received" in installed.profile:  # the profile as a 2.0.1 station received it
                    installed.profile["received"].setdefault("transaction_id", session.transaction_id)

    async def _ended(self, connector: Connector, session: Session) -> None:
        """After the stop message: the session's profiles go, a held-back availability change applies."""
        self.profiles.clear(connector_id=connector.id, purpose=TX)
        connector.session = None
        await self.session_ended(connector)
        connector.settle_availability()
        await self.report_status(connector.id)
        session.stopped.set()

    def _claim(self, connector_id: int | None, token, charging_profile: dict | None, **claim) -> str:
        """A remote start's answer; on Accepted the connector is claimed now, so that nothing else takes it
        before the session starts."""
        id_tag = self.id_tag_of(token)
        if connector_id is None:
            connector_id = self._free_connector(id_tag)
        connector = self.connectors.get(connector_id)
        if connector is None or self.status_of(connector) not in ("Available", "Reserved"):
            return "Rejected"
        if connector.reservation is not None and not connector.reservation.admits(id_tag):
            return "Rejected"
        if charging_profile is not None:
            if charging_profile["charging_profile_purpose"] != TX:
                return "Rejected"
            self.profiles.install(connector_id, self.as_installed(charging_profile))
        connector.session = self.new_session(connector, token, meter_start=0, remote=True, **claim)
        return "Accepted"

    async def _remote_session(self, connector: Connector, token, **start) -> None:
        if self.flag("authorize_remote_start") and await self.authorize(token) != "Accepted":
            connector.session = None
            await self.report_status(connector.id)
            return
        connector.session = None
        await self.start_session(connector.id, token, trigger="RemoteStart", **start)

    def _claimed(self, **claim) -> Connector | None:
        """The connector a remote start claimed, found by what the claim carries."""
        for connector in self.connectors.values():
            session = connector.session
            if session is not None and session.remote and all(getattr(session, k) == v for k, v in claim.items()):
                return connector
        return None

    def _session(self, transaction_id) -> Session | None:
        for connector in self.connectors.values():
            session = connector.session
            if session and not session.remote and session.transaction_id == transaction_id:
                return session
        return None

    def _free_connector(self, id_tag: str) -> int | None:
        for connector in self.connectors.values():
            if connector.reservation and connector.reservation.admits(id_tag) and connector.session is None:
                return connector.id
        for connector in self.connectors.values():
            if self.status_of(connector) == "Available":
                return connector.id
        return None

    def _operative(self, connector: Connector) -> bool:
        return self.operative and connector.operative

    def _change_availability(self, connector_id: int, operative: bool) -> str:
        """Connector 0 is the whole charger; a connector in a session changes once the session ends."""
        if connector_id == 0:
            self.operative = operative
        targets = list(self.connectors.values()) if connector_id == 0 else [self.connectors[connector_id]]
        scheduled = [connector.change_availability(operative) for connector in targets]
        return "Scheduled" if any(scheduled) else "Accepted"

    def _report_availability(self, connector_id: int) -> None:
        if connector_id == 0:
            self._spawn(self.report_status())
        elif connector_id in self.connectors:
            self._spawn(self.report_status(connector_id))

    # Metering.

    def _follow_limit(self, connector: Connector) -> None:
        """The car draws what the charging profiles allow now (nothing outside a session)."""
        session = connector.session
        if session is None or not session.charging:
            connector.outlet.draw(0)
            return
        connector.outlet.draw(
            self.profiles.limit_at(
                now(),
                connector_id=connector.id,
                outlet=connector.outlet,
                transaction_id=session.transaction_id,
                transaction_start=session.started_at,
            )
        )

    def _reading(self, connector: Connector, measurands: list[str], context: str, when=None) -> dict:
        values = connector.outlet.readings()
        return {
            "timestamp": iso(when or now()),
            "sampled_value": [self.sampled_value(m, *values[m], context) for m in measurands or [DEFAULT_MEASURAND]],
        }

    async def _triggered_meter_values(self, connector_id: int | None) -> None:
        for n in [connector_id] if connector_id else list(self.connectors):
            await self.send_meter_values(n, context="Trigger")

    def _send_triggered(self, requested_message: str, connector_id: int | None) -> None:
        send = self._triggers().get(requested_message)
        if send is not None:
            self._spawn(send(connector_id))

    def _triggers(self) -> dict:
        """What a TriggerMessage may ask for in every version, by message; each version adds its own."""
        return {
            "Heartbeat": lambda _: self.heartbeat(),
            "StatusNotification": self.report_status,
            "MeterValues": self._triggered_meter_values,
        }
