"""2.0.1 Get15118EVCertificate and GetCertificateStatus (and 2.1 GetCertificateChainStatus), forwarded to
the operator's external services.

A charger waits for its answer, so the forwarding must end within CSMS_PKI_FORWARD_TIMEOUT: past it the
answer is `Failed`, whatever the service does later. The HTTP request runs on a thread of its own, off the
event loop and off the frame workers, so a slow service delays only the charger that asked.

- GetCertificateStatus: an OCSP request (RFC 6960, built by `cryptography`) for the certificate the
  charger names by its hashes, POSTed to CSMS_OCSP_RESPONDER_URL; the DER answer goes back base64.
  The charger's own responderURL is not followed: a charger does not choose what the CSMS connects to.
- Get15118EVCertificate: the charger's EXI request POSTed as JSON to CSMS_EV_CERTIFICATE_URL, whose JSON
  answer carries the EXI response (README, "Security profiles, certificates and TLS").
"""

import asyncio
import base64
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.conf import settings

log = logging.getLogger(__name__)

# statusInfo.reasonCode is at most 20 characters.
NOT_CONFIGURED = "NotConfigured"
UNAVAILABLE = "ServiceUnavailable"
TIMEOUT = "Timeout"
INVALID = "InvalidResponse"
BAD_REQUEST = "InvalidRequest"
# The schemas' limits of what goes back to the charger.
OCSP_RESULT_MAX = 5500
EXI_RESPONSE_MAX = 5600
# The most read of a service's answer: far more than either limit, base64 included.
ANSWER_MAX_BYTES = 64 * 1024
HASH_ALGORITHMS = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


@dataclass(frozen=True)
class Forwarded:
    """What the external service answered for a charger, or why there is no answer (`code`, `reason`)."""

    accepted: bool
    code: str = ""
    reason: str = ""
    data: str = ""


class ServiceFailed(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(ANSWER_MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise ServiceFailed(UNAVAILABLE, f"the service answered HTTP {error.code}")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ServiceFailed(UNAVAILABLE, f"the service could not be reached: {reason}")


async def _forward(what: str, url: str, body: bytes, headers: dict[str, str], read) -> Forwarded:
    """POST `body` to `url` and `read` the answer into the charger's data, all within the timeout."""
    timeout = settings.CSMS_PKI_FORWARD_TIMEOUT
    try:
        async with asyncio.timeout(timeout):
            answer = await asyncio.to_thread(_post, url, body, headers, timeout)
        if len(answer) > ANSWER_MAX_BYTES:
            raise ServiceFailed(INVALID, f"the service's answer is longer than {ANSWER_MAX_BYTES} bytes")
        return Forwarded(True, data=read(answer))
    except TimeoutError:
        failed = ServiceFailed(TIMEOUT, f"the service did not answer within {timeout:g} s")
    except ServiceFailed as error:
        failed = error
    log.info("%s not answered: %s", what, failed)
    return Forwarded(False, failed.code, str(failed))


def ocsp_request_der(ocsp_request: dict) -> bytes:
    """The OCSP request for the certificate 2.0.1's OCSPRequestDataType names (hex hashes and serial)."""
    try:
        algorithm = HASH_ALGORITHMS[ocsp_request["hashAlgorithm"]]()
        builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            bytes.fromhex(ocsp_request["issuerNameHash"]),
            bytes.fromhex(ocsp_request["issuerKeyHash"]),
            int(ocsp_request["serialNumber"], 16),
            algorithm,
        )
    except (KeyError, ValueError) as error:
        raise ServiceFailed(BAD_REQUEST, f"the certificate cannot be named in an OCSP request: {error}")
    return builder.build().public_bytes(serialization.Encoding.DER)


def _ocsp_result(answer: bytes) -> str:
    try:
        response = ocsp.load_der_ocsp_response(answer)
    except ValueError:
        raise ServiceFailed(INVALID, "the responder's answer is not an OCSP response")
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise ServiceFailed(INVALID, f"the responder answered {response.response_status.name}")
    result = base64.b64encode(answer).decode()
    if len(result) > OCSP_RESULT_MAX:
        raise ServiceFailed(INVALID, f"the OCSP response is longer than {OCSP_RESULT_MAX} characters in base64")
    return result


async def certificate_status_forward(*, charge_box_id: str, ocsp_request: dict) -> Forwarded:
    """A GetCertificateStatus: the OCSP responder's answer (base64 DER), or why there is none."""
    url = settings.CSMS_OCSP_RESPONDER_URL
    if not url:
        return Forwarded(False, NOT_CONFIGURED, "no OCSP responder is configured (CSMS_OCSP_RESPONDER_URL)")
    try:
        body = ocsp_request_der(ocsp_request)
    except ServiceFailed as error:
        return Forwarded(False, error.code, str(error))
    headers = {"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"}
    return await _forward(f"GetCertificateStatus of {charge_box_id}", url, body, headers, _ocsp_result)


OCSP_STATUSES = {
    ocsp.OCSPCertStatus.GOOD: "Good",
    ocsp.OCSPCertStatus.REVOKED: "Revoked",
    ocsp.OCSPCertStatus.UNKNOWN: "Unknown",
}


async def certificate_status_read(*, charge_box_id: str, ocsp_request: dict) -> tuple[str, datetime | None]:
    """A 2.1 GetCertificateChainStatus entry: what the operator's OCSP responder says of the certificate the
    charger names (Good, Revoked, Unknown) and until when; Failed where it does not answer of that certificate."""
    answer = await certificate_status_forward(charge_box_id=charge_box_id, ocsp_request=ocsp_request)
    if not answer.accepted:
        return "Failed", None
    asked = ocsp.load_der_ocsp_request(ocsp_request_der(ocsp_request))
    for single in ocsp.load_der_ocsp_response(base64.b64decode(answer.data)).responses:
        if (single.serial_number, single.issuer_name_hash, single.issuer_key_hash) == (
            asked.serial_number,
            asked.issuer_name_hash,
            asked.issuer_key_hash,
        ) and isinstance(single.hash_algorithm, type(asked.hash_algorithm)):
            return OCSP_STATUSES[single.certificate_status], single.next_update_utc
    log.warning("The OCSP responder's answer for %s names another certificate than asked", charge_box_id)
    return "Failed", None


def _exi_response(answer: bytes) -> str:
    try:
        found = json.loads(answer)
    except ValueError:
        raise ServiceFailed(INVALID, "the service's answer is not JSON")
    if not isinstance(found, dict):
        raise ServiceFailed(INVALID, "the service's answer is not a JSON object")
    if found.get("status", "Accepted") != "Accepted":
        raise ServiceFailed(UNAVAILABLE, f"the service answered {str(found['status'])[:40]}")
    exi = found.get("exiResponse")
    if not isinstance(exi, str) or not exi or len(exi) > EXI_RESPONSE_MAX:
        raise ServiceFailed(INVALID, f"the service's answer has no exiResponse of 1 to {EXI_RESPONSE_MAX} characters")
    return exi


async def ev_certificate_forward(
    *, charge_box_id: str, schema_version: str, action: str, exi_request: str
) -> Forwarded:
    """A Get15118EVCertificate: the contract-certificate service's EXI response, or why there is none."""
    url = settings.CSMS_EV_CERTIFICATE_URL
    if not url:
        return Forwarded(
            False, NOT_CONFIGURED, "no contract certificate service is configured (CSMS_EV_CERTIFICATE_URL)"
        )
    body = json.dumps(
        {"chargeBoxId": charge_box_id, "iso15118SchemaVersion": schema_version, "action": action,
         "exiRequest": exi_request}
    ).encode()  # fmt: skip
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.CSMS_EV_CERTIFICATE_AUTHORIZATION:
        headers["Authorization"] = settings.CSMS_EV_CERTIFICATE_AUTHORIZATION
    return await _forward(f"Get15118EVCertificate of {charge_box_id}", url, body, headers, _exi_response)
