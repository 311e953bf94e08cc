"""A charger's side of the PKI: its key and certificate signing request, made as a charger makes them."""

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def charger_key(kind: str = "ec") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    kinds = {
        "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ec192": lambda: ec.generate_private_key(ec.SECP192R1()),
        "rsa2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa1024": lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
    }
    return kinds[kind]()


def csr_pem(common_name: str, organisation: str = "Acme", key=None) -> str:
    key = key or charger_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def csr_pem_badly_signed(common_name: str, organisation: str = "Acme") -> str:
    """A CSR whose signature is not its key's: the last byte of the signature flipped."""
    der = bytearray(
        x509.load_pem_x509_csr(csr_pem(common_name, organisation).encode()).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 0x01
    return x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def server_certificate(directory) -> dict:
    """A test CA and a server certificate for 127.0.0.1 signed by it, written to `directory`: their paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = charger_key(), charger_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test server CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    server = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = {"ca": directory / "server-ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    paths["ca"].write_text(certificate_pem(ca))
    paths["cert"].write_text(certificate_pem(server))
    paths["key"].write_bytes(key_pem(key))
    return paths
