"""An external PKI in a thread, as an operator's would answer the CSMS: an OCSP responder (RFC 6960, signed
by its CA) at /ocsp and a contract-certificate service at /ev. `mode` makes it slow or broken on purpose."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from tests import certificates


def _certificate(subject: str, key, issuer_name: x509.Name, issuer_key, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )  # fmt: skip


class Responder:
    def __init__(self):
        self.ca_key = certificates.charger_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "V2G Root")])
        self.ca = _certificate("V2G Root", self.ca_key, name, self.ca_key, ca=True)
        self.good = _certificate("EVSE-1", certificates.charger_key(), name, self.ca_key, ca=False)
        self.revoked = _certificate("EVSE-2", certificates.charger_key(), name, self.ca_key, ca=False)
        # or "slow" (answers after `release` is set or 30 s), "error" (HTTP 500), "other" (of another certificate)
        self.mode = "answer"
        self.release = threading.Event()
        self.received: list[dict] = []
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                responder.received.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                if responder.mode == "slow":
                    responder.release.wait(30)
                if responder.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                kind, answer = responder.ocsp(body) if self.path == "/ocsp" else responder.ev(body)
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_port}"

    @staticmethod
    def request_data(certificate: x509.Certificate, issuer: x509.Certificate) -> dict:
        """2.0.1's OCSPRequestDataType for `certificate`, as a charger holding it sends it."""
        request = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
        return {"hashAlgorithm": "SHA256", "issuerNameHash": request.issuer_name_hash.hex(),
                "issuerKeyHash": request.issuer_key_hash.hex(), "serialNumber": format(request.serial_number, "x"),
                "responderURL": "http://ocsp.elsewhere.example.com"}  # fmt: skip

    def ocsp(self, body: bytes) -> tuple[str, bytes]:
        request = ocsp.load_der_ocsp_request(body)
        known = {self.good.serial_number: self.good, self.revoked.serial_number: self.revoked}
        certificate = known.get(request.serial_number)
        if certificate is not None and self.mode == "other":
            certificate = self.revoked if certificate is self.good else self.good
        if certificate is None:
            answer = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        else:
            now = datetime.datetime.now(datetime.UTC)
            revoked = certificate is self.revoked
            answer = (
                ocsp.OCSPResponseBuilder()
                .add_response(
                    cert=certificate, issuer=self.ca, algorithm=hashes.SHA256(),
                    cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
                    this_update=now, next_update=now + datetime.timedelta(hours=1),
                    revocation_time=now if revoked else None, revocation_reason=None,
                )
                .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ca)
                .sign(self.ca_key, hashes.SHA256())
            )  # fmt: skip
        return "application/ocsp-response", answer.public_bytes(serialization.Encoding.DER)

    def ev(self, body: bytes) -> tuple[str, bytes]:
        asked = json.loads(body)
        return "application/json", json.dumps(
            {"status": "Accepted", "exiResponse": "EXI:" + asked["exiRequest"]}
        ).encode()

    def close(self) -> None:
        self.release.set()
        self.http.shutdown()
        self.http.server_close()
