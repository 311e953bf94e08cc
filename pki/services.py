"""Chargers' security as their messages report it: events, certificate signing requests, EV certificates.

The OCPP adapters (ocpp_ws) call these in a charger's frame; what needs the command bus
(CertificateSigned, renewal triggers) is in certificates.py and runs in tasks, after the frame's commit.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from chargers import events
from chargers.models import Charger
from csms.celery import enqueue
from pki.csr import csr_refusal
from pki.models import ChargerSecurity, SecurityEvent

log = logging.getLogger(__name__)

# The events the OCPP 1.6 Security Whitepaper and OCPP 2.0.1 (appendix 1) call critical: a charger
# pushes them at once, and the product tells the operator (webhook, console, admin list).
CRITICAL_EVENTS = frozenset(
    {
        "FirmwareUpdated",
        "SettingSystemTime",
        "StartupOfTheDevice",
        "ResetOrReboot",
        "SecurityLogWasCleared",
        "MemoryExhaustion",
        "TamperDetectionActivated",
        "MaintenanceLoginAccepted",
        "MaintenanceLoginFailed",
    }
)
# Certificates our CA signs; other kinds (a V2G certificate) only an external CA (CSMS_CA_SIGNER) signs.
OWN_CA_TYPES = ("ChargingStationCertificate",)


def security_event_record(*, charger_id: int, type: str, timestamp: datetime, tech_info: str = "") -> SecurityEvent:
    """Keep the event; a critical one also goes to the organisation's webhooks as `charger.security_event`."""
    event = SecurityEvent.objects.create(
        charger_id=charger_id, type=type, timestamp=timestamp, tech_info=tech_info[:255],
        critical=type in CRITICAL_EVENTS,
    )  # fmt: skip
    if event.critical:
        events.security_event_raised(
            charger_id=charger_id, type=type, timestamp=timestamp.isoformat(), tech_info=tech_info
        )
    return event


@dataclass(frozen=True)
class SigningDecision:
    accepted: bool
    reason: str = ""


def certificate_signing_request(*, charger_id: int, csr_pem: str, certificate_type: str) -> SigningDecision:
    """A charger's SignCertificate: check the CSR now; sign and send CertificateSigned after the answer."""
    charge_box_id, organisation = Charger.objects.values_list("charge_box_id", "organisation__name").get(pk=charger_id)
    if certificate_type not in OWN_CA_TYPES and not settings.CSMS_CA_SIGNER:
        return SigningDecision(False, f"no CA is configured for {certificate_type} (CSMS_CA_SIGNER)")
    refusal = csr_refusal(csr_pem=csr_pem, charge_box_id=charge_box_id, organisation=organisation)
    if refusal:
        log.info("SignCertificate of %s refused: %s", charge_box_id, refusal)
        return SigningDecision(False, refusal)
    from pki import tasks  # the bus, which tasks use, imports the OCPP adapters, which import this

    transaction.on_commit(lambda: enqueue(tasks.certificate_issue, charger_id, csr_pem, certificate_type), robust=True)
    return SigningDecision(True)


def security_profile_set(*, charger: Charger, profile: int) -> int:
    """The profile the charger must meet from its next connection on (an upgrade under way is called off)."""
    ChargerSecurity.objects.update_or_create(
        charger=charger, defaults={"security_profile": profile, "upgrade_to": None, "upgrade_deadline": None}
    )
    return profile
