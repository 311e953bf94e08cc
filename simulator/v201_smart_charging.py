"""OCPP 2.0.1 smart charging as a simulated station does it: charging profiles installed,
cleared and reported, the composite schedule, and the car drawing what they allow.

Mixed into `SimulatedCharger201` over what every version shares (`smart_charging.py`). Profiles are
kept as the 1.6 charger keeps them (`charging_profiles.py`), each with the profile as received.
"""

from ocpp.routing import after
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from simulator.charger import answers
from simulator.charging_profiles import CHARGE_POINT_MAX, TX
from simulator.clock import iso
from simulator.smart_charging import SmartCharging

# 2.0.1's profile purposes by the 1.6 names the charging-profile arithmetic uses.
PURPOSES = {"ChargingStationMaxProfile": CHARGE_POINT_MAX}


def as_installed(profile: dict) -> dict:
    """A 2.0.1 charging profile in the shape the charging-profile arithmetic keeps (1.6's), carrying
    the profile as received for GetChargingProfiles."""
    purpose = profile["charging_profile_purpose"]
    kept = {
        "charging_profile_id": profile["id"],
        "stack_level": profile["stack_level"],
        "charging_profile_purpose": PURPOSES.get(purpose, purpose),
        "charging_profile_kind": profile["charging_profile_kind"],
        "charging_schedule": profile["charging_schedule"][0],
        "received": profile,
    }
    for name in ("recurrency_kind", "valid_from", "valid_to", "transaction_id"):
        if profile.get(name) is not None:
            kept[name] = profile[name]
    return kept


class SmartCharging201(SmartCharging):
    """SetChargingProfile, ClearChargingProfile, GetChargingProfiles and GetCompositeSchedule."""

    @answers(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id: int, charging_profile: dict, **_):
        purpose = charging_profile["charging_profile_purpose"]
        evse = self.evses.get(evse_id)
        model = self.device_model
        if (
            not model.enabled("SmartChargingCtrlr")
            or (evse_id != 0 and evse is None)
            or purpose == "ChargingStationExternalConstraints"
            or (purpose == "ChargingStationMaxProfile" and evse_id != 0)
            or charging_profile["stack_level"] > model.integer("SmartChargingCtrlr.ProfileStackLevel")
            or any(
                len(s["charging_schedule_period"]) > model.integer("SmartChargingCtrlr.PeriodsPerSchedule")
                for s in charging_profile["charging_schedule"]
            )
        ):
            return call_result.SetChargingProfile(status="Rejected")
        if purpose == TX:
            session = evse.session if evse else None
            wanted = charging_profile.get("transaction_id")
            if session is None or session.remote or (wanted is not None and wanted != session.transaction_id):
                return call_result.SetChargingProfile(status="Rejected")
        return call_result.SetChargingProfile(status=self._install_profile(evse_id, as_installed(charging_profile)))

    @answers(Action.clear_charging_profile)
    def on_clear_charging_profile(self, charging_profile_id=None, charging_profile_criteria=None, **_):
        criteria = charging_profile_criteria or {}
        purpose = criteria.get("charging_profile_purpose")
        status = self._clear_profiles(
            id=charging_profile_id,
            connector_id=criteria.get("evse_id"),
            purpose=PURPOSES.get(purpose, purpose),
            stack_level=criteria.get("stack_level"),
        )
        return call_result.ClearChargingProfile(status=status)

    def _profiles_asked(self, charging_profile: dict, evse_id: int | None) -> dict[int, list[dict]]:
        """The profiles a GetChargingProfiles asks for, by EVSE, as they were received."""
        purpose = charging_profile.get("charging_profile_purpose")
        ids = charging_profile.get("charging_profile_id")
        sources = charging_profile.get("charging_limit_source")
        by_evse: dict[int, list[dict]] = {}
        for installed in self.profiles.installed:
            if (
                (evse_id is None or installed.connector_id == evse_id)
                and (purpose is None or installed.purpose == PURPOSES.get(purpose, purpose))
                and (
                    charging_profile.get("stack_level") is None
                    or installed.stack_level == charging_profile["stack_level"]
                )
                and (not ids or installed.id in ids)
                and (not sources or "CSO" in sources)
            ):
                by_evse.setdefault(installed.connector_id, []).append(installed.profile["received"])
        return by_evse

    @answers(Action.get_charging_profiles)
    def on_get_charging_profiles(self, request_id: int, charging_profile: dict, evse_id: int | None = None, **_):
        found = self._profiles_asked(charging_profile, evse_id)
        return call_result.GetChargingProfiles(status="Accepted" if found else "NoProfiles")

    @after(Action.get_charging_profiles)
    def after_get_charging_profiles(self, request_id: int, charging_profile: dict, evse_id: int | None = None, **_):
        found = self._profiles_asked(charging_profile, evse_id)
        if found:
            self._spawn(self._report_charging_profiles(request_id, found))

    async def _report_charging_profiles(self, request_id: int, found: dict[int, list[dict]]) -> None:
        for index, (evse_id, profiles) in enumerate(sorted(found.items())):
            await self.call(
                call.ReportChargingProfiles(
                    request_id=request_id,
                    charging_limit_source="CSO",
                    charging_profile=profiles,
                    evse_id=evse_id,
                    tbc=index < len(found) - 1,
                ),
                suppress=False,
            )

    @answers(Action.get_composite_schedule)
    def on_get_composite_schedule(self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_):
        if evse_id != 0 and evse_id not in self.evses:
            return call_result.GetCompositeSchedule(status="Rejected")
        start, schedule = self._composite(evse_id, duration, charging_rate_unit or "A")
        schedule = {"evse_id": evse_id, "schedule_start": iso(start)} | schedule
        return call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)
