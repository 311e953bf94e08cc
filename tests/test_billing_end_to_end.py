"""Tariff to CDR against the live server: an OCPI tariff with energy, time, a flat fee, step sizes, VAT and a
night rate from 22:00, assigned to an OCPP 1.6 and an OCPP 2.0.1 charger (ocpp-rpc, strict mode), each
charging across 22:00; the CDRs equal a hand calculation, the 2.0.1 charger is told its cost in its
TransactionEvent answers, and the 1.6 charger that shows costs gets California Pricing's FinalCost."""

import json

import pytest

from chargers.services.registry import charger_register
from charging.models import IdTag
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

TARIFF = {
    "id": "ac-night",
    "currency": "EUR",
    "tariff_alt_text": [{"language": "en", "text": "0.30/kWh (0.20 from 22:00), 1.20/h, 0.50 per session"}],
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.20, "vat": 20, "step_size": 1000}],
         "restrictions": {"start_time": "22:00", "end_time": "06:00"}},
        {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 20, "step_size": 1},
                              {"type": "ENERGY", "price": 0.30, "vat": 20, "step_size": 1000},
                              {"type": "TIME", "price": 1.20, "vat": 20, "step_size": 300}]},
    ],
}  # fmt: skip
# Both sessions: 21:30 to 22:32, 3.2 kWh by day (to 22:00), 2.5 kWh at night. By hand:
# energy 5.7 kWh, billed in the last element's steps of 1 kWh: 6 kWh, the extra 0.3 at night:
#   3.2 x 0.30 + 2.8 x 0.20 = 0.96 + 0.56 = 1.52
# time 62 min in steps of 5 min: 65 min = 1.08333 h x 1.20 = 1.30; flat 0.50.
# Total 3.32 without VAT, 3.984 with 20 % VAT: 3.98.
HAND = {"excl_vat": 3.32, "incl_vat": 3.98}


@pytest.fixture
def priced(api, acme):
    charger_register(organisation=acme, charge_box_id="CP-16")
    charger_register(organisation=acme, charge_box_id="CP-201")
    IdTag.objects.create(organisation=acme, id_tag="DRIVER-1")
    assert api.post(f"{api.base}/tariffs", json=TARIFF).status_code == 201
    for charge_box_id in ("CP-16", "CP-201"):
        answer = api.post(f"{api.base}/tariffs/assign", json={"tariffId": "ac-night", "chargeBoxId": charge_box_id})
        assert answer.status_code == 204, answer.text


def the_cdr(api, charge_box_id: str) -> dict:
    [cdr] = api.get(f"{api.base}/cdrs", params={"chargeBoxId": charge_box_id}).json()["cdrs"]
    return cdr


def register(wh: int, at: str) -> dict:
    return {"timestamp": at, "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register",
                                               "unit": "Wh"}]}  # fmt: skip


def test_a_1_6_session_across_the_night_rate_costs_what_a_hand_calculation_says(api, server, server_worker, priced):
    with strict_charger(server.ws, "CP-16") as cp:
        cp.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22"})
        cp.respond("GetConfiguration", {"configurationKey": [
            {"key": "CustomDisplayCostAndPrice", "readonly": True, "value": "true"}]})  # fmt: skip
        asked = api.post(f"{api.base}/chargers/CP-16/configuration/get", json={"key": ["CustomDisplayCostAndPrice"]})
        assert asked.status_code == 200, asked.text
        assert cp.next_call()["action"] == "GetConfiguration"
        cp.respond("DataTransfer", {"status": "Accepted"})
        assert cp.call("Authorize", {"idTag": "DRIVER-1"})["idTagInfo"]["status"] == "Accepted"
        tx = cp.call("StartTransaction", {"connectorId": 1, "idTag": "DRIVER-1", "meterStart": 10000,
                                          "timestamp": "2026-03-02T21:30:00Z"})["transactionId"]  # fmt: skip
        cp.call("MeterValues", {"connectorId": 1, "transactionId": tx,
                                "meterValue": [register(13200, "2026-03-02T22:00:00Z")]})  # fmt: skip
        running = api.get(f"{api.base}/transactions/{tx}").json()["cost"]
        # Until 22:00: 3.2 kWh billed as 4 kWh at 0.30, 30 min at 1.20, 0.50: 2.30, 2.76 with VAT.
        assert running == {"currency": "EUR", "excl_vat": 2.3, "incl_vat": 2.76}
        cp.call("StopTransaction", {"transactionId": tx, "meterStop": 15700, "timestamp": "2026-03-02T22:32:00Z"})
        sent = [cp.next_call()]
        while sent[-1]["payload"].get("messageId") != "FinalCost":  # RunningCost may come between (Celery beat)
            sent.append(cp.next_call())
    # SetUserPrice (sent at Authorize) and the running costs (beat) are background work: either may come first.
    final_cost = sent[-1]
    [user_price] = [c for c in sent if c["action"] == "DataTransfer" and c["payload"]["messageId"] == "SetUserPrice"]
    cdr = the_cdr(api, "CP-16")
    assert cdr["total_cost"] == HAND
    assert cdr["total_energy_cost"] == {"excl_vat": 1.52, "incl_vat": 1.82}  # 1.824
    assert cdr["total_time_cost"] == {"excl_vat": 1.3, "incl_vat": 1.56}
    assert cdr["total_fixed_cost"] == {"excl_vat": 0.5, "incl_vat": 0.6}
    assert api.get(f"{api.base}/transactions/{tx}").json()["cost"] == {"currency": "EUR", **HAND}
    assert {c["payload"]["messageId"] for c in sent[:-1] if c is not user_price} <= {"RunningCost"}
    assert json.loads(user_price["payload"]["data"]) == {"idToken": "DRIVER-1",
                                                         "priceText": TARIFF["tariff_alt_text"][0]["text"]}  # fmt: skip
    assert final_cost["action"] == "DataTransfer"
    assert final_cost["payload"]["vendorId"] == "org.openchargealliance.costmsg"
    assert final_cost["payload"]["messageId"] == "FinalCost"
    data = json.loads(final_cost["payload"]["data"])
    assert data["transactionId"] == tx and data["cost"] == 3.98 and data["priceText"].startswith("3.98 EUR")


def shows_costs(api, cp, charge_box_id: str, shown: str = "true") -> None:
    """The charger answers GetConfiguration that it shows costs (or not)."""
    cp.respond("GetConfiguration", {"configurationKey": [
        {"key": "CustomDisplayCostAndPrice", "readonly": True, "value": shown}]})  # fmt: skip
    asked = api.post(f"{api.base}/chargers/{charge_box_id}/configuration/get", json={})
    assert asked.status_code == 200, asked.text
    assert cp.next_call()["action"] == "GetConfiguration"


def test_a_1_6_charger_that_shows_costs_is_sent_the_drivers_price_when_it_authorizes_them(api, acme, server, priced):
    IdTag.objects.create(organisation=acme, id_tag="VIP")
    vip = {"id": "vip", "currency": "EUR", "tariff_alt_text": [{"language": "en", "text": "0.10/kWh for you"}],
           "elements": [{"price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}]}]}  # fmt: skip
    assert api.post(f"{api.base}/tariffs", json=vip).status_code == 201
    assert api.post(f"{api.base}/tariffs/assign", json={"tariffId": "vip", "idTag": "VIP"}).status_code == 204
    with strict_charger(server.ws, "CP-16") as cp:
        shows_costs(api, cp, "CP-16")
        prices = []
        for id_tag in ("DRIVER-1", "VIP"):
            cp.respond("DataTransfer", {"status": "Accepted"})
            assert cp.call("Authorize", {"idTag": id_tag})["idTagInfo"]["status"] == "Accepted"
            sent = cp.next_call()
            assert (sent["action"], sent["payload"]["vendorId"]) == ("DataTransfer", "org.openchargealliance.costmsg")
            assert sent["payload"]["messageId"] == "SetUserPrice"
            prices.append(json.loads(sent["payload"]["data"]))
        # An id tag refused is shown no price; no session was started for any of them.
        assert cp.call("Authorize", {"idTag": "STRANGER"})["idTagInfo"]["status"] == "Invalid"
        with pytest.raises(Exception):  # noqa: B017 (the queue's Empty: nothing was sent)
            cp.next_call(timeout=2)
    assert prices == [{"idToken": "DRIVER-1", "priceText": TARIFF["tariff_alt_text"][0]["text"]},
                      {"idToken": "VIP", "priceText": "0.10/kWh for you"}]  # fmt: skip


def test_a_session_the_charger_did_not_authorize_with_us_is_shown_its_price_as_it_starts(api, server, priced):
    with strict_charger(server.ws, "CP-16") as cp:
        shows_costs(api, cp, "CP-16")
        cp.respond("DataTransfer", {"status": "Accepted"})
        # Authorized from its local list: no Authorize came before.
        cp.call("StartTransaction", {"connectorId": 1, "idTag": "DRIVER-1", "meterStart": 0,
                                     "timestamp": "2026-03-02T10:00:00Z"})  # fmt: skip
        sent = cp.next_call()
    assert sent["payload"]["messageId"] == "SetUserPrice"
    assert json.loads(sent["payload"]["data"])["priceText"] == TARIFF["tariff_alt_text"][0]["text"]


def test_a_1_6_charger_that_does_not_report_the_cost_keys_gets_no_final_cost(api, server, priced):
    with strict_charger(server.ws, "CP-16") as cp:
        shows_costs(api, cp, "CP-16", shown="false")
        assert cp.call("Authorize", {"idTag": "DRIVER-1"})["idTagInfo"]["status"] == "Accepted"
        tx = cp.call("StartTransaction", {"connectorId": 1, "idTag": "DRIVER-1", "meterStart": 0,
                                          "timestamp": "2026-03-02T21:30:00Z"})["transactionId"]  # fmt: skip
        cp.call("StopTransaction", {"transactionId": tx, "meterStop": 1000, "timestamp": "2026-03-02T22:30:00Z"})
        with pytest.raises(Exception):  # noqa: B017 (the queue's Empty: nothing was sent)
            cp.next_call(timeout=2)
    assert the_cdr(api, "CP-16")["total_cost"]["excl_vat"] > 0


def event(kind: str, seq_no: int, at: str, wh: int, **extra) -> dict:
    info = {"transactionId": "TX-night"} | extra.pop("info", {})
    return {"eventType": kind, "timestamp": at, "triggerReason": extra.pop("trigger", "MeterValuePeriodic"),
            "seqNo": seq_no, "transactionInfo": info, "meterValue": [
                {"timestamp": at, "sampledValue": [{"value": wh, "measurand": "Energy.Active.Import.Register"}]}],
            } | extra  # fmt: skip


def test_a_2_0_1_session_across_the_night_rate_is_told_its_cost_and_gets_its_cdr(api, server, priced, ocpp2):
    token = {"idToken": "DRIVER-2", "type": "ISO14443"}
    with strict_charger(server.ws, "CP-201", protocol=ocpp2) as cp:
        started = cp.call("TransactionEvent", event(
            "Started", 0, "2026-03-02T21:30:00Z", 10000, trigger="Authorized", idToken=token,
            evse={"id": 1, "connectorId": 1}, info={"chargingState": "Charging"}))  # fmt: skip
        updated = cp.call("TransactionEvent", event("Updated", 1, "2026-03-02T22:00:00Z", 13200))
        ended = cp.call("TransactionEvent", event("Ended", 2, "2026-03-02T22:32:00Z", 15700, trigger="StopAuthorized",
                                                  info={"stoppedReason": "Local"}))  # fmt: skip
        assert not cp.strict_failures
    assert started["updatedPersonalMessage"] == {"format": "UTF8", "language": "en",
                                                 "content": TARIFF["tariff_alt_text"][0]["text"]}  # fmt: skip
    assert updated["totalCost"] == 2.76
    assert ended["totalCost"] == HAND["incl_vat"]
    cdr = the_cdr(api, "CP-201")
    assert cdr["total_cost"] == HAND and cdr["session_id"] == "TX-night"
    assert "could not price session" not in server.log.read_text()
    assert cdr["cdr_token"]["uid"] == "DRIVER-2" and cdr["cdr_location"]["evse_uid"] == "CP-201-1"
