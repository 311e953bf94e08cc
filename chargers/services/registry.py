import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from chargers.models import Charger, Site, UnknownCharger
from csms import hooks

# OCPP's identifierString alphabet (2.0.1, also fine for 1.6): safe in the /ocpp/<id> path.
CHARGE_BOX_ID = re.compile(r"[A-Za-z0-9*\-_=:+|@.]{1,64}")
CHARGE_BOX_ID_RULE = "1 to 64 characters from A-Z a-z 0-9 * - _ = : + | @ ."

_UNSET = object()


class ChargerExists(Exception):
    pass


class InvalidChargeBoxId(ValueError):
    pass


def charge_box_id_problem(charge_box_id: str) -> str | None:
    """Why `charge_box_id` cannot identify a charger, or None."""
    if CHARGE_BOX_ID.fullmatch(charge_box_id):
        return None
    return f"must be {CHARGE_BOX_ID_RULE} (no '/' or spaces)."


def charger_register(
    *,
    organisation: Organisation,
    charge_box_id: str,
    name: str = "",
    location: str = "",
    password: str | None = None,
    ocpp_version_pinned: str = "",
) -> Charger:
    problem = charge_box_id_problem(charge_box_id)
    if problem:
        raise InvalidChargeBoxId(f"chargeBoxId {problem}")
    try:
        with transaction.atomic():
            if Charger.objects.filter(charge_box_id=charge_box_id).exists():
                raise ChargerExists(charge_box_id)
            charger = Charger(
                organisation=organisation,
                charge_box_id=charge_box_id,
                name=name,
                location=location,
                ocpp_version_pinned=ocpp_version_pinned,
            )
            charger.set_password(password)
            charger.save()
            UnknownCharger.objects.filter(charge_box_id=charge_box_id).delete()
    except IntegrityError:
        # Two registrations of one id at once: the unique index decides.
        raise ChargerExists(charge_box_id)
    return charger


def charger_update(
    *,
    charger: Charger,
    name: str | None = None,
    location: str | None = None,
    password: str | None | object = _UNSET,
    ocpp_version_pinned: str | None = None,
) -> Charger:
    """Change what the operator says about a charger. `password=None` or "" removes the password;
    a new password applies from the charger's next connection."""
    fields = []
    if name is not None:
        charger.name = name
        fields.append("name")
    if location is not None:
        charger.location = location
        fields.append("location")
    if ocpp_version_pinned is not None:  # applies from the next connection
        charger.ocpp_version_pinned = ocpp_version_pinned
        fields.append("ocpp_version_pinned")
    if password is not _UNSET:
        charger.set_password(password)
        fields.append("password_digest")
    if fields:
        charger.save(update_fields=fields)
    return charger


def charger_delete(*, charger: Charger) -> None:
    """Unregister a charger: its row and history go, its socket is closed, and from then on
    it is refused at the handshake as unknown."""
    with transaction.atomic():
        # Locked, so that a connection admitted meanwhile is the one we close.
        channel_name = Charger.objects.select_for_update().values_list("channel_name", flat=True).get(pk=charger.pk)
        charger.delete()
        transaction.on_commit(lambda: charger_disconnect(channel_name=channel_name, reason="unregistered"))


def charger_disconnect(*, channel_name: str, reason: str) -> None:
    """Close a charger's socket, wherever it is held (e.g. when it is unregistered)."""
    if channel_name:
        async_to_sync(get_channel_layer().send)(channel_name, {"type": "ocpp.close", "reason": reason})


def unknown_charger_seen(*, charge_box_id: str, remote_address: str) -> None:
    """Record a refused chargeBoxId so that an operator can register it later."""
    now = timezone.now()
    updated = UnknownCharger.objects.filter(charge_box_id=charge_box_id).update(
        last_seen_at=now, remote_address=remote_address, attempts=F("attempts") + 1
    )
    if not updated:
        UnknownCharger.objects.get_or_create(
            charge_box_id=charge_box_id,
            defaults={"remote_address": remote_address, "first_seen_at": now, "last_seen_at": now},
        )


class SiteElsewhere(ValueError):
    """The site belongs to another organisation than the charger."""


def charger_supply_update(
    *,
    charger: Charger,
    site: Site | None | object = _UNSET,
    phases: int | None = None,
    voltage: float | None = None,
    charging_rate_unit: str | None = None,
    min_current: float | None = None,
    max_current: float | None = None,
) -> Charger:
    """Change how a charger is wired: its site, phases, voltage, rate unit and current range.
    Each site it leaves or joins shares its capacity again (smart charging acts on SITE_SUPPLY_CHANGED)."""
    changes = {
        "phases": phases,
        "voltage": voltage,
        "charging_rate_unit": charging_rate_unit,
        "min_current": min_current,
        "max_current": max_current,
    }
    changes = {field: value for field, value in changes.items() if value is not None}
    sites = {charger.site_id}
    if site is not _UNSET:
        if site is not None and site.organisation_id != charger.organisation_id:
            raise SiteElsewhere(f"site {site.pk} is not one of the organisation's")
        changes["site"] = site
        sites.add(site.pk if site is not None else None)
    if not changes:
        return charger
    with transaction.atomic():
        for field, value in changes.items():
            setattr(charger, field, value)
        charger.save(update_fields=list(changes))
        for site_id in sites - {None}:
            hooks.run(hooks.SITE_SUPPLY_CHANGED, site_id=site_id)
    return charger
