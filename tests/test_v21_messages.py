"""OCPP 2.1: negotiated first, and every message a 2.1 charger may send answered schema-validly and kept.

The charger is ocpp-rpc in strict mode with OCPP 2.1's schemas: it checks every answer the server gives.
What 2.1 shares with 2.0.1 is tested on both versions in the 2.0.1 modules (the `ocpp2` fixture).
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from ocpp.messages import get_validator

from chargers.models import Charger, ChargerNotification, PeriodicEventStream
from chargers.services.registry import charger_update
from charging.models import IdTag, MeterValue, Transaction, TransactionEvent, TransactionNotice
from ocpp_ws.framing import CALLRESULT, SEND
from ocpp_ws.session import Session
from ocpp_ws.v21 import actions as v21_actions
from ocpp_ws.versions import VERSIONS
from smart_charging.models import DEREvent
from tests.command_replies import post
from tests.conftest import eventually
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger

pytestmark = pytest.mark.node

V21 = "ocpp2.1"
T0 = "2026-02-10T14:00:00Z"
T1 = "2026-02-10T14:15:00Z"
T2 = "2026-02-10T14:30:00Z"
TX = "TX-21a"


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1", protocol=V21) as rpc:
        yield rpc


def energy(wh: float, at: str, context: str) -> dict:
    return {"timestamp": at, "sampledValue": [{"value": wh, "context": context,
                                               "measurand": "Energy.Active.Import.Register"}]}  # fmt: skip


def event(kind: str, seq_no: int, at: str, **extra) -> dict:
    return {"eventType": kind, "timestamp": at, "triggerReason": extra.pop("trigger", "Authorized"), "seqNo": seq_no,
            "transactionInfo": {"transactionId": TX} | extra.pop("info", {})} | extra  # fmt: skip


# Negotiation.


@pytest.mark.parametrize(
    "offered", [[V21, "ocpp2.0.1", "ocpp1.6"], ["ocpp2.0.1", V21], ["ocpp1.6", V21], [V21]], ids=str
)
def test_the_newest_version_the_charger_offers_wins(server, charger, offered):
    with strict_charger(server.ws, "CP-1", protocol=offered) as rpc:
        assert rpc.protocol == V21
        rpc.call("Heartbeat", {})
    assert Charger.objects.get(pk=charger.pk).ocpp_protocol == V21


def test_the_negotiated_version_is_shown(api, cp):
    cp.call("Heartbeat", {})
    details = api.get(f"{api.base}/chargers/CP-1").json()
    assert (details["status"], details["ocppProtocol"]) == ("online", V21)


def test_a_charger_pinned_to_2_0_1_gets_2_0_1_though_it_offers_2_1(server, charger):
    charger_update(charger=charger, ocpp_version_pinned="ocpp2.0.1")
    with strict_charger(server.ws, "CP-1", protocol=[V21, "ocpp2.0.1"]) as rpc:
        assert rpc.protocol == "ocpp2.0.1"
    charger_update(charger=charger, ocpp_version_pinned=V21)
    with pytest.raises(Refused):
        RpcCharger(server.ws, "CP-1", protocol="ocpp2.0.1")
    with strict_charger(server.ws, "CP-1", protocol=["ocpp2.0.1", V21]) as rpc:
        assert rpc.protocol == V21


def test_a_charger_can_be_pinned_to_2_1_through_the_api(api, charger):
    response = api.patch(f"{api.base}/chargers/CP-1", json={"ocppVersionPinned": V21})
    assert response.status_code == 200, response.text
    assert Charger.objects.get(pk=charger.pk).ocpp_version_pinned == V21


# A whole session, then every message 2.1 adds, each answer checked by ocpp-rpc against 2.1's schemas.


def test_a_session_and_every_2_1_message_are_answered_and_kept(api, cp, charger, acme):
    IdTag.objects.create(organisation=acme, id_tag="TAG-21")
    boot = cp.call("BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "M21", "vendorName": "V"}})
    assert boot["status"] == "Accepted"
    assert cp.call("Authorize", {"idToken": {"idToken": "TAG-21", "type": "ISO14443"}})["idTokenInfo"] == {
        "status": "Accepted"
    }
    started = cp.call("TransactionEvent", event(
        "Started", 0, T0, evse={"id": 1, "connectorId": 1}, idToken={"idToken": "TAG-21", "type": "ISO14443"},
        meterValue=[energy(1000, T0, "Transaction.Begin")], preconditioningStatus="Preconditioning"))  # fmt: skip
    assert started["idTokenInfo"]["status"] == "Accepted"
    cp.call("TransactionEvent", event("Updated", 1, T1, trigger="MeterValuePeriodic",
                                      info={"chargingState": "Charging"},
                                      meterValue=[energy(4000, T1, "Sample.Periodic")]))  # fmt: skip
    cost = {"totalCost": {"currency": "EUR", "typeOfCost": "NormalCost", "total": {"exclTax": 2.5, "inclTax": 3.0}},
            "totalUsage": {"energy": 6000, "chargingTime": 1800, "idleTime": 0}}  # fmt: skip
    cp.call("TransactionEvent", event("Ended", 2, T2, trigger="EVDeparted", info={"stoppedReason": "EVDisconnected"},
                                      meterValue=[energy(7000, T2, "Transaction.End")], costDetails=cost))  # fmt: skip
    session = Transaction.objects.get(charger=charger, ocpp_id=TX)
    assert (session.meter_start, session.meter_stop, session.energy_wh) == (1000, 7000, 6000)
    assert MeterValue.objects.filter(transaction=session).count() == 3
    kept = {e.event_type: e.payload for e in TransactionEvent.objects.filter(transaction=session)}
    assert kept["Started"]["preconditioningStatus"] == "Preconditioning"
    assert kept["Ended"]["costDetails"] == cost

    # Periodic event streams: opened, fed by SEND frames (never answered), closed.
    stream = {"id": 7, "variableMonitoringId": 3, "params": {"interval": 60, "values": 2}}
    assert cp.call("OpenPeriodicEventStream", {"constantStreamData": stream}) == {"status": "Accepted"}
    values = {"id": 7, "pending": 0, "basetime": T0, "data": [{"t": 0, "v": "230.1"}, {"t": 60, "v": "229.8"}]}
    cp.raw(json.dumps([SEND, "s-1", "NotifyPeriodicEventStream", values]))
    eventually(lambda: PeriodicEventStream.objects.get(charger=charger, stream_id=7).values.count() == 2)
    assert cp.call("ClosePeriodicEventStream", {"id": 7}) == {}
    kept_stream = PeriodicEventStream.objects.get(charger=charger, stream_id=7)
    assert (kept_stream.variable_monitoring_id, kept_stream.params) == (3, {"interval": 60, "values": 2})
    assert kept_stream.closed_at is not None
    assert [(v.timestamp.isoformat(), v.value) for v in kept_stream.values.all()] == [
        ("2026-02-10T14:00:00+00:00", "230.1"), ("2026-02-10T14:01:00+00:00", "229.8")]  # fmt: skip
    assert not any(json.loads(e["message"])[1] == "s-1" for e in cp.events if e["event"] == "rawIn")

    # Grid support.
    assert cp.call("NotifyDERAlarm", {"controlType": "HVMustTrip", "gridEventFault": "OverVoltage",
                                      "timestamp": T1}) == {}  # fmt: skip
    assert cp.call("NotifyDERStartStop", {"controlId": "C-1", "started": True, "timestamp": T1}) == {}
    report = {
        "requestId": 5,
        "fixedPFAbsorb": [
            {
                "id": "PF-1",
                "isDefault": True,
                "isSuperseded": False,
                "fixedPF": {"priority": 1, "displacement": 0.9, "excitation": True},
            }
        ],
    }
    assert cp.call("ReportDERControl", report) == {}
    der = {(e.action, e.control, e.state) for e in DEREvent.objects.filter(charger=charger)}
    assert der == {("NotifyDERAlarm", "HVMustTrip", "raised"), ("NotifyDERStartStop", "C-1", "started"),
                   ("ReportDERControl", "5", "final part")}  # fmt: skip

    # A dynamic schedule update is read from the profile the charger names.
    post(api, "charging-profiles", {"connectorId": 1, "chargingProfile": {
        "chargingProfileId": 31, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {
            "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}})  # fmt: skip
    assert cp.call("PullDynamicScheduleUpdate", {"chargingProfileId": 31}) == {
        "status": "Accepted", "scheduleUpdate": {"limit": 16}}  # fmt: skip
    assert cp.call("PullDynamicScheduleUpdate", {"chargingProfileId": 99})["status"] == "Rejected"

    # Payments, priority charging and battery swaps, against the session.
    assert cp.call("NotifyPriorityCharging", {"transactionId": TX, "activated": True}) == {}
    settled = {"transactionId": TX, "pspRef": "PSP-88", "status": "Settled", "settlementAmount": 3.0,
               "settlementTime": T2, "receiptId": "R-1"}  # fmt: skip
    assert cp.call("NotifySettlement", settled) == {}
    swap = {"eventType": "BatteryIn", "requestId": 12, "idToken": {"idToken": "TAG-21", "type": "ISO14443"},
            "batteryData": [{"evseId": 1, "serialNumber": "B-1", "soC": 80, "soH": 97}]}  # fmt: skip
    assert cp.call("BatterySwap", swap) == {}
    notices = {n.action: n for n in TransactionNotice.objects.filter(charger=charger)}
    assert (notices["NotifySettlement"].transaction, notices["NotifySettlement"].amount) == (session, Decimal("3"))
    assert (notices["NotifySettlement"].status, notices["NotifySettlement"].reference) == ("Settled", "PSP-88")
    assert (notices["NotifyPriorityCharging"].transaction, notices["NotifyPriorityCharging"].status) == (
        session, "Activated")  # fmt: skip
    assert (notices["BatterySwap"].status, notices["BatterySwap"].reference) == ("BatteryIn", "12")

    # VAT numbers (the default check accepts them) and certificate chains (no OCSP responder: Failed).
    assert cp.call("VatNumberValidation", {"vatNumber": "NL123456789B01", "evseId": 1}) == {
        "vatNumber": "NL123456789B01", "evseId": 1, "status": "Accepted"}  # fmt: skip
    hashes = {"hashAlgorithm": "SHA256", "issuerNameHash": "a1", "issuerKeyHash": "b2", "serialNumber": "c3"}
    chain = cp.call("GetCertificateChainStatus", {"certificateStatusRequests": [
        {"certificateHashData": hashes, "source": "OCSP", "urls": ["http://ocsp.example.com"]}]})  # fmt: skip
    [status] = chain["certificateStatus"]
    assert (status["status"], status["certificateHashData"]) == ("Failed", hashes)
    assert ChargerNotification.objects.get(charger=charger, action="VatNumberValidation").kind == "Accepted"


def refuse_vat_numbers(*, charger_id: int, vat_number: str, evse_id: int | None) -> dict:
    return {"status": "Rejected", "company": {"name": "Unknown", "address1": "-", "city": "-", "country": "NL"}}


def test_vat_numbers_are_answered_by_the_configured_check(charger):
    session = Session(charger_id=charger.pk, organisation_id=charger.organisation_id, charge_box_id="CP-1",
                      protocol=V21)  # fmt: skip
    with override_settings(CSMS_VAT_NUMBER_VALIDATOR="tests.test_v21_messages.refuse_vat_numbers"):
        answer = v21_actions.vat_number_validation(session, {"vatNumber": "XX1"})
    assert answer == {"vatNumber": "XX1", "status": "Rejected",
                      "company": {"name": "Unknown", "address1": "-", "city": "-", "country": "NL"}}  # fmt: skip
    assert get_validator(CALLRESULT, "VatNumberValidation", "2.1").is_valid(answer)


def test_every_2_1_action_is_answered_or_sent_by_us(cp):
    """Each action of 2.1 has a row for the charger's side or is one we send: none is NotImplemented."""
    version = VERSIONS[V21]
    assert set(version.charger_actions) | version.csms_actions == version.all_actions
    cp.raw('[2,"x1","SetDefaultTariff",{"evseId":0,"tariff":{"tariffId":"T","currency":"EUR"}}]')
    assert cp.raw_answer("x1")[2] == "NotSupported"  # ours to send, not the charger's


def test_what_2_1_chargers_report_is_shown_in_the_admin(client, charger):
    from django.contrib.auth.models import User
    from django.urls import reverse

    from chargers.services import event_streams
    from charging.services import notices
    from smart_charging.services import der

    at = datetime(2026, 2, 10, 14, tzinfo=UTC)
    event_streams.event_stream_open(charger_id=charger.pk, stream_id=4, variable_monitoring_id=2, params={})
    event_streams.event_stream_values_record(charger_id=charger.pk, stream_id=4, basetime=at, values=[(0, "231.4")])
    notices.transaction_notice_record(
        charger_id=charger.pk, action="NotifySettlement", payload={}, status="Settled", reference="PSP-42"
    )
    der.der_event_record(charger_id=charger.pk, action="NotifyDERAlarm", payload={}, control="LVMustTrip",
                         state="raised", timestamp=at)  # fmt: skip
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "boss-password"))
    stream = PeriodicEventStream.objects.get()
    pages = {
        "admin:chargers_periodiceventstream_change": ("231.4", [stream.pk]),
        "admin:charging_transactionnotice_changelist": ("PSP-42", []),
        "admin:smart_charging_derevent_changelist": ("LVMustTrip", []),
    }
    for name, (shown, args) in pages.items():
        page = client.get(reverse(name, args=args))
        assert page.status_code == 200 and shown in page.content.decode(), name


def test_2_1_frames_that_are_never_answered_are_not(cp, charger):
    """A SEND is never answered, not even when it is wrong; a CALLRESULTERROR (our answer was wrong, the
    charger says) neither. A 2.0.1 charger knows neither kind."""
    cp.raw('[6,"s1","NotifyPeriodicEventStream",{"id":1}]')  # no data, no basetime: dropped
    cp.raw('[6,"s2","Heartbeat",{}]')  # not a SEND message
    cp.raw('[5,"r1","FormatViolation","your answer was wrong",{}]')
    cp.raw('[2,"h1","Heartbeat",{}]')
    assert cp.raw_answer("h1")[0] == 3  # answered after the three above, which were not
    assert not [e for e in cp.events if e["event"] == "rawIn" and json.loads(e["message"])[1] in ("s1", "s2", "r1")]
    assert not PeriodicEventStream.objects.filter(charger=charger).exists()


def test_a_2_0_1_charger_knows_no_send_frame(server, charger):
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1") as rpc:
        rpc.raw('[6,"s1","NotifyPeriodicEventStream",{"id":1,"basetime":"2026-02-10T14:00:00Z","data":[]}]')
        assert rpc.raw_answer("s1")[2] == "MessageTypeNotSupported"


def test_another_organisations_operator_sees_none_of_it_in_the_admin(client, charger, globex):
    from django.contrib.auth.models import Permission, User
    from django.urls import reverse

    from accounts.models import Operator
    from chargers.services import event_streams
    from charging.services import notices
    from smart_charging.services import der

    at = datetime(2026, 2, 10, 14, tzinfo=UTC)
    event_streams.event_stream_values_record(charger_id=charger.pk, stream_id=4, basetime=at, values=[(0, "231.4")])
    notices.transaction_notice_record(charger_id=charger.pk, action="BatterySwap", payload={}, reference="R-42")
    der.der_event_record(charger_id=charger.pk, action="NotifyDERAlarm", payload={}, control="LVMustTrip",
                         timestamp=at)  # fmt: skip
    user = User.objects.create_user("gina", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    Operator.objects.create(user=user, organisation=globex)
    client.force_login(user)
    for name in ("chargers_periodiceventstream", "chargers_periodiceventstreamvalue", "charging_transactionnotice",
                 "smart_charging_derevent"):  # fmt: skip
        page = client.get(reverse(f"admin:{name}_changelist"))
        assert page.status_code == 200, name
        assert "0 " in page.content.decode() and "CP-1" not in page.content.decode(), name
