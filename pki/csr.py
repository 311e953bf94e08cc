"""The checks a charger's certificate signing request must pass before anything signs it."""

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

MIN_RSA_BITS = 2048
# At least P-256: the curves of that strength or more.
EC_CURVES = {"secp256r1", "secp384r1", "secp521r1", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"}


def _name(csr: x509.CertificateSigningRequest, oid) -> str | None:
    found = csr.subject.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def _key_too_weak(csr: x509.CertificateSigningRequest) -> str | None:
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return None if key.key_size >= MIN_RSA_BITS else f"an RSA key of {key.key_size} bits (at least 2048)"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return None if key.curve.name in EC_CURVES else f"an EC key on {key.curve.name} (at least P-256)"
    return f"a {type(key).__name__} (RSA 2048 or EC P-256 and up are accepted)"


def csr_refusal(*, csr_pem: str, charge_box_id: str, organisation: str) -> str | None:
    """Why the CSR cannot be signed for this charger, or None."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError:
        return "the CSR is not a PEM-encoded PKCS#10 request"
    if not csr.is_signature_valid:
        return "the CSR is not signed by its own key"
    common_name = _name(csr, NameOID.COMMON_NAME)
    if common_name != charge_box_id:
        return f"the CSR's CN is {common_name!r}, not the chargeBoxId {charge_box_id!r}"
    organisation_name = _name(csr, NameOID.ORGANIZATION_NAME)
    if organisation_name != organisation:
        return f"the CSR's O is {organisation_name!r}, not the charger's organisation {organisation!r}"
    weak = _key_too_weak(csr)
    return f"the CSR has {weak}" if weak else None
