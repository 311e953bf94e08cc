"""The security commands the CSMS sends (OCPP 1.6 Security Whitepaper, OCPP 2.0.1): named endpoints, the
generic endpoint and admin actions, each through the command bus to a strict ocpp-rpc charger."""

from urllib.parse import urlsplit

import pytest
import requests

from chargers.models import DiagnosticsJob, FirmwareJob
from commands.models import Command
from tests.ocpp_rpc import strict_charger
from tests.test_admin_commands import browser, command_url, operator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.node

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "ab" * 32, "issuerKeyHash": "cd" * 32, "serialNumber": "1f"}
SIGNED = {
    "location": "https://fw.example.com/7.2.bin",
    "retrieveDate": "2026-12-08T02:00:00Z",
    "signingCertificate": PEM,
    "signature": "MEUCIQ==",
}

# (endpoint, body, version, OCPP action, the payload the charger gets, the charger's answer, reply fields)
CASES = [
    ("certificates/install", {"certificateType": "CSMSRootCertificate", "certificate": PEM},
     "ocpp1.6", "InstallCertificate", {"certificateType": "CentralSystemRootCertificate", "certificate": PEM},
     {"status": "Accepted"}, {"status": "Accepted"}),
    ("certificates/install", {"certificateType": "CentralSystemRootCertificate", "certificate": PEM},
     "ocpp2.0.1", "InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": PEM},
     {"status": "Accepted"}, {"status": "Accepted"}),
    ("certificates/delete", {"certificateHashData": HASH}, "ocpp1.6", "DeleteCertificate",
     {"certificateHashData": HASH}, {"status": "NotFound"}, {"status": "NotFound"}),
    ("certificates/delete", {"certificateHashData": HASH}, "ocpp2.0.1", "DeleteCertificate",
     {"certificateHashData": HASH}, {"status": "Accepted"}, {"status": "Accepted"}),
    ("certificates/installed", {"certificateType": "ManufacturerRootCertificate"}, "ocpp1.6",
     "GetInstalledCertificateIds", {"certificateType": "ManufacturerRootCertificate"},
     {"status": "Accepted", "certificateHashData": [HASH]}, {"status": "Accepted", "certificates": [HASH]}),
    ("certificates/installed", {"certificateType": "CentralSystemRootCertificate"}, "ocpp2.0.1",
     "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]},
     {"status": "Accepted", "certificateHashDataChain": [{"certificateType": "CSMSRootCertificate",
                                                          "certificateHashData": HASH}]},
     {"status": "Accepted", "certificates": [{"certificateType": "CSMSRootCertificate", **HASH}]}),
    ("certificates/signed", {"certificateChain": PEM}, "ocpp1.6", "CertificateSigned", {"certificateChain": PEM},
     {"status": "Rejected"}, {"status": "Rejected"}),
    ("certificates/signed", {"certificateChain": PEM, "certificateType": "V2GCertificate"}, "ocpp2.0.1",
     "CertificateSigned", {"certificateChain": PEM, "certificateType": "V2GCertificate"},
     {"status": "Accepted"}, {"status": "Accepted"}),
    ("certificates/renew", {}, "ocpp1.6", "ExtendedTriggerMessage",
     {"requestedMessage": "SignChargePointCertificate"}, {"status": "Accepted"}, {"status": "Accepted"}),
    ("certificates/renew", {}, "ocpp2.0.1", "TriggerMessage",
     {"requestedMessage": "SignChargingStationCertificate"}, {"status": "Accepted"}, {"status": "Accepted"}),
    ("trigger/extended", {"requestedMessage": "LogStatusNotification", "connectorId": 1}, "ocpp1.6",
     "ExtendedTriggerMessage", {"requestedMessage": "LogStatusNotification", "connectorId": 1},
     {"status": "Accepted"}, {"status": "Accepted"}),
    ("trigger/extended", {"requestedMessage": "SignChargePointCertificate"}, "ocpp2.0.1", "TriggerMessage",
     {"requestedMessage": "SignChargingStationCertificate"}, {"status": "Rejected"}, {"status": "Rejected"}),
]  # fmt: skip
# 2.1 words them as 2.0.1 does.
CASES += [(path, body, "ocpp2.1", *rest) for path, body, version, *rest in CASES if version == "ocpp2.0.1"]


@pytest.mark.parametrize(("path", "body", "protocol", "action", "payload", "answer", "fields"), CASES)
def test_a_security_command_reaches_the_charger_in_its_versions_words(
    server, api, charger, path, body, protocol, action, payload, answer, fields
):
    with strict_charger(server.ws, "CP-1", protocol=protocol) as cp:
        cp.respond(action, answer)
        reply = api.post(f"{api.base}/chargers/CP-1/{path}", json=body)
        assert reply.status_code == 200, reply.text
        sent = cp.next_call()
    assert (sent["action"], sent["payload"]) == (action, payload)
    assert reply.json() | fields == reply.json() and reply.json()["response"] == answer
    assert Command.objects.get().action == action


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("certificates/install", {"certificateType": "CSMSRootCertificate"}, "certificate"),
        ("certificates/install", {"certificateType": "Mine", "certificate": PEM}, "certificateType"),
        ("certificates/delete", {"certificateHashData": {**HASH, "hashAlgorithm": "MD5"}}, "certificateHashData"),
        ("log", {"logType": "Everything"}, "logType"),
        ("certificates/delete", {"certificateHashData": {**HASH, "serial": "1f"}}, "serial"),
        ("firmware/signed", {**SIGNED, "signature": None}, "signature"),
        ("log", {"logType": "SecurityLog", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(server, api, charger, path, body, field):
    answer = api.post(f"{api.base}/chargers/CP-1/{path}", json=body)
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert not Command.objects.exists()


def test_a_root_certificate_kind_a_1_6_charger_does_not_know_is_refused(server, api, charger):
    with strict_charger(server.ws, "CP-1"):
        answer = api.post(
            f"{api.base}/chargers/CP-1/certificates/install",
            json={"certificateType": "V2GRootCertificate", "certificate": PEM},
        )
    assert answer.status_code == 400 and "certificateType" in answer.text, answer.text


@pytest.mark.parametrize(
    ("protocol", "action", "payload"),
    [
        ("ocpp1.6", "SignedUpdateFirmware", {"requestId": 5, "firmware": {
            "location": SIGNED["location"], "retrieveDateTime": SIGNED["retrieveDate"], "signingCertificate": PEM,
            "signature": "MEUCIQ=="}}),
        ("ocpp1.6", "GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}),
        ("ocpp2.0.1", "GetInstalledCertificateIds", {"certificateType": ["V2GRootCertificate"]}),
        ("ocpp2.1", "GetInstalledCertificateIds", {"certificateType": ["V2GRootCertificate"]}),
        ("ocpp1.6", "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}),
    ],
)  # fmt: skip
def test_the_generic_endpoint_sends_the_security_actions_as_they_are(server, api, charger, protocol, action, payload):
    with strict_charger(server.ws, "CP-1", protocol=protocol) as cp:
        answer = api.post(f"{api.base}/chargers/CP-1/commands", json={"action": action, "payload": payload})
        assert answer.status_code == 200, answer.text
        assert cp.next_call()["payload"] == payload


def test_the_generic_endpoint_refuses_a_2_0_1_certificate_kind_for_a_1_6_charger(server, api, charger):
    with strict_charger(server.ws, "CP-1"):
        answer = api.post(
            f"{api.base}/chargers/CP-1/commands",
            json={"action": "InstallCertificate", "payload": {"certificateType": "CSMSRootCertificate",
                                                              "certificate": PEM}},
        )  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"]["message"].startswith("payload"), answer.text


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
def test_a_security_log_is_a_job_uploaded_to_the_csms_itself(server, api, charger, protocol):
    with strict_charger(server.ws, "CP-1", protocol=protocol) as cp:
        cp.respond("GetLog", {"status": "Accepted", "filename": "security.log"})
        reply = api.post(f"{api.base}/chargers/CP-1/log", json={"logType": "SecurityLog"})
        assert reply.status_code == 200, reply.text
        sent = cp.next_call()["payload"]
        assert sent["logType"] == "SecurityLog" and sent["requestId"] == reply.json()["requestId"]
        location = sent["log"]["remoteLocation"]
        cp.call("LogStatusNotification", {"status": "Uploading", "requestId": sent["requestId"]})
        put = requests.put(server.http + urlsplit(location).path + "security.log", data=b"tamper 06:00")
        assert put.status_code == 201, put.text
        cp.call("LogStatusNotification", {"status": "Uploaded", "requestId": sent["requestId"]})
    job = DiagnosticsJob.objects.get()
    assert (job.status, job.file_name, job.file.read()) == ("Uploaded", "security.log", b"tamper 06:00")
    listed = api.get(f"{api.base}/chargers/CP-1/diagnostics").json()["jobs"][0]
    assert [h["status"] for h in listed["history"]] == ["Uploading", "Uploaded"]


REFUSED_FIRMWARE = [
    ("ocpp1.6", "SignedUpdateFirmware", {"status": "InvalidCertificate"}, "InvalidCertificate"),
    ("ocpp2.0.1", "UpdateFirmware",
     {"status": "InvalidCertificate", "statusInfo": {"reasonCode": "UnknownSigner", "additionalInfo": "not our CA"}},
     "InvalidCertificate (UnknownSigner not our CA)"),
    ("ocpp2.1", "UpdateFirmware", {"status": "InvalidCertificate"}, "InvalidCertificate"),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED_FIRMWARE)
def test_a_refused_signed_firmware_ends_its_job_with_the_reason(server, api, browser, charger, case):  # noqa: F811
    protocol, action, answer, refusal = case
    with strict_charger(server.ws, "CP-1", protocol=protocol) as cp:
        cp.respond(action, answer)
        reply = api.post(f"{api.base}/chargers/CP-1/firmware/signed", json=SIGNED)
        assert reply.status_code == 200 and reply.json()["status"] == "InvalidCertificate", reply.text
        firmware = cp.next_call()["payload"]["firmware"]
    assert firmware == {"location": SIGNED["location"], "retrieveDateTime": SIGNED["retrieveDate"],
                        "signingCertificate": PEM, "signature": "MEUCIQ=="}  # fmt: skip
    job = FirmwareJob.objects.get()
    assert (job.status, job.refusal) == ("NotSent", refusal) and job.finished_at is not None
    # Where an operator follows the job: its listing in the API and its admin page.
    listed = api.get(f"{api.base}/chargers/CP-1/firmware").json()["jobs"][0]
    assert (listed["status"], listed["refusal"]) == ("NotSent", refusal)
    page = browser.get(f"/admin/chargers/firmwarejob/{job.pk}/change/").text
    assert refusal in page.replace("&#x27;", "'")


def test_a_job_whose_command_failed_keeps_the_failure_as_its_refusal(server, api, charger):
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("GetLog", error={"code": "InternalError", "message": "log store busy"})
        reply = api.post(f"{api.base}/chargers/CP-1/log", json={"logType": "SecurityLog"})
        assert reply.status_code != 200, reply.text
    job = DiagnosticsJob.objects.get()
    assert (job.status, job.refusal) == ("NotSent", "InternalError: log store busy")
    assert api.get(f"{api.base}/chargers/CP-1/diagnostics").json()["jobs"][0]["refusal"] == job.refusal


def test_the_admin_shows_the_security_commands_and_sends_one(server, browser, charger):  # noqa: F811
    page = browser.get(f"/admin/chargers/charger/{charger.pk}/change/").text
    for command in ("certificate_install", "certificate_ids_get", "certificate_delete", "log_get",
                    "firmware_update_signed", "certificate_renew", "extended_trigger"):  # fmt: skip
        assert f'href="{command_url(charger, command)}"' in page, command
    with strict_charger(server.ws, "CP-1") as cp:
        page = browser.post(
            command_url(charger, "certificate_ids_get"), {"certificateType": "CentralSystemRootCertificate"}
        ).text
        assert cp.next_call()["payload"] == {"certificateType": "CentralSystemRootCertificate"}
    assert "0 installed CentralSystemRootCertificate certificates" in page
    assert Command.objects.get().source == "admin"
