"""Running costs sent to chargers at CSMS_COST_UPDATE_INTERVAL (1 s here): OCPP 2.0.1 CostUpdated, and
California Pricing's RunningCost to a 1.6 charger that reports the cost keys; by the embedded beat and by
Celery beat."""

import json

import pytest

from chargers.services.registry import charger_register
from tests.ocpp_rpc import strict_charger
from tests.test_billing_end_to_end import TARIFF, event, register

pytestmark = pytest.mark.node


@pytest.fixture
def priced(bg_api, acme):
    charger_register(organisation=acme, charge_box_id="CP-16")
    charger_register(organisation=acme, charge_box_id="CP-201")
    assert bg_api.post(f"{bg_api.base}/tariffs", json=TARIFF).status_code == 201
    answer = bg_api.post(f"{bg_api.base}/tariffs/assign", json={"tariffId": "ac-night", "organisationDefault": True})
    assert answer.status_code == 204


def calls_of(cp, action: str, until, timeout: float = 10) -> list[dict]:
    """The server's `action` CALLs to the charger, up to the first whose payload `until` accepts (a running
    cost sent before the latest reading was priced is an earlier, smaller one)."""
    calls = []
    while not calls or not until(calls[-1]["payload"]):
        call = cp.next_call(timeout=timeout)
        if call["action"] == action:
            calls.append(call)
    return calls


def test_a_2_0_1_charger_gets_cost_updated_while_it_charges(background, bg_api, priced, ocpp2):
    with strict_charger(background.ws, "CP-201", protocol=ocpp2) as cp:
        cp.respond("CostUpdated", {})
        started = event("Started", 0, "2026-03-02T21:30:00Z", 10000, trigger="Authorized",
                        evse={"id": 1, "connectorId": 1}, info={"chargingState": "Charging"})  # fmt: skip
        cp.call("TransactionEvent", started)
        cp.call("TransactionEvent", event("Updated", 1, "2026-03-02T22:00:00Z", 13200))
        updates = calls_of(cp, "CostUpdated", lambda p: p["totalCost"] == 2.76)
        assert {u["payload"]["transactionId"] for u in updates} == {"TX-night"}
        # Before 22:00 was reported, only the flat fee (0.60 with VAT) was due.
        assert {u["payload"]["totalCost"] for u in updates} <= {0.6, 2.76}
        assert not cp.strict_failures


def test_a_1_6_charger_with_the_cost_keys_gets_running_cost(background, bg_api, priced):
    with strict_charger(background.ws, "CP-16") as cp:
        cp.respond("GetConfiguration", {"configurationKey": [
            {"key": "CustomDisplayCostAndPrice", "readonly": True, "value": "true"}]})  # fmt: skip
        cp.respond("DataTransfer", {"status": "Accepted"})
        assert bg_api.post(f"{bg_api.base}/chargers/CP-16/configuration/get", json={}).status_code == 200
        tx = cp.call("StartTransaction", {"connectorId": 1, "idTag": "DRIVER-1", "meterStart": 10000,
                                          "timestamp": "2026-03-02T21:30:00Z"})["transactionId"]  # fmt: skip
        cp.call("MeterValues", {"connectorId": 1, "transactionId": tx,
                                "meterValue": [register(13200, "2026-03-02T22:00:00Z")]})  # fmt: skip
        running = calls_of(cp, "DataTransfer", lambda p: json.loads(p["data"]).get("cost") == 2.76)[-1]["payload"]
        assert (running["vendorId"], running["messageId"]) == ("org.openchargealliance.costmsg", "RunningCost")
        data = json.loads(running["data"])
        assert data["transactionId"] == tx and data["meterValue"] == 13200 and data["state"] == "Charging"
