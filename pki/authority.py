"""The product's own charging-station certificate authority, on disk, created on first use.

`CSMS_CA_DIR` holds `ca.key` (PEM, mode 0600) and `ca.pem`. Several server processes may meet
the first CSR at once: the CA is written to a directory of its own and renamed into place, so
exactly one CA wins and the others load it. Operators whose PKI lives elsewhere name a signing
function in `CSMS_CA_SIGNER` instead (see `chain_sign`).
"""

import datetime
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils.module_loading import import_string

KEY_FILE = "ca.key"
CERTIFICATE_FILE = "ca.pem"
CA_VALIDITY = datetime.timedelta(days=3650)
# A certificate is valid from a little before it is signed: a charger's clock may lag.
CLOCK_SKEW = datetime.timedelta(minutes=5)
KEY_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
              "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")  # fmt: skip


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


def ca_directory() -> Path:
    return Path(settings.CSMS_CA_DIR)


def ca_exists() -> bool:
    return (ca_directory() / KEY_FILE).is_file() and (ca_directory() / CERTIFICATE_FILE).is_file()


def ca_load() -> Authority:
    """The CA, created first if there is none yet."""
    if not ca_exists():
        ca_create()
    directory = ca_directory()
    key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((directory / CERTIFICATE_FILE).read_bytes())
    return Authority(key=key, certificate=certificate)


def ca_create() -> bool:
    """Create the CA unless one exists; whether this call created it."""
    directory = ca_directory()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ca-", dir=directory.parent))
    try:
        key = ec.generate_private_key(ec.SECP256R1())
        key_path = staging / KEY_FILE
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        (staging / CERTIFICATE_FILE).write_bytes(ca_certificate_make(key).public_bytes(serialization.Encoding.PEM))
        os.chmod(staging, 0o700)
        try:
            os.rename(staging, directory)  # atomic; fails when another process's CA (or any file) is there
        except OSError:
            return False
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def certificate_builder(
    *, subject: x509.Name, issuer: x509.Name, public_key, validity: datetime.timedelta
) -> x509.CertificateBuilder:
    """A certificate for `public_key` with a fresh serial, valid from a little before now for `validity`."""
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + validity)
    )


def key_usage(*allowed: str) -> x509.KeyUsage:
    """A KeyUsage extension allowing only the uses named (KeyUsage's argument names)."""
    return x509.KeyUsage(**{use: use in allowed for use in KEY_USAGES})


def ca_certificate_make(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, settings.CSMS_CA_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CSMS"),
        ]
    )
    public = key.public_key()
    return (
        certificate_builder(subject=name, issuer=name, public_key=public, validity=CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage("digital_signature", "key_cert_sign", "crl_sign"), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def certificate_sign(*, csr: x509.CertificateSigningRequest, authority: Authority) -> x509.Certificate:
    """A client certificate for the CSR's subject and key, valid CSMS_CERTIFICATE_VALIDITY_DAYS."""
    return (
        certificate_builder(
            subject=csr.subject,
            issuer=authority.certificate.subject,
            public_key=csr.public_key(),
            validity=datetime.timedelta(days=settings.CSMS_CERTIFICATE_VALIDITY_DAYS),
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage("digital_signature", "key_encipherment", "key_agreement"), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False)
        .sign(authority.key, hashes.SHA256())
    )


def chain_sign(*, csr_pem: str, charge_box_id: str, certificate_type: str) -> str:
    """The PEM chain for a checked CSR: from CSMS_CA_SIGNER when set, else from our own CA."""
    if settings.CSMS_CA_SIGNER:
        signer = import_string(settings.CSMS_CA_SIGNER)
        return signer(csr_pem, charge_box_id=charge_box_id, certificate_type=certificate_type)
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    return certificate_sign(csr=csr, authority=ca_load()).public_bytes(serialization.Encoding.PEM).decode()
