"""Sites and load balancing: several ocpp-rpc chargers charging at once on one site, and the site API."""

import queue
from datetime import UTC, datetime

import pytest

from chargers.models import Charger
from chargers.services.registry import charger_register
from charging.models import Transaction
from commands.models import Command
from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger
from tests.test_admin import NO_INLINE_CHANGES
from tests.test_admin_commands import Browser, operator  # noqa: F401  (the operator fixture)

pytestmark = pytest.mark.node

NOW = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def boot(cp) -> None:
    cp.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC-22"})


def start(cp, connector: int = 1) -> int:
    answer = cp.call("StartTransaction", {"connectorId": connector, "idTag": "DRIVER-1", "meterStart": 0,
                                          "timestamp": NOW})  # fmt: skip
    return answer["transactionId"]


def stop(cp, transaction_id: int) -> None:
    cp.call("StopTransaction", {"transactionId": transaction_id, "meterStop": 5000, "timestamp": NOW})


def limit_received(cp, transaction_id: int, timeout: float = 10) -> float:
    """The TxProfile limit the server sent this charger next; the payload checked field by field."""
    call = cp.next_call(timeout=timeout)
    assert call["action"] == "SetChargingProfile"
    profile = call["payload"]["csChargingProfiles"]
    schedule = profile["chargingSchedule"]
    assert call["payload"]["connectorId"] == 1
    assert {key: value for key, value in profile.items() if key != "chargingSchedule"} == {
        "chargingProfileId": 3201,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute",
        "transactionId": transaction_id,
    }
    assert schedule["chargingRateUnit"] == "A"
    [period] = schedule["chargingSchedulePeriod"]
    assert (period["startPeriod"], period["numberPhases"]) == (0, 3)
    return period["limit"]


def nothing_sent(cp, wait: float = 0.5) -> bool:
    try:
        cp.next_call(timeout=wait)
    except queue.Empty:
        return True
    return False


@pytest.fixture
def site(api, acme):
    response = api.post(f"{api.base}/sites", json={"name": "Depot", "capacity": {"limit": 64, "unit": "A"}})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def fleet(api, acme, site, server, server_worker):
    names = ["CP-A", "CP-B", "CP-C", "CP-D"]
    for name in names:
        charger_register(organisation=acme, charge_box_id=name)
        assert api.patch(f"{api.base}/chargers/{name}", json={"site": site["id"]}).status_code == 200
    chargers = [strict_charger(server.ws, name) for name in names]
    entered = [charger.__enter__() for charger in chargers]
    for cp in entered:
        boot(cp)
    yield dict(zip(names, entered, strict=True))
    for charger in chargers:
        charger.__exit__(None, None, None)


def sent_limit(request: dict) -> tuple[str, float]:
    """The session and the limit of a SetChargingProfile the balancing sent, in OCPP 1.6's shape or 2.0.1's."""
    if "csChargingProfiles" in request:
        profile = request["csChargingProfiles"]
        schedule = profile["chargingSchedule"]
    else:
        profile = request["chargingProfile"]
        [schedule] = profile["chargingSchedule"]
    return str(profile["transactionId"]), schedule["chargingSchedulePeriod"][0]["limit"]


def replay_sum_never_exceeds(capacity: float) -> None:
    """Replay every limit the balancing sent, in order, dropping sessions as they ended: at no moment
    do the limits the chargers hold add up to more than the capacity."""
    ended = {
        session.ocpp_id: session.last_message_at for session in Transaction.objects.filter(stop_time__isnull=False)
    }
    held = {}
    for command in Command.objects.filter(source="task", action="SetChargingProfile").order_by("created_at"):
        session, limit = sent_limit(command.request)
        held = {key: limit for key, limit in held.items() if not (key in ended and ended[key] <= command.created_at)}
        held[session] = limit
        assert sum(held.values()) <= capacity + 1e-9, held


def test_it_shares_the_capacity_fairly_as_sessions_start_and_stop(api, site, fleet):
    a, b, c, d = fleet.values()
    ta = start(a)
    assert limit_received(a, ta) == 32  # alone: its maximum
    tb = start(b)
    assert limit_received(b, tb) == 32
    assert nothing_sent(a)  # unchanged limits are not sent again
    tc = start(c)
    assert [limit_received(a, ta), limit_received(b, tb), limit_received(c, tc)] == [21.3, 21.3, 21.3]

    td = start(d)  # a fourth session lowers the other three
    assert [limit_received(cp, t) for cp, t in [(a, ta), (b, tb), (c, tc), (d, td)]] == [16, 16, 16, 16]
    allocation = api.get(f"{api.base}/sites/{site['id']}/allocation").json()
    assert allocation["allocated"] == 64
    assert sorted((row["chargeBoxId"], row["limit"], row["unit"]) for row in allocation["sessions"]) == [
        ("CP-A", 16, "A"), ("CP-B", 16, "A"), ("CP-C", 16, "A"), ("CP-D", 16, "A")]  # fmt: skip
    assert {row["transactionId"] for row in allocation["sessions"]} == {str(t) for t in (ta, tb, tc, td)}

    stop(d, td)  # stopping one raises the others
    assert [limit_received(cp, t) for cp, t in [(a, ta), (b, tb), (c, tc)]] == [21.3, 21.3, 21.3]
    assert nothing_sent(d)
    replay_sum_never_exceeds(64)
    assert api.get(f"{api.base}/sites/{site['id']}/allocation").json()["allocated"] == 63.9


def test_it_suspends_the_sessions_whose_minimum_no_longer_fits(api, site, fleet):
    assert api.patch(f"{api.base}/sites/{site['id']}", json={"capacity": {"limit": 15, "unit": "A"}}).ok
    a, b, c = fleet["CP-A"], fleet["CP-B"], fleet["CP-C"]
    ta = start(a)
    assert limit_received(a, ta) == 15
    tb = start(b)
    assert [limit_received(a, ta), limit_received(b, tb)] == [7.5, 7.5]
    tc = start(c)  # 3 x 6 A do not fit in 15 A: the latest session waits at 0 A
    assert limit_received(c, tc) == 0
    assert nothing_sent(a) and nothing_sent(b)
    shares = api.get(f"{api.base}/sites/{site['id']}/allocation").json()["sessions"]
    assert [row["limit"] for row in shares] == [7.5, 7.5, 0]
    replay_sum_never_exceeds(15)


def test_a_kilowatt_capacity_is_shared_in_amperes_per_phase(api, site, fleet):
    api.patch(f"{api.base}/sites/{site['id']}", json={"capacity": {"limit": 22, "unit": "kW"}})
    a, b = fleet["CP-A"], fleet["CP-B"]
    ta = start(a)
    limit_received(a, ta)  # alone on the site; B starts only after, so that A's share changes once
    tb = start(b)
    # 11 kW each on 3 x 230 V is 15.94 A, rounded down.
    assert [limit_received(a, ta), limit_received(b, tb)] == [15.9, 15.9]
    allocation = api.get(f"{api.base}/sites/{site['id']}/allocation").json()
    assert allocation["capacity"] == {"limit": 22, "unit": "kW"}
    assert all(row["unit"] == "kW" and row["limit"] <= 11 for row in allocation["sessions"])


def test_sites_can_be_created_read_changed_and_deleted(api, site, charger):
    assert site["name"] == "Depot" and site["capacity"] == {"limit": 64, "unit": "A"}
    api.patch(f"{api.base}/chargers/CP-1", json={"site": site["id"], "phases": 1, "voltage": 240, "maxCurrent": 16})
    read = api.get(f"{api.base}/sites/{site['id']}").json()
    assert read["chargers"] == ["CP-1"]
    detail = api.get(f"{api.base}/chargers/CP-1").json()
    assert (detail["site"], detail["phases"], detail["voltage"], detail["maxCurrent"]) == (site["id"], 1, 240, 16)
    assert api.get(f"{api.base}/sites").json()["pagination"]["total"] == 1
    renamed = api.patch(f"{api.base}/sites/{site['id']}", json={"name": "Yard"}).json()
    assert renamed["name"] == "Yard" and renamed["capacity"]["limit"] == 64
    assert api.delete(f"{api.base}/sites/{site['id']}").status_code == 204
    assert api.get(f"{api.base}/sites/{site['id']}").status_code == 404
    assert api.get(f"{api.base}/chargers/CP-1").json()["site"] is None


def test_bad_site_input_is_a_400_naming_the_field(api, site, charger, globex):
    bad = api.post(f"{api.base}/sites", json={"name": "X", "capacity": {"limit": 10, "unit": "MW"}})
    assert bad.status_code == 400 and "unit" in bad.json()["error"]["message"]
    assert "capacity" in api.post(f"{api.base}/sites", json={"name": "X"}).json()["error"]["message"]
    unknown = api.patch(f"{api.base}/chargers/CP-1", json={"site": site["id"] + 100})
    assert unknown.status_code == 400 and unknown.json()["error"]["message"].startswith("site")
    inverted = api.patch(f"{api.base}/chargers/CP-1", json={"minCurrent": 40})
    assert inverted.status_code == 400 and "minCurrent" in inverted.json()["error"]["message"]


def test_another_organisations_site_is_not_found(api, globex):
    from smart_charging.services.sites import site_create

    theirs = site_create(organisation=globex, name="Theirs", capacity_limit=10, capacity_unit="A")
    assert api.get(f"{api.base}/sites/{theirs.pk}").status_code == 404
    assert api.get(f"{api.base}/sites/{theirs.pk}/allocation").status_code == 404


# A mixed fleet: an OCPP 1.6 and an OCPP 2.0.1 charger on one site, each sent its limits in its own version.


def limit_received_201(cp, transaction_id: str, evse_id: int, timeout: float = 10) -> float:
    """The TxProfile limit the server sent this 2.0.1 charger next, in 2.0.1's shape, checked field by field."""
    call = cp.next_call(timeout=timeout)
    assert call["action"] == "SetChargingProfile"
    assert call["payload"]["evseId"] == evse_id
    profile = call["payload"]["chargingProfile"]
    [schedule] = profile["chargingSchedule"]
    assert {key: value for key, value in profile.items() if key != "chargingSchedule"} == {
        "id": 3200 + evse_id,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute",
        "transactionId": transaction_id,
    }
    assert (schedule["id"], schedule["chargingRateUnit"]) == (3200 + evse_id, "A")
    [period] = schedule["chargingSchedulePeriod"]
    assert (period["startPeriod"], period["numberPhases"]) == (0, 3)
    return period["limit"]


def session_event_201(cp, event_type: str, transaction_id: str, seq_no: int, **extra) -> None:
    cp.call("TransactionEvent", {
        "eventType": event_type, "timestamp": NOW, "seqNo": seq_no, "evse": {"id": 2, "connectorId": 1},
        "triggerReason": "CablePluggedIn" if event_type == "Started" else "EVCommunicationLost",
        "transactionInfo": {"transactionId": transaction_id, **extra}})  # fmt: skip


@pytest.fixture
def mixed_site(api, acme, site, server, server_worker, ocpp2):
    assert api.patch(f"{api.base}/sites/{site['id']}", json={"capacity": {"limit": 40, "unit": "A"}}).ok
    for name in ("CP-16", "CP-201"):
        charger_register(organisation=acme, charge_box_id=name)
        assert api.patch(f"{api.base}/chargers/{name}", json={"site": site["id"]}).status_code == 200
    with strict_charger(server.ws, "CP-16") as old, strict_charger(server.ws, "CP-201", protocol=ocpp2) as new:
        boot(old)
        new.call("BootNotification", {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "AC-2"}})
        yield old, new


def test_a_mixed_fleet_shares_one_site_each_charger_sent_limits_in_its_own_version(api, site, mixed_site):
    old, new = mixed_site
    t16 = start(old)
    assert limit_received(old, t16) == 32
    session_event_201(new, "Started", "TX-201-A", 0, chargingState="EVConnected")
    # The 1.6 session is lowered before the 2.0.1 one is given its share: never more than 40 A on the way.
    assert limit_received(old, t16) == 20
    assert limit_received_201(new, "TX-201-A", evse_id=2) == 20
    allocation = api.get(f"{api.base}/sites/{site['id']}/allocation").json()
    assert sorted((row["chargeBoxId"], row["evseId"], row["transactionId"], row["limit"])
                  for row in allocation["sessions"]) == [
        ("CP-16", None, str(t16), 20), ("CP-201", 2, "TX-201-A", 20)]  # fmt: skip
    # The profile is recorded once the charger's answer is back, a moment after the charger has it.
    profiles = eventually(
        lambda: api.get(f"{api.base}/chargers/CP-201/charging-profiles").json()["chargingProfiles"], timeout=5
    )
    assert [(p["chargingProfileId"], p["connectorId"], p["transactionId"]) for p in profiles] == [
        (3202, 2, "TX-201-A")]  # fmt: skip

    session_event_201(new, "Ended", "TX-201-A", 1, stoppedReason="EVDisconnected")
    assert limit_received(old, t16) == 32  # the 2.0.1 session ended: the 1.6 one has the site again
    assert nothing_sent(new)
    assert api.get(f"{api.base}/chargers/CP-201/charging-profiles").json()["chargingProfiles"] == []

    session_event_201(new, "Started", "TX-201-B", 0)
    assert limit_received(old, t16) == 20
    assert limit_received_201(new, "TX-201-B", evse_id=2) == 20
    stop(old, t16)
    assert limit_received_201(new, "TX-201-B", evse_id=2) == 32  # the 1.6 session ended
    assert nothing_sent(old)
    replay_sum_never_exceeds(40)


# The admin changes a site's members and wiring as the API does: the site's sessions are shared again.


@pytest.fixture
def two_sessions(api, acme, site, server, server_worker):
    """CP-A on the 40 A site charging alone (sent its 32 A maximum), CP-B charging on no site."""
    assert api.patch(f"{api.base}/sites/{site['id']}", json={"capacity": {"limit": 40, "unit": "A"}}).ok
    charger_register(organisation=acme, charge_box_id="CP-A")
    outside = charger_register(organisation=acme, charge_box_id="CP-B")
    assert api.patch(f"{api.base}/chargers/CP-A", json={"site": site["id"]}).status_code == 200
    with strict_charger(server.ws, "CP-A") as a, strict_charger(server.ws, "CP-B") as b:
        boot(a)
        boot(b)
        ta, tb = start(a), start(b)
        assert limit_received(a, ta) == 32
        assert nothing_sent(b)
        yield outside, (a, ta), (b, tb)


def admin_charger_save(server, charger, **fields) -> None:
    browser = Browser(server, "olga")
    main = {"organisation": charger.organisation_id, "charge_box_id": charger.charge_box_id,
            "registration_status": "Accepted", **NO_INLINE_CHANGES}  # fmt: skip
    response = browser.post(f"/admin/chargers/charger/{charger.pk}/change/", {**main, **fields})
    assert response.url.endswith("/admin/chargers/charger/"), response.text[:2000]


@pytest.mark.usefixtures("operator")
def test_moving_a_charger_into_a_site_in_the_admin_shares_the_site_again(server, two_sessions, site):
    outside, (a, ta), (b, tb) = two_sessions
    admin_charger_save(server, outside, site=site["id"])
    assert limit_received(a, ta) == 20
    assert limit_received(b, tb) == 20


@pytest.mark.usefixtures("operator")
def test_changing_a_members_current_range_in_the_admin_shares_the_site_again(server, two_sessions, site):
    outside, (a, ta), (b, tb) = two_sessions
    admin_charger_save(server, outside, site=site["id"])
    assert [limit_received(a, ta), limit_received(b, tb)] == [20, 20]
    member = Charger.objects.get(charge_box_id="CP-A")
    admin_charger_save(server, member, site=site["id"], max_current=10)  # CP-B takes what CP-A no longer can
    assert [limit_received(a, ta), limit_received(b, tb)] == [10, 30]
