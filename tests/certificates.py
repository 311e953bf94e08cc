"""A charger's side of the PKI: its key and certificate signing request, made as a charger makes them."""

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


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
