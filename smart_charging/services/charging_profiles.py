"""Charging profiles the chargers accepted, as the CSMS keeps track of them.

The charger's own rules (OCPP 1.6 and 2.0.1 alike): a profile sent again under the same id
replaces it, and so does one with the same purpose and stack level on the same connector.
A TxProfile lives only as long as its transaction.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chargers.background import task_after_commit
from chargers.models import Charger
from charging.models import Transaction
from csms import statements
from smart_charging.models import InstalledChargingProfile

TX_PROFILE = "TxProfile"


def charging_profile_record(
    *,
    charger: Charger,
    connector_id: int,
    profile_id: int,
    stack_level: int,
    purpose: str,
    kind: str,
    schedule: dict,
    transaction_id: str | None = None,
    recurrency_kind: str = "",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    meta: dict | None = None,
    reported: bool = False,
) -> InstalledChargingProfile:
    """The charger accepted this profile: it replaces what it replaces on the charger. `reported`: the
    charger reported it (ReportChargingProfiles), so a listed profile of that id keeps its notes (`meta`)
    and the time it was installed."""
    session = None
    if transaction_id is not None:
        session = Transaction.objects.filter(charger=charger, ocpp_id=str(transaction_id)).first()
    with transaction.atomic():
        kept = {"meta": meta or {}, "installed_at": timezone.now()}
        if reported:
            listed = InstalledChargingProfile.objects.filter(charger=charger, profile_id=profile_id)
            kept = listed.values("meta", "installed_at").first() or kept
        InstalledChargingProfile.objects.filter(charger=charger).filter(
            Q(profile_id=profile_id) | Q(connector_id=connector_id, purpose=purpose, stack_level=stack_level)
        ).delete()
        return InstalledChargingProfile.objects.create(
            **kept,
            charger=charger,
            connector_id=connector_id,
            profile_id=profile_id,
            stack_level=stack_level,
            purpose=purpose,
            kind=kind,
            schedule=schedule,
            transaction=session,
            recurrency_kind=recurrency_kind or "",
            valid_from=valid_from,
            valid_to=valid_to,
        )


def charging_profiles_settle(
    *,
    charger: Charger,
    reported: list[int],
    asked_at: datetime,
    connector_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
    profile_ids: list[int] | None = None,
) -> int:
    """The charger reported every profile it holds that matches the criteria: a listed one it did not
    report, and that was recorded before it was asked, it no longer holds. Returns how many were dropped."""
    profiles = InstalledChargingProfile.objects.filter(charger=charger, installed_at__lt=asked_at)
    criteria = {"connector_id": connector_id, "purpose": purpose, "stack_level": stack_level}
    profiles = profiles.filter(**{name: value for name, value in criteria.items() if value is not None})
    if profile_ids:
        profiles = profiles.filter(profile_id__in=profile_ids)
    deleted, _ = profiles.exclude(profile_id__in=reported).delete()
    return deleted


def charging_profiles_clear(
    *,
    charger: Charger,
    profile_id: int | None = None,
    connector_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
) -> int:
    """The charger cleared profiles: by id, or all matching the criteria given (none: all). Returns how many."""
    profiles = InstalledChargingProfile.objects.filter(charger=charger)
    if profile_id is not None:
        profiles = profiles.filter(profile_id=profile_id)
    else:
        criteria = {"connector_id": connector_id, "purpose": purpose, "stack_level": stack_level}
        profiles = profiles.filter(**{name: value for name, value in criteria.items() if value is not None})
    deleted, _ = profiles.delete()
    return deleted


def charging_profiles_transaction_started(*, session: Transaction) -> int:
    """A remote start's TxProfile, recorded before the charger reported the session it began, is that session's:
    one waiting on the session's EVSE (1.6: connector), or on none (0) when the charger chose where to start."""
    waiting = {"charger_id": session.charger_id, "purpose": TX_PROFILE, "transaction_id": None}
    if statements.select_one(InstalledChargingProfile, ["id"], where=waiting) is None:
        return 0  # most sessions start with none waiting: a prepared lookup costs less than the ORM's update
    profiles = InstalledChargingProfile.objects.filter(**waiting, connector_id__in=(0, session.evse_id))
    return profiles.update(transaction=session, connector_id=session.evse_id)


def charging_profiles_transaction_ended(*, session: Transaction) -> int:
    """A charger drops a TxProfile when its transaction ends."""
    if statements.select_one(InstalledChargingProfile, ["id"], where={"transaction_id": session.pk}) is None:
        return 0  # most sessions had none: a prepared lookup costs less than the ORM's delete
    deleted, _ = InstalledChargingProfile.objects.filter(transaction=session).delete()
    return deleted


def charging_profiles_after_boot(*, charger_id: int) -> list[InstalledChargingProfile]:
    """After a reboot: the transactions in progress ended with it, so do their profiles.
    Returns the profiles the charger should still hold."""
    if statements.select_one(InstalledChargingProfile, ["id"], where={"charger_id": charger_id}) is None:
        return []  # every boot asks, and most chargers hold none
    InstalledChargingProfile.objects.filter(charger_id=charger_id, purpose=TX_PROFILE).delete()
    return list(InstalledChargingProfile.objects.filter(charger_id=charger_id))


def charging_profiles_after_boot_schedule(*, charger_id: int) -> None:
    """A boot is a restart: assume the charger lost the profiles it held (OCPP 1.6 does not require
    it to keep them) and send them again; sending a profile it kept replaces it by itself."""
    if settings.CSMS_RESEND_PROFILES_AFTER_BOOT and charging_profiles_after_boot(charger_id=charger_id):
        task_after_commit("commands.tasks.charging_profiles_restore", charger_id=charger_id)
