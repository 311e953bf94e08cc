"""Endpoints for OCPP 2.1 operations: tariffs on the charger, priority charging, dynamic schedules, battery
swaps and DER (grid support) controls. A 1.6 or 2.0.1 charger answers them with a 400 (the command is absent
from its version's table). OCPP's own objects (a DER curve, a schedule update) are taken as they are and checked
against the 2.1 schema; a tariff is the organisation's, by its id, or a 2.1 Tariff object."""

from rest_framework import serializers as drf

from chargers import costs
from chargers.models import Charger
from commands.api import serializers as s
from commands.api.views import Endpoint, command_view, reply
from csms.errors import exactly_one_of

TARIFF_HELP = "The organisation's tariff (POST /tariffs), sent in OCPP 2.1's Tariff shape."
OCPP_TARIFF_HELP = "An OCPP 2.1 Tariff object as it is, instead of tariffId."
DER_CONTROLS = ["EnterService", "FreqDroop", "FreqWatt", "FixedPFAbsorb", "FixedPFInject", "FixedVar", "Gradients",
                "HFMustTrip", "HFMayTrip", "HVMustTrip", "HVMomCess", "HVMayTrip", "LimitMaxDischarge", "LFMustTrip",
                "LVMustTrip", "LVMomCess", "LVMayTrip", "PowerMonitoringMustTrip", "VoltVar", "VoltWatt", "WattPF",
                "WattVar"]  # fmt: skip
# A control's settings: one of these objects.
DER_SETTINGS = ("curve", "enterService", "fixedPFAbsorb", "fixedPFInject", "fixedVar", "freqDroop", "gradient",
                "limitMaxDischarge")  # fmt: skip


class Tariffed(s.StrictSerializer):
    tariffId = drf.CharField(max_length=36, required=False, help_text=TARIFF_HELP)
    tariff = drf.DictField(required=False, help_text=OCPP_TARIFF_HELP)

    def validate(self, attrs):
        return exactly_one_of(attrs, "tariffId", "tariff")


class TariffDefaultInput(Tariffed):
    connectorId = s.connector(required=False, help_text="The EVSE; none or 0: the whole charger.")


class TariffsGetInput(s.StrictSerializer):
    connectorId = s.connector(required=False, help_text="The EVSE; none or 0: the whole charger.")


class TariffsClearInput(s.StrictSerializer):
    tariffIds = drf.ListField(child=drf.CharField(max_length=60), required=False, min_length=1,
                              help_text="None: every tariff.")  # fmt: skip
    connectorId = s.connector(required=False, help_text="Only on this EVSE.")


class PriorityChargingInput(s.StrictSerializer):
    activate = drf.BooleanField(help_text="true: charge at the most the charger can; false: back to the schedule.")


class DynamicScheduleInput(s.StrictSerializer):
    chargingProfileId = drf.IntegerField(help_text="The charger's Dynamic charging profile.")
    scheduleUpdate = drf.DictField(help_text="OCPP 2.1 ChargingScheduleUpdate: limit, setpoint, ... (per phase).")


class BatterySwapInput(s.StrictSerializer):
    idTag = drf.CharField(max_length=36, required=False, help_text="The id tag (sent as a Central id token).")
    idToken = s.IdToken(required=False, help_text="The token and its type; instead of idTag.")
    requestId = drf.IntegerField(required=False, min_value=0, help_text="Chosen by the CSMS when absent.")

    def validate(self, attrs):
        return exactly_one_of(attrs, "idTag", "idToken")


class DERControlInput(s.StrictSerializer):
    isDefault = drf.BooleanField(help_text="A default control (kept) rather than a scheduled one.")
    controlId = drf.CharField(max_length=36)
    controlType = drf.ChoiceField(DER_CONTROLS)
    curve = drf.JSONField(required=False, help_text="OCPP 2.1's DERCurve, for the curve controls (VoltVar, ...).")
    enterService = drf.JSONField(required=False, help_text="OCPP 2.1's EnterService object.")
    fixedPFAbsorb = drf.JSONField(required=False, help_text="OCPP 2.1's FixedPF object.")
    fixedPFInject = drf.JSONField(required=False, help_text="OCPP 2.1's FixedPF object.")
    fixedVar = drf.JSONField(required=False, help_text="OCPP 2.1's FixedVar object.")
    freqDroop = drf.JSONField(required=False, help_text="OCPP 2.1's FreqDroop object.")
    gradient = drf.JSONField(required=False, help_text="OCPP 2.1's Gradient object.")
    limitMaxDischarge = drf.JSONField(required=False, help_text="OCPP 2.1's LimitMaxDischarge object.")

    def validate(self, attrs):
        if sum(name in attrs for name in DER_SETTINGS) != 1:
            raise drf.ValidationError({"controlType": f"give the control's settings: one of {', '.join(DER_SETTINGS)}"})
        return attrs


class DERControlGetInput(s.StrictSerializer):
    requestId = drf.IntegerField(required=False, min_value=0, help_text="Chosen by the CSMS when absent.")
    isDefault = drf.BooleanField(required=False)
    controlType = drf.ChoiceField(DER_CONTROLS, required=False)
    controlId = drf.CharField(max_length=36, required=False)


class DERControlClearInput(s.StrictSerializer):
    isDefault = drf.BooleanField(help_text="Clear default controls (true) or scheduled ones (false).")
    controlType = drf.ChoiceField(DER_CONTROLS, required=False)
    controlId = drf.CharField(max_length=36, required=False)


def tariff_prepare(charger: Charger, params: dict) -> dict:
    """The organisation's tariff, by id, in the Tariff shape the charger takes."""
    if "tariffId" in params:
        try:
            params["tariff"] = costs.ocpp_tariff(organisation_id=charger.organisation_id, tariff_id=params["tariffId"])
        except ValueError as unknown:
            raise drf.ValidationError({"tariffId": str(unknown)})
        del params["tariffId"]
    return params


STATUS = s.status("Accepted", "Rejected")
REQUESTED = {"requestId": drf.IntegerField(help_text="Quoted by the charger in the reports that follow."),
             "status": STATUS}  # fmt: skip
TARIFF = {"tariffId": "T-2026", "currency": "EUR", "energy": {"prices": [{"priceKwh": 0.35}],
                                                              "taxRates": [{"type": "VAT", "tax": 21}]}}  # fmt: skip

ENDPOINTS = [
    Endpoint(
        "tariffs/default", "tariff_default_set", TariffDefaultInput,
        reply("TariffDefaultReply", "SetDefaultTariff", tariffId=drf.CharField(), status=STATUS),
        "OCPP 2.1: set the tariff the charger applies when no other does", {"tariffId": "T-2026"},
        {"message": "Default tariff T-2026 on the whole charger accepted by charger", "tariffId": "T-2026",
         "status": "Accepted", "response": {"status": "Accepted"}},
        prepare=tariff_prepare,
        description="The charger shows and applies it itself (local cost calculation).",
    ),
    Endpoint(
        "tariffs/installed", "charger_tariffs_get", TariffsGetInput,
        reply("TariffsGetReply", "GetTariffs", status=s.status("Accepted", "Rejected", "NoTariff"),
              tariffAssignments=drf.ListField(child=drf.DictField(), help_text="{tariffId, tariffKind, evseIds}")),
        "OCPP 2.1: the tariffs the charger holds", {},
        {"message": "1 tariffs on the whole charger", "status": "Accepted",
         "tariffAssignments": [{"tariffId": "T-2026", "tariffKind": "DefaultTariff"}],
         "response": {"status": "Accepted", "tariffAssignments": [{"tariffId": "T-2026",
                                                                   "tariffKind": "DefaultTariff"}]}},
    ),
    Endpoint(
        "tariffs/clear", "charger_tariffs_clear", TariffsClearInput,
        reply("TariffsClearReply", "ClearTariffs", results=drf.ListField(child=drf.DictField())),
        "OCPP 2.1: remove tariffs from the charger", {"tariffIds": ["T-2026"]},
        {"message": "1 of 1 tariffs cleared", "results": [{"tariffId": "T-2026", "status": "Accepted"}],
         "response": {"clearTariffsResult": [{"tariffId": "T-2026", "status": "Accepted"}]}},
    ),
    Endpoint(
        "transactions/<transaction_id:transactionId>/tariff", "transaction_tariff_change", Tariffed,
        reply("TransactionTariffReply", "ChangeTransactionTariff", transactionId=drf.CharField(),
              tariffId=drf.CharField(), status=STATUS),
        "OCPP 2.1: change the tariff of a session in progress", {"tariffId": "T-2026"},
        {"message": "Tariff T-2026 for transaction TX-1 accepted by charger", "transactionId": "TX-1",
         "tariffId": "T-2026", "status": "Accepted", "response": {"status": "Accepted"}},
        prepare=tariff_prepare,
    ),
    Endpoint(
        "transactions/<transaction_id:transactionId>/priority-charging", "priority_charging",
        PriorityChargingInput,
        reply("PriorityChargingReply", "UsePriorityCharging", transactionId=drf.CharField(),
              activate=drf.BooleanField(), status=s.status("Accepted", "Rejected", "NoProfile")),
        "OCPP 2.1: let a session charge at full power, or no longer", {"activate": True},
        {"message": "Priority charging on for transaction TX-1 accepted by charger", "transactionId": "TX-1",
         "activate": True, "status": "Accepted", "response": {"status": "Accepted"}},
        description="The charger tells what it did with NotifyPriorityCharging, kept against the session.",
    ),
    Endpoint(
        "dynamic-schedule", "dynamic_schedule_update", DynamicScheduleInput,
        reply("DynamicScheduleReply", "UpdateDynamicSchedule", chargingProfileId=drf.IntegerField(), status=STATUS),
        "OCPP 2.1: new figures for a Dynamic charging profile",
        {"chargingProfileId": 31, "scheduleUpdate": {"limit": 16}},
        {"message": "Schedule update of charging profile 31 accepted by charger", "chargingProfileId": 31,
         "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "battery-swap", "battery_swap_request", BatterySwapInput,
        reply("BatterySwapReply", "RequestBatterySwap", **REQUESTED),
        "OCPP 2.1: have a battery-swap station swap a battery for an id tag", {"idTag": "RFID-4A2F"},
        {"message": "Battery swap request accepted by charger", "requestId": 12, "status": "Accepted",
         "response": {"status": "Accepted"}},
        description="The station reports the swap with BatterySwap (BatteryIn, BatteryOut), kept as session notices.",
    ),
    Endpoint(
        "der-controls", "der_control_set", DERControlInput,
        reply("DERControlReply", "SetDERControl", controlId=drf.CharField(),
              status=s.status("Accepted", "Rejected", "NotSupported"),
              supersededIds=drf.ListField(child=drf.CharField())),
        "OCPP 2.1: install a DER (grid support) control",
        {"isDefault": True, "controlId": "PF-1", "controlType": "FixedPFAbsorb",
         "fixedPFAbsorb": {"priority": 1, "displacement": 0.9, "excitation": True}},
        {"message": "FixedPFAbsorb control PF-1 accepted by charger", "controlId": "PF-1", "status": "Accepted",
         "supersededIds": [], "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "der-controls/report", "der_control_get", DERControlGetInput,
        reply("DERControlReportReply", "GetDERControl", **REQUESTED),
        "OCPP 2.1: have the charger report its DER controls", {"isDefault": True},
        {"message": "Report of DER controls accepted by charger", "requestId": 45, "status": "Accepted",
         "response": {"status": "Accepted"}},
        description="The charger sends ReportDERControl, kept among its DER events.",
    ),
    Endpoint(
        "der-controls/clear", "der_control_clear", DERControlClearInput,
        reply("DERControlClearReply", "ClearDERControl", status=s.status("Accepted", "Rejected", "NotFound")),
        "OCPP 2.1: remove DER controls", {"isDefault": True, "controlType": "FixedPFAbsorb"},
        {"message": "Clearing of DER controls accepted by charger", "status": "Accepted",
         "response": {"status": "Accepted"}},
    ),
]  # fmt: skip

# Shorter than the summaries, for the admin's buttons and action menu.
LABELS = {
    "tariff_default_set": "Set default tariff (2.1)",
    "charger_tariffs_get": "Installed tariffs (2.1)",
    "charger_tariffs_clear": "Clear tariffs (2.1)",
    "transaction_tariff_change": "Change session tariff (2.1)",
    "priority_charging": "Priority charging (2.1)",
    "dynamic_schedule_update": "Update dynamic schedule (2.1)",
    "battery_swap_request": "Request battery swap (2.1)",
    "der_control_set": "Set DER control (2.1)",
    "der_control_get": "DER controls report (2.1)",
    "der_control_clear": "Clear DER controls (2.1)",
}
VIEWS = [(endpoint.path, command_view(endpoint)) for endpoint in ENDPOINTS]
