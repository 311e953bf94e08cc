"""The whole security life cycle, for a strict 1.6J Security Whitepaper charger and a strict 2.0.1 charger,
against a live server behind real nginx, with no CALLERROR: profile 1, SignCertificate and CertificateSigned,
the upgrade to profile 3 and the reconnection with the signed certificate, a security event, certificate
management, a log uploaded to the CSMS, a signed firmware update to Installed, and password rotation."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509

from chargers.models import DiagnosticsJob, FirmwareJob
from chargers.services.registry import charger_register
from pki.models import IssuedCertificate, SecurityEvent
from tests import certificates
from tests.conftest import eventually
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger
from tests.test_tls_profiles import tls  # noqa: F401 (the server behind nginx)

pytestmark = pytest.mark.node

PASSWORD = "profile-1-password"
HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "ab" * 32, "issuerKeyHash": "cd" * 32, "serialNumber": "1f"}
ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
T0 = "2026-12-07T06:00:00Z"
# Per version: what differs in the charger's words.
VERSIONS = {
    "ocpp1.6": {
        "installed": ({"status": "Accepted", "certificateHashData": [HASH]}, [HASH]),
        "firmware": ("SignedUpdateFirmware", "SignedFirmwareStatusNotification"),
        "password": ("ChangeConfiguration", {"status": "Accepted"}, lambda p: p["value"]),
        # The whitepaper's upgrade: one configuration key, then the charger reconnects on its own.
        "upgrade": [("ChangeConfiguration", {"status": "Accepted"})],
    },
    "ocpp2.0.1": {
        "installed": (
            {
                "status": "Accepted",
                "certificateHashDataChain": [{"certificateType": "CSMSRootCertificate", "certificateHashData": HASH}],
            },
            [{"certificateType": "CSMSRootCertificate", **HASH}],
        ),  # fmt: skip
        "firmware": ("UpdateFirmware", "FirmwareStatusNotification"),
        "password": (
            "SetVariables",
            {
                "setVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    }
                ]
            },
            lambda p: p["setVariableData"][0]["attributeValue"],
        ),  # fmt: skip
        # A05: a network profile in a new slot, that slot first in the priority, and a reset.
        "upgrade": [
            (
                "GetVariables",
                {
                    "getVariableResult": [
                        {
                            "attributeStatus": "Accepted",
                            "attributeValue": "1",
                            "component": {"name": "OCPPCommCtrlr"},
                            "variable": {"name": "NetworkConfigurationPriority"},
                        }
                    ]
                },
            ),
            ("SetNetworkProfile", {"status": "Accepted"}),
            (
                "SetVariables",
                {
                    "setVariableResult": [
                        {
                            "attributeStatus": "Accepted",
                            "component": {"name": "OCPPCommCtrlr"},
                            "variable": {"name": "NetworkConfigurationPriority"},
                        }
                    ]
                },
            ),
            ("Reset", {"status": "Accepted"}),
        ],  # fmt: skip
    },
}
VERSIONS["ocpp2.1"] = VERSIONS["ocpp2.0.1"]  # 2.1 words these as 2.0.1 does


def next_of(cp, action: str) -> dict:
    """The server's next `action` CALL, past the earlier commands (their answers were checked through the API)
    and any follow-up of an open job (a TriggerMessage when a job's status is slow to come)."""
    while (call := cp.next_call(timeout=15))["action"] != action:
        pass
    return call


def command(api, path: str, body: dict | None = None) -> dict:
    answer = api.post(f"{api.base}/chargers/CP-1/{path}", json=body or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("protocol", list(VERSIONS))
def test_a_strict_charger_goes_through_the_whole_security_life_cycle(tls, acme, acme_key, protocol):  # noqa: F811
    words = VERSIONS[protocol]
    charger = charger_register(organisation=acme, charge_box_id="CP-1", password=PASSWORD)
    api = requests.Session()
    api.headers["X-API-Key"] = acme_key
    api.base = f"{tls['server'].http}/api/v1"
    plain = f"ws://127.0.0.1:{tls['server'].port}/ocpp"

    # Profile 1, then a certificate signed by our CA, then the move to profile 3.
    key = certificates.charger_key()
    with strict_charger(plain, "CP-1", protocol=protocol, password=PASSWORD) as cp:
        assert cp.call("SignCertificate", {"csr": certificates.csr_pem("CP-1", key=key)})["status"] == "Accepted"
        signed = cp.next_call(timeout=20)
        assert signed["action"] == "CertificateSigned"
        eventually(lambda: IssuedCertificate.objects.filter(charger=charger, delivery="Accepted").exists())
        for action, answer in words["upgrade"]:
            cp.respond(action, answer)
        upgrade = command(api, "security-profile/upgrade", {"securityProfile": 3})
        assert (upgrade["status"], upgrade["upgradeTo"]) == ("Accepted", 3)
    chain = signed["payload"]["certificateChain"]
    x509.load_pem_x509_certificates(chain.encode())[0].verify_directly_issued_by(tls["ca"].certificate)

    # It reconnects on profile 3 through nginx, with that certificate, which makes profile 3 its own.
    held = {"ca": tls["server_ca"], "cert": chain, "key": certificates.key_pem(key).decode()}
    with strict_charger(tls["proxy"].wss, "CP-1", protocol=protocol, tls=held) as cp:
        assert cp.protocol == protocol
        assert api.get(f"{api.base}/chargers/CP-1/security-profile").json()["securityProfile"] == 3
        with pytest.raises(Refused):
            RpcCharger(plain, "CP-1", protocol=protocol, password=PASSWORD)

        event = {"type": "TamperDetectionActivated", "timestamp": T0, "techInfo": "lid"}
        assert cp.call("SecurityEventNotification", event) == {}

        answer, listed = words["installed"]
        cp.respond("GetInstalledCertificateIds", answer)
        assert (
            command(api, "certificates/installed", {"certificateType": "CSMSRootCertificate"})["certificates"] == listed
        )
        assert command(api, "certificates/install", {"certificateType": "CSMSRootCertificate",
                                                     "certificate": ROOT})["status"] == "Accepted"  # fmt: skip
        assert command(api, "certificates/delete", {"certificateHashData": HASH})["status"] == "Accepted"

        # A security log, uploaded to the CSMS itself.
        cp.respond("GetLog", {"status": "Accepted", "filename": "security.log"})
        request_id = command(api, "log", {"logType": "SecurityLog"})["requestId"]
        location = next_of(cp, "GetLog")["payload"]["log"]["remoteLocation"]
        cp.call("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
        put = requests.put(tls["server"].http + urlsplit(location).path + "security.log", data=b"06:00 tamper")
        assert put.status_code == 201, put.text
        cp.call("LogStatusNotification", {"status": "Uploaded", "requestId": request_id})

        # A signed firmware update, to Installed.
        update, notification = words["firmware"]
        cp.respond(update, {"status": "Accepted"})
        now = datetime.now(UTC).isoformat()  # a job's deadline runs from its retrieve date
        firmware = {"location": "https://fw.example.com/7.bin", "retrieveDate": now, "signingCertificate": ROOT,
                    "signature": "MEUCIQ=="}  # fmt: skip
        request_id = command(api, "firmware/signed", firmware)["requestId"]
        assert next_of(cp, update)["payload"]["firmware"]["signature"] == "MEUCIQ=="
        for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"):
            assert cp.call(notification, {"status": status, "requestId": request_id}) == {}

        # Password rotation.
        action, accepted, value_of = words["password"]
        cp.respond(action, accepted)
        new = command(api, "password/rotate")["password"]
        assert value_of(next_of(cp, action)["payload"]) == new

    assert SecurityEvent.objects.get(charger=charger).critical
    log_job = DiagnosticsJob.objects.get(charger=charger)
    assert (log_job.status, log_job.file.read()) == ("Uploaded", b"06:00 tamper")
    assert FirmwareJob.objects.get(charger=charger).status == "Installed"
    assert charger.__class__.objects.get(pk=charger.pk).password_matches(new)
