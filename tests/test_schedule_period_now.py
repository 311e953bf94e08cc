"""The schedule period in effect now, as the charger's console page shows it and as a 2.1 charger pulls it in a
dynamic schedule update: Recurring schedules wrap every day or week, Relative ones count from their session,
and a period's own numberPhases sets its kilowatts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from charging.models import Transaction
from smart_charging.models import InstalledChargingProfile
from tests.ocpp_rpc import strict_charger
from tests.test_admin_commands import browser, operator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.node

HOUR = 3600


def daily(charger, *, profile_id: int = 1) -> InstalledChargingProfile:
    """Begun three days and two hours ago: two hours into today's cycle, in the 10 A single-phase period; a
    schedule that did not wrap would be in the last one."""
    start = timezone.now() - timedelta(days=3, hours=2)
    periods = [{"startPeriod": 0, "limit": 32}, {"startPeriod": HOUR, "limit": 10, "numberPhases": 1},
               {"startPeriod": 3 * HOUR, "limit": 6}]  # fmt: skip
    return InstalledChargingProfile.objects.create(
        charger=charger, connector_id=0, profile_id=profile_id, purpose="ChargePointMaxProfile", kind="Recurring",
        recurrency_kind="Daily", schedule={"chargingRateUnit": "A", "startSchedule": start.isoformat(),
                                           "chargingSchedulePeriod": periods},
    )  # fmt: skip


def test_the_console_shows_the_period_of_today_in_a_daily_schedule_in_its_own_phases(browser, charger):  # noqa: F811
    daily(charger)
    page = browser.get(f"/admin/chargers/charger/{charger.pk}/change/").text
    assert "<strong>2.3 kW</strong> (10 A, ChargePointMaxProfile #1)" in page


def test_the_console_counts_a_relative_schedule_from_its_session(browser, charger):  # noqa: F811
    session = Transaction.objects.create(charger=charger, ocpp_id="7", connector_id=1, id_tag="TAG",
                                         start_time=timezone.now() - timedelta(minutes=20), meter_start=0)  # fmt: skip
    InstalledChargingProfile.objects.create(
        charger=charger, connector_id=1, profile_id=2, purpose="TxProfile", kind="Relative", transaction=session,
        schedule={"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32},
                                                                      {"startPeriod": 600, "limit": 16}]},
    )  # fmt: skip
    page = browser.get(f"/admin/chargers/charger/{charger.pk}/change/").text
    assert "<strong>11.0 kW</strong> (16 A, TxProfile #2)" in page


def test_a_2_1_charger_pulls_the_period_of_today_in_a_daily_schedule(server, charger):
    daily(charger, profile_id=31)
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.1") as cp:
        assert cp.call("PullDynamicScheduleUpdate", {"chargingProfileId": 31}) == {
            "status": "Accepted", "scheduleUpdate": {"limit": 10}}  # fmt: skip
