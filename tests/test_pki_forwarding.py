"""2.0.1 GetCertificateStatus and Get15118EVCertificate forwarded to an external OCSP responder and
contract-certificate service (a real HTTP server the test runs): answered from them, answered `Failed` with a
reason when they fail or are slow, and never holding up other chargers' frames meanwhile."""

import base64
import threading
import time

import pytest
from cryptography.x509 import ocsp

from chargers.services.registry import charger_register
from tests.conftest import start_server
from tests.ocpp_rpc import strict_charger
from tests.pki_responder import Responder

pytestmark = pytest.mark.node

TIMEOUT = 2.0
EV_REQUEST = {"iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "action": "Install", "exiRequest": "gAA="}


@pytest.fixture(scope="module")
def pki(django_db_setup, tmp_path_factory):
    responder = Responder()
    live = start_server(
        tmp_path_factory.mktemp("pki"), CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false",
        CSMS_OCSP_RESPONDER_URL=f"{responder.url}/ocsp", CSMS_EV_CERTIFICATE_URL=f"{responder.url}/ev",
        CSMS_EV_CERTIFICATE_AUTHORIZATION="Bearer pki-token", CSMS_PKI_FORWARD_TIMEOUT=str(TIMEOUT),
    )  # fmt: skip
    yield {"server": live, "responder": responder}
    live.stop()
    responder.close()


@pytest.fixture
def responder(pki):
    responder = pki["responder"]
    responder.mode, responder.received = "answer", []
    responder.release.clear()
    yield responder
    responder.release.set()


def failed(code: str, reason: str) -> dict:
    return {"status": "Failed", "statusInfo": {"reasonCode": code, "additionalInfo": reason}}


def status_of(cp, responder: Responder, certificate) -> dict:
    return cp.call("GetCertificateStatus", {"ocspRequestData": responder.request_data(certificate, responder.ca)})


def test_certificate_status_is_the_ocsp_responders_signed_answer(pki, responder, charger):
    with strict_charger(pki["server"].ws, "CP-1", protocol="ocpp2.0.1") as cp:
        good = status_of(cp, responder, responder.good)
        revoked = status_of(cp, responder, responder.revoked)
    assert good["status"] == revoked["status"] == "Accepted"
    answers = [ocsp.load_der_ocsp_response(base64.b64decode(a["ocspResult"])) for a in (good, revoked)]
    assert [a.certificate_status for a in answers] == [ocsp.OCSPCertStatus.GOOD, ocsp.OCSPCertStatus.REVOKED]
    assert answers[0].serial_number == responder.good.serial_number
    # The OCSP request named the charger's certificate; the charger's own responderURL was not followed.
    asked = ocsp.load_der_ocsp_request(responder.received[0]["body"])
    assert (asked.serial_number, responder.received[0]["path"]) == (responder.good.serial_number, "/ocsp")
    assert responder.received[0]["headers"]["Content-Type"] == "application/ocsp-request"


def test_a_2_1_certificate_chain_status_reads_the_responders_answer(pki, responder, charger):
    def entry(certificate, source="OCSP") -> dict:
        hashes = responder.request_data(certificate, responder.ca)
        del hashes["responderURL"]  # 2.1's CertificateHashDataType: the URLs come beside it
        return {"certificateHashData": hashes, "source": source, "urls": ["http://ocsp.example.com"]}

    requests = [entry(responder.good), entry(responder.revoked), entry(responder.good, source="CRL")]
    with strict_charger(pki["server"].ws, "CP-1", protocol="ocpp2.1") as cp:
        answer = cp.call("GetCertificateChainStatus", {"certificateStatusRequests": requests})
    assert [s["status"] for s in answer["certificateStatus"]] == ["Good", "Revoked", "Failed"]
    assert [s["certificateHashData"] for s in answer["certificateStatus"]] == [
        r["certificateHashData"] for r in requests
    ]
    assert len(responder.received) == 2  # a CRL source is not an OCSP question
    responder.mode = "other"  # an answer of another certificate says nothing of this one
    with strict_charger(pki["server"].ws, "CP-1", protocol="ocpp2.1") as cp:
        answer = cp.call("GetCertificateChainStatus", {"certificateStatusRequests": requests[:1]})
    assert [s["status"] for s in answer["certificateStatus"]] == ["Failed"]


def test_an_unsuccessful_ocsp_answer_or_a_failing_responder_is_failed_with_the_reason(pki, responder, charger):
    with strict_charger(pki["server"].ws, "CP-1", protocol="ocpp2.0.1") as cp:
        unknown = status_of(cp, responder, responder.ca)  # a serial the responder does not know
        responder.mode = "error"
        broken = status_of(cp, responder, responder.good)
    assert unknown == failed("InvalidResponse", "the responder answered UNAUTHORIZED")
    assert broken == failed("ServiceUnavailable", "the service answered HTTP 500")


def test_a_slow_responder_is_answered_failed_in_time_and_other_chargers_are_served_meanwhile(pki, responder, acme):
    charger_register(organisation=acme, charge_box_id="CP-1")
    charger_register(organisation=acme, charge_box_id="CP-2")
    responder.mode = "slow"
    answer = {}
    with (
        strict_charger(pki["server"].ws, "CP-1", protocol="ocpp2.0.1") as waiting,
        strict_charger(pki["server"].ws, "CP-2", protocol="ocpp2.0.1") as other,
    ):
        started = time.monotonic()
        asking = threading.Thread(target=lambda: answer.update(status_of(waiting, responder, responder.good)))
        asking.start()
        while not responder.received:
            time.sleep(0.02)
        # The server waits for the responder; another charger's frames (their database work) go on.
        heartbeat_started = time.monotonic()
        assert "currentTime" in other.call("Heartbeat", {})
        assert time.monotonic() - heartbeat_started < TIMEOUT / 2
        asking.join(10)
        took = time.monotonic() - started
    assert answer == failed("Timeout", f"the service did not answer within {TIMEOUT:g} s")
    assert TIMEOUT <= took < TIMEOUT + 2


def test_an_ev_certificate_request_is_answered_from_the_contract_certificate_service(pki, responder, charger):
    with strict_charger(pki["server"].ws, "CP-1", protocol="ocpp2.0.1") as cp:
        answer = cp.call("Get15118EVCertificate", EV_REQUEST)
        responder.mode = "error"
        refused = cp.call("Get15118EVCertificate", EV_REQUEST)
    assert answer == {"status": "Accepted", "exiResponse": "EXI:gAA="}
    sent = responder.received[0]
    assert sent["path"] == "/ev" and sent["headers"]["Authorization"] == "Bearer pki-token"
    assert sent["body"] == (b'{"chargeBoxId": "CP-1", "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", '
                            b'"action": "Install", "exiRequest": "gAA="}')  # fmt: skip
    assert refused == failed("ServiceUnavailable", "the service answered HTTP 500") | {"exiResponse": ""}
