from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation
from chargers.models import Charger, UnknownCharger


class ChargerExists(Exception):
    pass


def organisation_get_or_create(*, name: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name)
    return organisation


def charger_register(
    *, organisation: Organisation, charge_box_id: str, name: str = "", location: str = "", password: str | None = None
) -> Charger:
    with transaction.atomic():
        if Charger.objects.filter(charge_box_id=charge_box_id).exists():
            raise ChargerExists(charge_box_id)
        charger = Charger(organisation=organisation, charge_box_id=charge_box_id, name=name, location=location)
        charger.set_password(password)
        charger.save()
        UnknownCharger.objects.filter(charge_box_id=charge_box_id).delete()
    return charger


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
