"""What a simulated charger does for the OCPP security profiles (1.6 Security Whitepaper, 2.0.1), whatever its
version: its key and certificate signing request, the client certificate the CSMS signs (CertificateSigned), the
root certificates it keeps (Install/Delete/GetInstalledCertificateIds), the profile it connects on (`wss://` and
a client certificate on profile 3) with a fall back to the one before when the new one fails, security events,
and its password as the CSMS rotates it. This mixin holds the state, in `credentials`, and answers the certificate
commands whose fields are the same in both versions; each version's module (`v16_security`, `v201_security`) says
the rest in its own messages.
"""

import asyncio
import functools
import logging
import os
import ssl
import tempfile
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from simulator.charger import answers
from simulator.clock import iso, now
from simulator.connection import ConnectionRefused

log = logging.getLogger("simulator")


@dataclass(frozen=True)
class Route:
    """One way to the CSMS: a security profile and the URL it is reached at on it."""

    profile: int
    url: str


@dataclass
class Credentials:
    profile: int = 1
    # Where the charger reaches the CSMS on profiles 2 and 3 (the TLS proxy); 2.0.1 may name it in a slot.
    secure_url: str | None = None
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    chain: str | None = None  # PEM of its client certificate and sub-CAs (CertificateSigned)
    installed: dict[str, list[x509.Certificate]] = field(default_factory=dict)  # root certificates by kind
    # The routes to try, in order, at the next connection; the first that connects becomes the charger's.
    routes: list[Route] = field(default_factory=list)


def hash_data(certificate: x509.Certificate) -> dict:
    """The whitepaper's and 2.0.1's CertificateHashDataType of a root certificate (its own issuer)."""
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, hashes.SHA256()).build()
    return {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": request.issuer_name_hash.hex(),
        "issuer_key_hash": request.issuer_key_hash.hex(),
        "serial_number": format(certificate.serial_number, "x"),
    }


def _same_hash(wanted: dict, certificate: x509.Certificate) -> bool:
    have = hash_data(certificate)
    return all(str(wanted.get(k, "")).lower().lstrip("0") == have[k].lstrip("0") for k in have if k != "hash_algorithm")


class Security:
    """The security state and the pieces both versions' handlers use."""

    @functools.cached_property
    def credentials(self) -> Credentials:
        return Credentials()

    def security_configure(
        self, *, profile: int = 1, secure_url: str | None = None, organisation: str | None = None,
        server_ca: str | None = None,
    ) -> None:  # fmt: skip
        """How an operator sets the charger up: its profile, the TLS proxy's URL, its organisation (the O of its
        CSR) and the CA that signed the proxy's server certificate (PEM), the root it trusts for the CSMS."""
        credentials = self.credentials
        credentials.profile, credentials.secure_url = profile, secure_url
        if organisation:
            self.organisation = organisation
        if server_ca:
            credentials.installed[self.CSMS_ROOT] = x509.load_pem_x509_certificates(server_ca.encode())
        self.profile_changed(profile)

    # What each version names its own way: the root's type, and the settings that show the profile and hold the
    # organisation's name (1.6's SecurityProfile and CpoName).

    CSMS_ROOT = "CSMSRootCertificate"
    INVALID_CSMS_CERTIFICATE = "InvalidCsmsCertificate"
    PROFILE_SETTING = "SecurityCtrlr.SecurityProfile"
    ORGANISATION_SETTING = "SecurityCtrlr.OrganizationName"

    def security_setting(self, name: str):
        """The version's setting of that name (a 1.6 configuration key, a 2.0.1 device model variable)."""
        raise NotImplementedError

    def profile_changed(self, profile: int) -> None:
        self.security_setting(self.PROFILE_SETTING).value = str(profile)

    @property
    def organisation(self) -> str:
        return self.security_setting(self.ORGANISATION_SETTING).value

    @organisation.setter
    def organisation(self, name: str) -> None:
        self.security_setting(self.ORGANISATION_SETTING).value = name

    # The connection (overrides of charger.Charger's).

    def connection_url(self) -> str:
        return self._route().url

    def _route(self) -> Route:
        credentials = self.credentials
        if credentials.profile >= 2:
            if not credentials.secure_url:
                raise ConnectionRefused(f"security profile {credentials.profile} needs the TLS proxy's wss:// URL")
            return Route(credentials.profile, credentials.secure_url)
        return Route(credentials.profile, self.url)

    def tls_context(self, url: str) -> ssl.SSLContext | None:
        if not url.startswith("wss://"):
            return None
        roots = self.credentials.installed.get(self.CSMS_ROOT) or []
        pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in roots)
        context = ssl.create_default_context(cadata=pem) if pem else ssl.create_default_context()
        if self.credentials.profile == 3:
            if not self.credentials.chain:
                raise ConnectionRefused("security profile 3 needs a client certificate: none was signed yet")
            self._load_client_certificate(context)
        return context

    def _load_client_certificate(self, context: ssl.SSLContext) -> None:
        key = self.credentials.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # ssl reads a certificate and key only from files: written for the moment, readable by us alone.
        with tempfile.TemporaryDirectory() as directory:
            chain, private = os.path.join(directory, "chain.pem"), os.path.join(directory, "key.pem")
            with open(os.open(private, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as file:
                file.write(key)
            with open(chain, "w") as file:
                file.write(self.credentials.chain)
            context.load_cert_chain(chain, private)

    async def connect(self) -> None:
        """Each route in turn (a new profile first, then the one before it); the first that connects stays."""
        credentials = self.credentials
        routes, credentials.routes = credentials.routes or [self._route()], []
        failed = ""
        for route in routes:
            credentials.profile = route.profile
            if route.profile >= 2:
                credentials.secure_url = route.url
            try:
                await super().connect()
            except ConnectionRefused as refused:
                if route is routes[-1]:
                    raise
                failed = f"security profile {route.profile}: {refused}"
                self.log.warning("could not connect on %s; falling back", failed)
                continue
            self.profile_changed(route.profile)
            if failed:
                self._spawn(self.security_event(self.INVALID_CSMS_CERTIFICATE, failed[:255]))
            return

    async def reconnect(self, reason: str) -> None:
        """Drop the connection and open it again on the routes set (a new security profile), sessions kept."""
        self._rebooting = True
        try:
            self.log.info("reconnecting (%s)", reason)
            await self._connection.socket.close()
            await asyncio.gather(self._reader, return_exceptions=True)
            await self.connect()
        finally:
            self._rebooting = False

    def profile_upgrade_refusal(self, profile: int, url: str | None = None) -> str | None:
        """Why the charger cannot move to `profile` (a lower one, no TLS URL, no client certificate), or None."""
        credentials = self.credentials
        if profile < credentials.profile:
            return f"security profile {profile} is lower than {credentials.profile}"
        if profile >= 2 and not (url or credentials.secure_url):
            return "no wss:// URL for the TLS proxy (--tls-url)"
        if profile == 3 and not credentials.chain:
            return "no client certificate yet (SignCertificate first)"
        return None

    def profile_upgrade(self, profile: int, url: str | None = None) -> None:
        """The next connection tries the new profile, then falls back to the present one."""
        self.credentials.routes = [Route(profile, url or self.credentials.secure_url or self.url), self._route()]

    # Certificates.

    def csr_pem(self) -> str:
        names = [x509.NameAttribute(NameOID.COMMON_NAME, self.id)]
        if self.organisation:
            names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation))
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name(names))
            .sign(self.credentials.key, hashes.SHA256())
        )
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    def certificate_signed_status(self, chain: str) -> str:
        """Accepted, and kept as its client certificate, when the chain's first certificate is for its key."""
        try:
            leaf = x509.load_pem_x509_certificates(chain.encode())[0]
        except (ValueError, IndexError):
            return "Rejected"
        mine = self.credentials.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        theirs = leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if mine != theirs:
            return "Rejected"
        self.credentials.chain = chain
        self.log.info("client certificate installed: %s, until %s", leaf.subject.rfc4514_string(),
                      leaf.not_valid_after_utc)  # fmt: skip
        return "Accepted"

    def certificate_install(self, kind: str, pem: str) -> str:
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            return "Rejected"
        kept = self.credentials.installed.setdefault(kind, [])
        if sum(len(c) for c in self.credentials.installed.values()) >= self.CERTIFICATE_STORE_MAX:
            return "Failed"
        kept.append(certificate)
        return "Accepted"

    CERTIFICATE_STORE_MAX = 10

    def certificates_of(self, kinds: list[str] | None) -> list[tuple[str, dict]]:
        return [
            (kind, hash_data(certificate))
            for kind, certificates in self.credentials.installed.items()
            if not kinds or kind in kinds
            for certificate in certificates
        ]

    def certificate_delete(self, wanted: dict) -> str:
        for certificates in self.credentials.installed.values():
            for certificate in certificates:
                if _same_hash(wanted, certificate):
                    certificates.remove(certificate)
                    return "Accepted"
        return "NotFound"

    # The certificate commands both versions answer alike (the whitepaper took them from 2.0.1).

    @answers("CertificateSigned")
    def on_certificate_signed(self, certificate_chain: str, **_):
        return self._call_result.CertificateSigned(status=self.certificate_signed_status(certificate_chain))

    @answers("InstallCertificate")
    def on_install_certificate(self, certificate_type: str, certificate: str, **_):
        return self._call_result.InstallCertificate(status=self.certificate_install(certificate_type, certificate))

    @answers("DeleteCertificate")
    def on_delete_certificate(self, certificate_hash_data: dict, **_):
        return self._call_result.DeleteCertificate(status=self.certificate_delete(certificate_hash_data))

    # Events and the password.

    async def security_event(self, type: str, tech_info: str = "") -> None:
        await self.call(
            self._call.SecurityEventNotification(type=type, timestamp=iso(now()), tech_info=tech_info or None),
            suppress=False,
        )
        self.log.info("security event %s", type)

    def password_changed(self, password: str) -> None:
        """The CSMS gave a new password: the next connection gives it."""
        self.password = password
        self.log.info("new password from the CSMS")
        self._spawn(self.security_event("ReconfigurationOfSecurityParameters", "password"))
