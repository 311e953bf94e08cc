"""The security messages a charger sends (OCPP 1.6 Security Whitepaper, OCPP 2.0.1), from a strict ocpp-rpc
charger: each answered schema-validly, kept, and followed by what it asks of the CSMS."""

import queue
import re

import pytest
from cryptography import x509
from django.contrib.auth.models import User
from django.utils import timezone

from chargers.models import DiagnosticsJob, FirmwareJob
from chargers.services.jobs import diagnostics_job_create, firmware_job_create
from pki import authority
from pki.models import IssuedCertificate, SecurityEvent
from tests import certificates
from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger
from tests.test_admin_commands import PASSWORD, Browser
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.node

T0 = "2026-12-07T06:00:00Z"
VERSIONS = ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"]


@pytest.fixture
def receiver():
    live = Receiver("s" * 32)
    yield live
    live.close()


@pytest.mark.parametrize("protocol", VERSIONS)
def test_security_events_are_kept_and_the_critical_ones_raise_a_webhook(
    server, server_worker, api, charger, receiver, protocol
):
    hook = {"url": receiver.url, "secret": "s" * 32, "events": ["charger.security_event"]}
    assert api.post(f"{api.base}/webhooks", json=hook).status_code == 201
    with strict_charger(server.ws, "CP-1", protocol=protocol) as cp:
        assert cp.call("SecurityEventNotification", {"type": "InvalidMessages", "timestamp": T0}) == {}
        tamper = {"type": "TamperDetectionActivated", "timestamp": T0, "techInfo": "lid opened"}
        assert cp.call("SecurityEventNotification", tamper) == {}
    kept = {e.type: e for e in SecurityEvent.objects.filter(charger=charger)}
    assert not kept["InvalidMessages"].critical
    assert kept["TamperDetectionActivated"].critical and kept["TamperDetectionActivated"].tech_info == "lid opened"
    assert kept["TamperDetectionActivated"].timestamp.isoformat() == "2026-12-07T06:00:00+00:00"
    delivered = eventually(lambda: receiver.events("charger.security_event"))
    assert len(delivered) == 1  # the non-critical event raised none
    assert delivered[0]["valid"] and delivered[0]["json"]["data"] == {
        "chargeBoxId": "CP-1", "type": "TamperDetectionActivated", "timestamp": "2026-12-07T06:00:00+00:00",
        "techInfo": "lid opened", "critical": True,
    }  # fmt: skip


@pytest.mark.parametrize("protocol", VERSIONS)
def test_a_good_csr_is_signed_by_our_ca_and_sent_back_with_certificate_signed(background, charger, protocol):
    key = certificates.charger_key()
    with strict_charger(background.ws, "CP-1", protocol=protocol) as cp:
        assert cp.call("SignCertificate", {"csr": certificates.csr_pem("CP-1", key=key)}) == {"status": "Accepted"}
        sent = cp.next_call(timeout=15)
        assert sent["action"] == "CertificateSigned"
        issued = eventually(lambda: IssuedCertificate.objects.filter(charger=charger, delivery="Accepted").first())
    leaf = x509.load_pem_x509_certificates(sent["payload"]["certificateChain"].encode())[0]
    ca = authority.ca_load().certificate
    leaf.verify_directly_issued_by(ca)
    assert leaf.public_key() == key.public_key()
    assert leaf.subject.rfc4514_string() == "O=Acme,CN=CP-1" == issued.subject
    assert issued.serial == format(leaf.serial_number, "x") and issued.not_after == leaf.not_valid_after_utc
    assert issued.command_id and issued.chain == sent["payload"]["certificateChain"]
    assert (issued.not_after - timezone.now()).days in (364, 365)


def _csr(kind: str) -> str:
    return {
        "garbage": lambda: "-----BEGIN CERTIFICATE REQUEST-----\nnot a csr\n-----END CERTIFICATE REQUEST-----",
        "bad signature": lambda: certificates.csr_pem_badly_signed("CP-1"),
        "other CN": lambda: certificates.csr_pem("CP-2"),
        "other O": lambda: certificates.csr_pem("CP-1", organisation="Globex"),
        "RSA 1024": lambda: certificates.csr_pem("CP-1", key=certificates.charger_key("rsa1024")),
        "P-192": lambda: certificates.csr_pem("CP-1", key=certificates.charger_key("ec192")),
    }[kind]()


REFUSALS = {
    "garbage": "not a PEM-encoded PKCS#10 request",
    "bad signature": "not signed by its own key",
    "other CN": "CN is 'CP-2', not the chargeBoxId 'CP-1'",
    "other O": "O is 'Globex', not the charger's organisation 'Acme'",
    "RSA 1024": "an RSA key of 1024 bits",
    "P-192": "an EC key on secp192r1",
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_a_bad_csr_is_refused_with_its_reason_and_nothing_is_signed(server, charger, kind, ocpp2):
    csr = _csr(kind)
    with strict_charger(server.ws, "CP-1") as cp:
        assert cp.call("SignCertificate", {"csr": csr}) == {"status": "Rejected"}
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        answer = cp.call("SignCertificate", {"csr": csr})
        assert answer["status"] == "Rejected" and answer["statusInfo"]["reasonCode"] == "CSRRefused"
        assert REFUSALS[kind] in answer["statusInfo"]["additionalInfo"]
        with pytest.raises(queue.Empty):  # no CertificateSigned follows
            cp.next_call(timeout=1)
    assert not IssuedCertificate.objects.exists()


def test_an_rsa_2048_csr_is_accepted(server, server_worker, charger):
    with strict_charger(server.ws, "CP-1") as cp:
        csr = certificates.csr_pem("CP-1", key=certificates.charger_key("rsa2048"))
        assert cp.call("SignCertificate", {"csr": csr}) == {"status": "Accepted"}
        assert cp.next_call(timeout=15)["action"] == "CertificateSigned"


def test_a_v2g_csr_is_refused_without_an_external_ca(server, charger, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        answer = cp.call("SignCertificate", {"csr": certificates.csr_pem("CP-1"), "certificateType": "V2GCertificate"})
    assert answer["status"] == "Rejected" and "CSMS_CA_SIGNER" in answer["statusInfo"]["additionalInfo"]


@pytest.mark.parametrize(
    ("statuses", "final"),
    [(["Uploading", "Uploaded"], "Uploaded"), (["Uploading", "PermissionDenied"], "UploadFailed")],
)
def test_1_6_log_status_notifications_drive_the_log_job(server, charger, statuses, final):
    job, _ = diagnostics_job_create(charger=charger, location="ftp://logs.example.com/")
    with strict_charger(server.ws, "CP-1") as cp:
        for status in statuses:
            assert cp.call("LogStatusNotification", {"status": status, "requestId": 7}) == {}
    job = DiagnosticsJob.objects.get(pk=job.pk)
    assert job.status == final and job.finished_at is not None
    assert [h.status for h in job.history.order_by("id")] == statuses


def test_1_6_signed_firmware_statuses_drive_the_firmware_job_and_a_bad_signature_ends_it(server, charger):
    job = firmware_job_create(
        charger=charger, location="https://fw.example.com/7.bin", retrieve_date=timezone.now(), retries=None,
        retry_interval=None,
    )  # fmt: skip
    with strict_charger(server.ws, "CP-1") as cp:
        for status in ("Downloading", "Downloaded", "InvalidSignature"):
            assert cp.call("SignedFirmwareStatusNotification", {"status": status, "requestId": 3}) == {}
    job = FirmwareJob.objects.get(pk=job.pk)
    assert job.status == "InvalidSignature" and job.finished_at is not None


def test_2_0_1_ev_certificate_and_certificate_status_fail_with_a_reason_when_nothing_is_configured(
    server, charger, ocpp2
):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        ev = cp.call(
            "Get15118EVCertificate",
            {"iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "action": "Install", "exiRequest": "gAA="},
        )
        status = cp.call(
            "GetCertificateStatus",
            {"ocspRequestData": {"hashAlgorithm": "SHA256", "issuerNameHash": "ab" * 32, "issuerKeyHash": "cd" * 32,
                                 "serialNumber": "1f", "responderURL": "http://ocsp.example.com"}},
        )  # fmt: skip
        assert "currentTime" in cp.call("Heartbeat", {})
    assert ev["status"] == "Failed" and ev["statusInfo"]["reasonCode"] == "NotConfigured" and ev["exiResponse"] == ""
    reason = {
        "reasonCode": "NotConfigured",
        "additionalInfo": "no OCSP responder is configured (CSMS_OCSP_RESPONDER_URL)",
    }
    assert status == {"status": "Failed", "statusInfo": reason}


def test_the_charger_page_and_the_fleet_list_show_its_security_events(server, charger):
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    admin = Browser(server, "boss")
    with strict_charger(server.ws, "CP-1") as cp:
        cp.call("SecurityEventNotification", {"type": "TamperDetectionActivated", "timestamp": T0, "techInfo": "lid"})
        cp.call("SecurityEventNotification", {"type": "InvalidMessages", "timestamp": T0})
    page = admin.get(f"/admin/chargers/charger/{charger.pk}/change/").text
    section = page[page.index('id="security-events"') :][:3000]
    assert (
        "TamperDetectionActivated" in section
        and "<strong>critical</strong>" in section
        and "InvalidMessages" in section
    )
    fleet = admin.get("/admin/pki/securityevent/?critical__exact=1").text
    rows = re.findall(r'<td class="field-type">([^<]+)</td>', fleet)
    assert rows == ["TamperDetectionActivated"]
