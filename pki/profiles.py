"""Moving a charger to a higher security profile, as the 1.6 Security Whitepaper and 2.0.1 (A05) describe.

The charger is told its new profile (1.6: ChangeConfiguration SecurityProfile; 2.0.1: SetNetworkProfile into a
free slot, that slot first in NetworkConfigurationPriority, and a reset), and reconnects on it. Until
CSMS_PROFILE_UPGRADE_WINDOW has passed it may connect on the old profile or the new one: its first connection
on the new one makes that its profile (`upgrade_confirm`); a charger that could not make it falls back to the
old one, as the specifications ask, and when the window ends without it the CSMS keeps the old one too
(`upgrades_fall_back`). A profile is never lowered this way (the charger would refuse it): PUT the profile.
2.0.1's reset is OnIdle, after any session in progress: the window must cover that wait.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from chargers.models import Charger
from commands import services as commands
from commands.bus import CommandFailed, CommandInvalid, Requester
from commands.protocols import version_of
from pki.models import ChargerSecurity, IssuedCertificate

log = logging.getLogger(__name__)

PRIORITY = "OCPPCommCtrlr.NetworkConfigurationPriority"
# 2.0.1's messageTimeout of the new connection: seconds the station waits for our answers.
MESSAGE_TIMEOUT = 30


def _client_certificate(charger: Charger) -> IssuedCertificate | None:
    return (
        IssuedCertificate.objects.filter(
            charger=charger,
            certificate_type="ChargingStationCertificate",
            delivery=IssuedCertificate.Delivery.ACCEPTED,
            not_after__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def _given_url(charger: Charger) -> bool:
    """Whether the upgrade tells the charger where to connect (2.0.1 and 2.1: SetNetworkProfile's ocppCsmsUrl)."""
    translation = version_of(charger.ocpp_protocol).commands.get("security_profile_upgrade")
    return translation is not None and translation.action == "SetNetworkProfile"


def upgrade_refusal(*, charger: Charger, profile: int, current: int) -> str | None:
    """Why the charger cannot be moved to `profile` now (a 400 naming securityProfile), or None."""
    if profile <= current:
        return f"securityProfile: {profile} is not higher than the charger's profile {current} (PUT lowers it)"
    url = settings.CSMS_PUBLIC_WS_URL
    if profile >= ChargerSecurity.Profile.TLS_BASIC and _given_url(charger) and not url.startswith("wss://"):
        return (
            f"securityProfile: profile {profile} needs TLS, but the charger would be sent CSMS_PUBLIC_WS_URL "
            f"{url}: set it to this CSMS's wss:// address first"
        )
    if profile == ChargerSecurity.Profile.TLS_CLIENT_CERTIFICATE and _client_certificate(charger) is None:
        return (
            "securityProfile: profile 3 needs a client certificate the charger accepted and that has not expired: "
            "have it send SignCertificate first (certificates/renew)"
        )
    return None


def security_profile_upgrade(*, charger: Charger, profile: int, requester: Requester) -> dict:
    """Tell the charger its new profile and open the window in which it reconnects on it. The reply of the
    command that told it (2.0.1: of SetNetworkProfile), with the upgrade's state."""
    security, _ = ChargerSecurity.objects.get_or_create(charger=charger)
    refusal = upgrade_refusal(charger=charger, profile=profile, current=security.security_profile)
    if refusal:
        raise CommandInvalid(refusal)
    # Open before the command goes out: the charger may reconnect as soon as it has answered.
    window = timedelta(seconds=settings.CSMS_PROFILE_UPGRADE_WINDOW)
    security.upgrade_to, security.upgrade_deadline = profile, timezone.now() + window
    security.upgrade_result = ""
    security.save(update_fields=["upgrade_to", "upgrade_deadline", "upgrade_result"])
    try:
        answer = _upgrade_send(charger=charger, profile=profile, requester=requester)
    except CommandFailed as failure:
        _upgrade_end(security, f"not sent: {failure}")
        raise
    if answer.get("status") != "Accepted":
        _upgrade_end(security, f"refused by the charger: {answer.get('status')}")
    return {**answer, **upgrade_state(charger=charger)}


def _upgrade_send(*, charger: Charger, profile: int, requester: Requester) -> dict:
    """The version's way: one ChangeConfiguration (1.6); a network profile, its priority and a reset (2.0.1)."""
    translation = version_of(charger.ocpp_protocol).commands.get("security_profile_upgrade")
    if translation is None:
        raise CommandInvalid(f"the OCPP version of {charger.charge_box_id} has no security profiles")
    if translation.action != "SetNetworkProfile":
        return commands.command_run(
            charger=charger, command="security_profile_upgrade", params={"securityProfile": profile},
            requester=requester,
        )  # fmt: skip
    slots = _priority(charger, requester)
    slot = max(slots, default=0) + 1
    answer = commands.command_run(
        charger=charger, command="security_profile_upgrade", requester=requester,
        params={"securityProfile": profile, "configurationSlot": slot, "csmsUrl": settings.CSMS_PUBLIC_WS_URL,
                "messageTimeout": MESSAGE_TIMEOUT},
    )  # fmt: skip
    if answer.get("status") != "Accepted":
        return answer
    priority = ",".join(str(s) for s in [slot, *slots])
    first = commands.command_run(
        charger=charger, command="configuration_change", params={"key": PRIORITY, "value": priority},
        requester=requester,
    )  # fmt: skip
    if first.get("status") not in ("Accepted", "RebootRequired"):
        return first
    commands.command_run(charger=charger, command="reset", params={"type": "Soft"}, requester=requester)
    return answer


def _priority(charger: Charger, requester: Requester) -> list[int]:
    """The station's configuration slots, in its order of trying them."""
    read = commands.command_run(
        charger=charger, command="configuration_get", params={"key": [PRIORITY]}, requester=requester
    )
    value = next((row.get("value") or "" for row in read.get("configurationKey") or [] if row["key"] == PRIORITY), "")
    return [int(slot) for slot in value.replace(" ", "").split(",") if slot.isdigit()]


def _upgrade_end(security: ChargerSecurity, result: str) -> None:
    log.info("security profile upgrade of charger %s to %s: %s", security.charger_id, security.upgrade_to, result)
    ChargerSecurity.objects.filter(pk=security.pk, upgrade_to=security.upgrade_to).update(
        upgrade_to=None, upgrade_deadline=None, upgrade_result=result[:255]
    )


def upgrade_state(*, charger: Charger) -> dict:
    security = ChargerSecurity.objects.filter(charger=charger).first() or ChargerSecurity(charger=charger)
    return {
        "securityProfile": security.security_profile,
        "upgradeTo": security.upgrade_to,
        "upgradeDeadline": security.upgrade_deadline,
        "upgradeResult": security.upgrade_result,
    }


def upgrade_confirm(*, charge_box_id: str, profile: int) -> None:
    """The charger connected on the profile it is being moved to: it is its profile from now on."""
    now = timezone.now()
    ChargerSecurity.objects.filter(
        charger__charge_box_id=charge_box_id, upgrade_to=profile, upgrade_deadline__gte=now
    ).update(
        security_profile=profile, upgrade_to=None, upgrade_deadline=None,
        upgrade_result=f"upgraded to profile {profile} at {now:%Y-%m-%d %H:%M:%S} UTC",
    )  # fmt: skip


def upgrades_fall_back(*, now=None) -> int:
    """Upgrades whose window ended without a connection on the new profile: the charger keeps its old one."""
    now = now or timezone.now()
    count = 0
    for security in ChargerSecurity.objects.filter(upgrade_to__isnull=False, upgrade_deadline__lt=now):
        log.warning("charger %s did not connect on security profile %s in time: it stays on profile %s",
                    security.charger_id, security.upgrade_to, security.security_profile)  # fmt: skip
        _upgrade_end(
            security,
            f"fell back to profile {security.security_profile}: no connection on profile {security.upgrade_to} "
            f"by {security.upgrade_deadline:%Y-%m-%d %H:%M:%S} UTC",
        )
        count += 1
    return count
