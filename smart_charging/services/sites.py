"""Sites: chargers sharing one supply. Any change that can move the split shares the capacity again."""

from django.db import transaction

from accounts.models import Organisation
from chargers.background import task_after_commit
from chargers.models import Charger, Site

_UNSET = object()


class SiteElsewhere(ValueError):
    """The site belongs to another organisation than the charger."""


def site_create(*, organisation: Organisation, name: str, capacity_limit: float, capacity_unit: str) -> Site:
    return Site.objects.create(
        organisation=organisation, name=name, capacity_limit=capacity_limit, capacity_unit=capacity_unit
    )


def site_update(
    *, site: Site, name: str | None = None, capacity_limit: float | None = None, capacity_unit: str | None = None
) -> Site:
    changes = {"name": name, "capacity_limit": capacity_limit, "capacity_unit": capacity_unit}
    changes = {field: value for field, value in changes.items() if value is not None}
    with transaction.atomic():
        for field, value in changes.items():
            setattr(site, field, value)
        site.save()
        if set(changes) & {"capacity_limit", "capacity_unit"}:
            site_rebalance_after_commit(site_id=site.pk)
    return site


def site_delete(*, site: Site) -> None:
    """Its chargers stay, on no site; the limits already sent stay until their sessions end."""
    site.delete()


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
    """Change how a charger is wired: its site, phases, voltage, rate unit and current range."""
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
            site_rebalance_after_commit(site_id=site_id)
    return charger


def site_rebalance_after_commit(*, site_id: int) -> None:
    task_after_commit("chargers.tasks.site_rebalance", site_id=site_id)
