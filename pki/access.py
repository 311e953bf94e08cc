"""Who may open a charger's socket: the charger's security profile, checked before its password.

Profiles 2 and 3 need TLS, which a proxy in front of the server terminates (deploy/nginx-ocpp-tls.conf).
The proxy says so in headers: `X-Forwarded-Proto: https` and, for a client certificate it verified
against our CA, the certificate's subject in CSMS_CLIENT_CERT_HEADER. Those headers are believed only
from the addresses in CSMS_TRUSTED_PROXIES: from anyone else they are ignored, whatever they say.
"""

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from pki.models import ChargerSecurity


@dataclass(frozen=True)
class Gate:
    refusal: str = ""
    # The client certificate proved who the charger is: no password is asked (profile 3).
    certificate_authenticated: bool = False
    # The connection meets the profile the charger is being moved to (pki/profiles.py): once it is admitted,
    # that is its profile.
    upgraded_to: int | None = None


def _header(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in headers:
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


def subject_common_name(subject: str) -> str | None:
    """The CN of an RFC 4514 subject as nginx's $ssl_client_s_dn gives it (`CN=CP-1,O=Acme`), or None."""
    try:
        found = x509.Name.from_rfc4514_string(subject).get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    return str(found[0].value) if found else None


def profiles_of(*, charge_box_id: str) -> tuple[int, int | None]:
    """The charger's profile, and the one it is being moved to while the upgrade's window is open."""
    found = ChargerSecurity.objects.filter(charger__charge_box_id=charge_box_id).values_list(
        "security_profile", "upgrade_to", "upgrade_deadline"
    )
    profile, upgrade_to, deadline = next(iter(found), (ChargerSecurity.Profile.BASIC, None, None))
    return profile, upgrade_to if deadline is not None and deadline >= timezone.now() else None


def _profile_refusal(profile: int, tls: bool, subject: str | None, charge_box_id: str) -> str | None:
    if profile >= ChargerSecurity.Profile.TLS_BASIC and not tls:
        return f"security profile {profile} needs TLS through a trusted proxy"
    if profile == ChargerSecurity.Profile.TLS_CLIENT_CERTIFICATE:
        if subject is None:
            return "security profile 3 needs a client certificate"
        common_name = subject_common_name(subject)
        if common_name != charge_box_id:
            return f"client certificate CN {common_name!r} is not the chargeBoxId"
    return None


def connection_gate(*, charge_box_id: str, remote_address: str, headers: list[tuple[bytes, bytes]]) -> Gate:
    """Whether the connection meets the charger's security profile (its password is checked after). During an
    upgrade, the new profile is tried first, then the old one, on which a charger falls back."""
    via_proxy = remote_address in settings.CSMS_TRUSTED_PROXIES
    tls = via_proxy and (_header(headers, "X-Forwarded-Proto") or "").lower() == "https"
    subject = _header(headers, settings.CSMS_CLIENT_CERT_HEADER) if tls else None
    profile, upgrade_to = profiles_of(charge_box_id=charge_box_id)
    if upgrade_to is not None and _profile_refusal(upgrade_to, tls, subject, charge_box_id) is None:
        return Gate(certificate_authenticated=upgrade_to == ChargerSecurity.Profile.TLS_CLIENT_CERTIFICATE,
                    upgraded_to=upgrade_to)  # fmt: skip
    refusal = _profile_refusal(profile, tls, subject, charge_box_id)
    if refusal:
        return Gate(refusal=refusal)
    return Gate(certificate_authenticated=profile == ChargerSecurity.Profile.TLS_CLIENT_CERTIFICATE)
