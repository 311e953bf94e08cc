"""Every OCPP 2.1 command: the named endpoints send the exact CALL a 2.1 charger (ocpp-rpc, strict mode with
2.1's schemas) receives, tariffs are the organisation's own in 2.1's shape, and the generic endpoint sends
every 2.1 action checked against its schema."""

import json

import pytest

from chargers.models import PeriodicEventStream
from chargers.services import event_streams
from charging.models import Transaction, TransactionNotice
from tests.command_replies import post, sent_and_answered
from tests.ocpp_rpc import strict_charger
from tests.test_admin_commands import browser, command_url, operator  # noqa: F401  (fixtures)
from tests.test_tariffs_api import TARIFF

pytestmark = pytest.mark.node

V21 = "ocpp2.1"
OCPP_TARIFF = {"tariffId": "T-1", "currency": "EUR", "energy": {"prices": [{"priceKwh": 0.35}]}}
PF = {"priority": 1, "displacement": 0.9, "excitation": True}
TOKEN = {"idToken": "RFID-1", "type": "ISO14443"}


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1", protocol=V21) as rpc:
        yield rpc


# path, body, the CALL the charger must receive, the charger's answer, the reply fields, the message.
COMMANDS = [
    ("tariffs/default", {"tariff": OCPP_TARIFF}, "SetDefaultTariff", {"evseId": 0, "tariff": OCPP_TARIFF},
     {"status": "Accepted"}, {"tariffId": "T-1", "status": "Accepted"},
     "Default tariff T-1 on the whole charger accepted by charger"),
    ("tariffs/installed", {"connectorId": 1}, "GetTariffs", {"evseId": 1},
     {"status": "Accepted", "tariffAssignments": [{"tariffId": "T-1", "tariffKind": "DefaultTariff"}]},
     {"status": "Accepted", "tariffAssignments": [{"tariffId": "T-1", "tariffKind": "DefaultTariff"}]},
     "1 tariffs on EVSE 1"),
    ("tariffs/clear", {"tariffIds": ["T-1"]}, "ClearTariffs", {"tariffIds": ["T-1"]},
     {"clearTariffsResult": [{"tariffId": "T-1", "status": "Accepted"}]},
     {"results": [{"tariffId": "T-1", "status": "Accepted"}]}, "1 of 1 tariffs cleared"),
    ("transactions/TX-1/tariff", {"tariff": OCPP_TARIFF}, "ChangeTransactionTariff",
     {"transactionId": "TX-1", "tariff": OCPP_TARIFF}, {"status": "Accepted"},
     {"transactionId": "TX-1", "tariffId": "T-1", "status": "Accepted"},
     "Tariff T-1 for transaction TX-1 accepted by charger"),
    ("transactions/TX-1/priority-charging", {"activate": True}, "UsePriorityCharging",
     {"transactionId": "TX-1", "activate": True}, {"status": "NoProfile"},
     {"transactionId": "TX-1", "activate": True, "status": "NoProfile"},
     "Priority charging on for transaction TX-1 NoProfile by charger"),
    ("dynamic-schedule", {"chargingProfileId": 31, "scheduleUpdate": {"limit": 16, "setpoint": 11}},
     "UpdateDynamicSchedule", {"chargingProfileId": 31, "scheduleUpdate": {"limit": 16, "setpoint": 11}},
     {"status": "Accepted"}, {"chargingProfileId": 31, "status": "Accepted"},
     "Schedule update of charging profile 31 accepted by charger"),
    ("battery-swap", {"idToken": TOKEN, "requestId": 12}, "RequestBatterySwap", {"requestId": 12, "idToken": TOKEN},
     {"status": "Accepted"}, {"requestId": 12, "status": "Accepted"}, "Battery swap request accepted by charger"),
    ("der-controls", {"isDefault": True, "controlId": "PF-1", "controlType": "FixedPFAbsorb", "fixedPFAbsorb": PF},
     "SetDERControl", {"isDefault": True, "controlId": "PF-1", "controlType": "FixedPFAbsorb", "fixedPFAbsorb": PF},
     {"status": "Accepted", "supersededIds": ["PF-0"]},
     {"controlId": "PF-1", "status": "Accepted", "supersededIds": ["PF-0"]},
     "FixedPFAbsorb control PF-1 accepted by charger"),
    ("der-controls/report", {"isDefault": True, "controlType": "FixedPFAbsorb", "requestId": 7}, "GetDERControl",
     {"requestId": 7, "isDefault": True, "controlType": "FixedPFAbsorb"}, {"status": "Accepted"},
     {"requestId": 7, "status": "Accepted"}, "Report of DER controls accepted by charger"),
    ("der-controls/clear", {"isDefault": False, "controlId": "PF-1"}, "ClearDERControl",
     {"isDefault": False, "controlId": "PF-1"}, {"status": "NotFound"}, {"status": "NotFound"},
     "Clearing of DER controls NotFound by charger"),
]  # fmt: skip


@pytest.mark.parametrize("path, body, action, payload, answer, fields, message", COMMANDS, ids=[c[2] for c in COMMANDS])
def test_each_2_1_command_reaches_the_charger_with_the_exact_payload(
    api, cp, path, body, action, payload, answer, fields, message
):
    sent_and_answered(api, cp, path, body, action, payload, answer, fields, message)


def exact_steps(tariff: dict) -> dict:
    """`tariff` billing exact volumes (step_size 1), which 2.1 can express."""
    elements = [element | {"price_components": [c | {"step_size": 1} for c in element["price_components"]]}
                for element in tariff["elements"]]  # fmt: skip
    return tariff | {"elements": elements}


def test_the_organisations_tariff_is_sent_in_the_2_1_shape(api, cp):
    assert api.post(f"{api.base}/tariffs", json=exact_steps(TARIFF)).status_code == 201
    vat = [{"type": "VAT", "tax": 20}]
    converted = {
        "tariffId": "standard-ac",
        "currency": "EUR",
        "description": [{"format": "UTF8", "language": "en",
                         "content": "0.30/kWh, 1.00/h, 0.50 per session; 0.20/kWh at night"}],
        "fixedFee": {"prices": [{"priceFixed": 0.5}], "taxRates": vat},
        "energy": {"prices": [{"priceKwh": 0.2, "conditions": {"startTimeOfDay": "22:00", "endTimeOfDay": "06:00"}},
                              {"priceKwh": 0.3}], "taxRates": vat},
        "chargingTime": {"prices": [{"priceMinute": 0.016667}], "taxRates": vat},
        "maxCost": {"exclTax": 40, "inclTax": 48},
    }  # fmt: skip
    sent_and_answered(api, cp, "tariffs/default", {"tariffId": "standard-ac", "connectorId": 1}, "SetDefaultTariff",
                      {"evseId": 1, "tariff": converted}, {"status": "Accepted"},
                      {"tariffId": "standard-ac", "status": "Accepted"},
                      "Default tariff standard-ac on EVSE 1 accepted by charger")  # fmt: skip
    sent_and_answered(api, cp, "transactions/TX-1/tariff", {"tariffId": "standard-ac"}, "ChangeTransactionTariff",
                      {"transactionId": "TX-1", "tariff": converted}, {"status": "Accepted"},
                      {"transactionId": "TX-1", "tariffId": "standard-ac", "status": "Accepted"},
                      "Tariff standard-ac for transaction TX-1 accepted by charger")  # fmt: skip


def test_reservation_prices_are_sent_as_2_1_reservation_prices(api, cp):
    reserved = {"restrictions": {"reservation": "RESERVATION", "start_time": "08:00"},
                "price_components": [{"type": "TIME", "price": 3, "vat": 20, "step_size": 1},
                                     {"type": "FLAT", "price": 1, "vat": 20, "step_size": 1}]}  # fmt: skip
    assert api.post(f"{api.base}/tariffs", json=exact_steps(TARIFF) | {"id": "reserve",
                    "elements": [reserved, *TARIFF["elements"][1:2]]}).status_code == 201  # fmt: skip
    vat = [{"type": "VAT", "tax": 20}]
    converted = {
        "tariffId": "reserve", "currency": "EUR", "maxCost": {"exclTax": 40, "inclTax": 48},
        "description": [{"format": "UTF8", "language": "en",
                         "content": "0.30/kWh, 1.00/h, 0.50 per session; 0.20/kWh at night"}],
        "reservationTime": {"prices": [{"priceMinute": 0.05, "conditions": {"startTimeOfDay": "08:00"}}],
                            "taxRates": vat},
        "reservationFixed": {"prices": [{"priceFixed": 1, "conditions": {"startTimeOfDay": "08:00"}}], "taxRates": vat},
        "energy": {"prices": [{"priceKwh": 0.2, "conditions": {"startTimeOfDay": "22:00", "endTimeOfDay": "06:00"}}],
                   "taxRates": vat},
    }  # fmt: skip
    sent_and_answered(api, cp, "tariffs/default", {"tariffId": "reserve"}, "SetDefaultTariff",
                      {"evseId": 0, "tariff": converted}, {"status": "Accepted"},
                      {"tariffId": "reserve", "status": "Accepted"},
                      "Default tariff reserve on the whole charger accepted by charger")  # fmt: skip


ENERGY = {"type": "ENERGY", "price": 0.3, "vat": 20, "step_size": 1}


@pytest.mark.parametrize(
    "change, says",
    [
        ({"elements": [{"price_components": [ENERGY | {"step_size": 100}]}]}, "a ENERGY step_size of 100"),
        ({"end_date_time": "2027-01-01T00:00:00Z"}, "an end_date_time"),
        ({"elements": [{"price_components": [{"type": "TIME", "price": 2, "step_size": 1}],
                        "restrictions": {"reservation": "RESERVATION_EXPIRES"}}]}, "prices for an expired reservation"),
        ({"elements": [{"price_components": [ENERGY], "restrictions": {"reservation": "RESERVATION"}}]},
         "a ENERGY price during a reservation"),
        ({"elements": [{"price_components": [{"type": "FLAT", "price": 1, "step_size": 1}],
                        "restrictions": {"min_kwh": 5}}]}, "a fixed fee restricted by minEnergy"),
        ({"elements": [{"price_components": [ENERGY], "restrictions": {"start_time": "22:00"}},
                       {"price_components": [ENERGY | {"vat": 9}]}]}, "differing VAT within energy"),
    ],
)  # fmt: skip
def test_a_tariff_2_1_cannot_express_is_a_400_naming_tariff_id(api, cp, change, says):
    assert api.post(f"{api.base}/tariffs", json=exact_steps(TARIFF) | change).status_code == 201
    for path in ("tariffs/default", "transactions/TX-1/tariff"):
        response = post(api, path, {"tariffId": "standard-ac"})
        assert response.status_code == 400, response.text
        message = response.json()["error"]["message"]
        assert message.startswith("tariffId") and says in message and "cannot be sent in OCPP 2.1" in message, message


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("tariffs/default", {"tariffId": "no-such-tariff"}, "tariffId"),
        ("tariffs/default", {"tariffId": "T-1", "tariff": OCPP_TARIFF}, "tariffId"),
        ("tariffs/default", {"tariff": {"tariffId": "T-1"}}, "tariff: 'currency'"),  # checked by 2.1's schema
        ("transactions/TX-1/priority-charging", {}, "activate"),
        ("battery-swap", {}, "idTag"),
        ("der-controls", {"isDefault": True, "controlId": "C", "controlType": "FixedVar"}, "controlType"),
        ("der-controls", {"isDefault": True, "controlId": "C", "controlType": "Bogus", "fixedVar": {}}, "controlType"),
        ("der-controls/clear", {"isDefault": True, "colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_a_bad_body_is_a_400_naming_the_field(api, cp, path, body, field):
    response = post(api, path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(field), response.text


def test_a_2_0_1_charger_gets_a_400_for_2_1_only_operations(server, api, charger):
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1"):
        response = post(api, "tariffs/installed", {})
    assert response.status_code == 400
    assert "not available in the OCPP version" in response.json()["error"]["message"]


GENERIC = [
    ("AFRRSignal", {"timestamp": "2026-02-10T14:00:00Z", "signal": -1}, {"status": "Accepted"}),
    ("NotifyWebPaymentStarted", {"evseId": 1, "timeout": 120}, {}),
    ("NotifyAllowedEnergyTransfer", {"transactionId": "TX-1", "allowedEnergyTransfer": ["AC_single_phase"]},
     {"status": "Accepted"}),
    ("GetPeriodicEventStream", {}, {}),
    ("UsePriorityCharging", {"transactionId": "TX-1", "activate": False}, {"status": "Accepted"}),
]  # fmt: skip


@pytest.mark.parametrize("action, payload, answer", GENERIC, ids=[g[0] for g in GENERIC])
def test_the_generic_endpoint_sends_every_2_1_action(api, cp, action, payload, answer):
    cp.respond(action, answer)
    response = post(api, "commands", {"action": action, "payload": payload})
    assert cp.next_call()["payload"] == payload
    assert response.status_code == 200 and response.json()["response"] == answer, response.text


def test_the_generic_endpoint_validates_against_the_2_1_schema(api, cp):
    invalid = post(api, "commands", {"action": "SetDERControl", "payload": {"isDefault": True}})
    assert invalid.status_code == 400 and invalid.json()["error"]["message"].startswith("payload: ")


def test_a_periodic_event_stream_keeps_the_parameters_the_charger_accepted(api, cp, charger):
    event_streams.event_stream_open(charger_id=charger.pk, stream_id=7, variable_monitoring_id=3, params={})
    params = {"interval": 30, "values": 10}
    for status, kept in (("Rejected", {}), ("Accepted", params)):
        cp.respond("AdjustPeriodicEventStream", {"status": status})
        response = post(
            api, "commands", {"action": "AdjustPeriodicEventStream", "payload": {"id": 7, "params": params}}
        )
        assert response.status_code == 200, response.text
        assert PeriodicEventStream.objects.get(charger=charger, stream_id=7).params == kept


def test_the_admin_sends_a_2_1_command_as_the_api_does(server, cp, charger, browser):  # noqa: F811
    fields = {"isDefault": "true", "controlId": "PF-1", "controlType": "FixedPFAbsorb", "fixedPFAbsorb": json.dumps(PF)}
    page = browser.post(command_url(charger, "der_control_set"), fields).text
    call = cp.next_call()
    assert (call["action"], call["payload"]) == ("SetDERControl", {"isDefault": True, "controlId": "PF-1",
                                                                   "controlType": "FixedPFAbsorb",
                                                                   "fixedPFAbsorb": PF})  # fmt: skip
    assert "FixedPFAbsorb control PF-1 accepted by charger" in page


def test_the_charger_page_shows_the_2_1_commands_only_to_a_2_1_charger(server, charger, browser):  # noqa: F811
    for protocol, shown in (("ocpp2.0.1", False), (V21, True)):
        with strict_charger(server.ws, "CP-1", protocol=protocol):
            page = browser.get(f"/admin/chargers/charger/{charger.pk}/change/").text
        for command in ("tariff_default_set", "der_control_set", "battery_swap_request"):
            assert (f'href="{command_url(charger, command)}"' in page) is shown, (protocol, command)


def test_a_web_payment_started_is_kept_against_the_session_on_its_evse(api, cp, charger):
    started = {"eventType": "Started", "timestamp": "2026-02-10T14:00:00Z", "triggerReason": "CablePluggedIn",
               "seqNo": 0, "transactionInfo": {"transactionId": "TX-WEB"},
               "evse": {"id": 2, "connectorId": 1}}  # fmt: skip
    cp.call("TransactionEvent", started)
    cp.respond("NotifyWebPaymentStarted", {})
    response = post(api, "commands", {"action": "NotifyWebPaymentStarted", "payload": {"evseId": 2, "timeout": 90}})
    assert response.status_code == 200, response.text
    notice = TransactionNotice.objects.get(charger=charger, action="NotifyWebPaymentStarted")
    assert (notice.transaction, notice.ocpp_transaction_id) == (Transaction.objects.get(ocpp_id="TX-WEB"), "TX-WEB")
    assert notice.payload == {"evseId": 2, "timeout": 90}


def test_an_ocpi_tariff_becomes_a_schema_valid_2_1_tariff_in_2_1_units():
    from ocpp.messages import MessageType, get_validator

    from billing.ocpp_tariffs import ocpp_tariff

    document = {"currency": "EUR", "min_price": {"excl_vat": 1}, "start_date_time": "2026-03-01T00:00:00Z",
                "elements": [
                    {"price_components": [{"type": "PARKING_TIME", "price": 6, "step_size": 1}],
                     "restrictions": {"day_of_week": ["SATURDAY", "SUNDAY"], "min_duration": 3600}},
                    {"price_components": [{"type": "FLAT", "price": 1, "vat": 9, "step_size": 1}],
                     "restrictions": {"start_time": "08:00"}},
                    {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 9, "step_size": 1}],
                     "restrictions": {"min_kwh": 1.5, "max_power": 11, "start_date": "2026-03-01"}},
                ]}  # fmt: skip
    tariff = ocpp_tariff(document, tariff_id="weekend")
    assert tariff == {
        "tariffId": "weekend", "currency": "EUR", "minCost": {"exclTax": 1}, "validFrom": "2026-03-01T00:00:00Z",
        "idleTime": {"prices": [{"priceMinute": 0.1, "conditions": {"dayOfWeek": ["Saturday", "Sunday"],
                                                                    "minTime": 3600}}]},
        "fixedFee": {"prices": [{"priceFixed": 1, "conditions": {"startTimeOfDay": "08:00"}}],
                     "taxRates": [{"type": "VAT", "tax": 9}]},
        "energy": {"prices": [{"priceKwh": 0.25, "conditions": {"minEnergy": 1500, "maxPower": 11000,
                                                                "validFromDate": "2026-03-01"}}],
                   "taxRates": [{"type": "VAT", "tax": 9}]},
    }  # fmt: skip
    validator = get_validator(MessageType.Call, "SetDefaultTariff", "2.1")
    assert validator.is_valid({"evseId": 0, "tariff": tariff}), list(
        validator.iter_errors({"evseId": 0, "tariff": tariff})
    )
