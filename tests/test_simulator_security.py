"""The simulator's security abilities against a live server behind real nginx, each driven as an operator drives
it (the API the console's buttons call): a certificate on request, root certificates, a move to profile 3 with
its client certificate, a log uploaded to the CSMS, a signed firmware update, password rotation, security events,
and the fall back to its old profile when the new one fails."""

import time
from datetime import UTC, datetime

import pytest
import requests

from chargers.models import Charger, DiagnosticsJob, FirmwareJob
from chargers.services.registry import charger_register
from pki.models import ChargerSecurity, IssuedCertificate, SecurityEvent
from simulator import SIMULATORS
from tests.conftest import eventually
from tests.test_security_profile_upgrade import WINDOW, upgrade  # noqa: F401 (the server behind nginx)
from tests.test_simulator import simulate_charger
from tests.test_simulator_v201 import Running, tag  # noqa: F401 (a fixture)

pytestmark = pytest.mark.node

PASSWORD = "simulated-password"
ROOTS = {"1.6": "CentralSystemRootCertificate", "2.0.1": "CSMSRootCertificate"}
EVENTS = {"1.6": "InvalidCentralSystemCertificate", "2.0.1": "InvalidCsmsCertificate"}


def simulated(upgrade, version: str, *, trusted: bool = True):  # noqa: F811
    station = SIMULATORS[version](
        "CP-1", url=f"ws://127.0.0.1:{upgrade['server'].port}/ocpp", password=PASSWORD, firmware_step=0.05
    )
    station.security_configure(
        secure_url=upgrade["proxy"].wss, organisation="Acme", server_ca=upgrade["server_ca"] if trusted else None
    )
    return Running(station)


def command(api, path: str, body: dict | None = None) -> dict:
    answer = api.post(f"{api.base}/{path}", json=body or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def api(upgrade, acme_key):  # noqa: F811
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{upgrade['server'].http}/api/v1/chargers/CP-1"
    return session


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_simulator_goes_through_the_security_life_cycle(upgrade, api, acme, version):  # noqa: F811
    charger = charger_register(organisation=acme, charge_box_id="CP-1", password=PASSWORD)
    with simulated(upgrade, version) as station:
        # SignCertificate when asked, then the certificate our CA signed, installed.
        assert command(api, "certificates/renew")["status"] == "Accepted"
        eventually(lambda: IssuedCertificate.objects.filter(charger=charger, delivery="Accepted").exists())
        assert station.credentials.chain == IssuedCertificate.objects.get(charger=charger).chain

        # Root certificates: installed, listed, deleted.
        root = {"certificateType": ROOTS[version], "certificate": upgrade["ca"].certificate_pem}
        assert command(api, "certificates/install", root)["status"] == "Accepted"
        listed = command(api, "certificates/installed", {"certificateType": ROOTS[version]})["certificates"]
        ours = next(c for c in listed if c["serialNumber"] == format(upgrade["ca"].certificate.serial_number, "x"))
        hashes = {k: ours[k] for k in ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")}
        assert command(api, "certificates/delete", {"certificateHashData": hashes})["status"] == "Accepted"
        assert command(api, "certificates/delete", {"certificateHashData": hashes})["status"] == "NotFound"

        # Profile 3: it reconnects through nginx with its client certificate. (A pause: its four commands, after
        # the six above, would go beyond the ten a second a charger is sent.)
        time.sleep(1)
        assert command(api, "security-profile/upgrade", {"securityProfile": 3})["status"] == "Accepted"
        eventually(lambda: ChargerSecurity.objects.get(charger=charger).security_profile == 3, timeout=20)
        assert station.credentials.profile == 3
        eventually(lambda: Charger.objects.get(pk=charger.pk).is_online)

        # A security log, uploaded to the CSMS's own receiver.
        assert command(api, "log", {"logType": "SecurityLog"})["status"] == "Accepted"
        job = eventually(lambda: DiagnosticsJob.objects.filter(charger=charger, status="Uploaded").first())
        assert job.file.read().startswith(b"CP-1 ")

        # A signed firmware update, to the boot into the new version.
        firmware = {"location": "https://fw.example.com/sim-2.0.0.bin", "retrieveDate": datetime.now(UTC).isoformat(),
                    "signingCertificate": upgrade["ca"].certificate_pem, "signature": "MEUCIQ=="}  # fmt: skip
        assert command(api, "firmware/signed", firmware)["status"] == "Accepted"
        done = eventually(lambda: FirmwareJob.objects.filter(charger=charger, status="Confirmed").first(), timeout=20)
        statuses = list(done.history.order_by("received_at", "id").values_list("status", flat=True))
        assert "SignatureVerified" in statuses and "Installed" in statuses
        assert station.firmware_version == "2.0.0"

        # Password rotation: the charger keeps the new one for its next connection.
        rotated = command(api, "password/rotate")
        assert rotated["status"] == "Accepted" and station.password == rotated["password"]
        eventually(lambda: SecurityEvent.objects.filter(type="ReconfigurationOfSecurityParameters").exists())
    assert Charger.objects.get(pk=charger.pk).password_matches(rotated["password"])


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_simulator_that_cannot_reach_the_new_profile_falls_back_and_says_so(upgrade, api, acme, version):  # noqa: F811
    charger = charger_register(organisation=acme, charge_box_id="CP-1", password=PASSWORD)
    # It does not trust the proxy's server certificate: TLS fails, and it comes back on profile 1.
    with simulated(upgrade, version, trusted=False) as station:
        upgraded = command(api, "security-profile/upgrade", {"securityProfile": 2})
        assert (upgraded["status"], upgraded["upgradeTo"]) == ("Accepted", 2)
        event = eventually(lambda: SecurityEvent.objects.filter(charger=charger, type=EVENTS[version]).first())
        assert "security profile 2" in event.tech_info
        assert station.credentials.profile == 1
        security = eventually(
            lambda: (s := ChargerSecurity.objects.get(charger=charger)).upgrade_to is None and s, timeout=WINDOW + 10
        )
        assert security.security_profile == 1 and security.upgrade_result.startswith("fell back to profile 1")
        assert Charger.objects.get(pk=charger.pk).is_online


def test_the_command_line_simulator_sends_the_security_events_it_is_given(server, charger, tag):  # noqa: F811
    done = simulate_charger(
        "CP-1", "--url", server.ws, "--charge", "TAG-1", "--duration", "1", "--organisation", "Acme",
        "--security-event", "TamperDetectionActivated", "--security-event", "InvalidMessages",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    sent = SecurityEvent.objects.filter(charger=charger).order_by("id")
    assert [(e.type, e.critical) for e in sent] == [("TamperDetectionActivated", True), ("InvalidMessages", False)]


def test_the_command_line_refuses_a_tls_profile_without_the_proxys_url(server, charger):
    done = simulate_charger("CP-1", "--url", server.ws, "--security-profile", "2")
    assert done.returncode == 1 and "--security-profile 2 needs --tls-url" in done.stderr
