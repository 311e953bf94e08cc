"""Sites: chargers sharing one supply. Any change that can move the split shares the capacity again."""

from django.db import transaction

from accounts.models import Organisation
from chargers.background import task_after_commit
from chargers.models import Charger, Site
from csms import statements


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


def site_rebalance_after_commit(*, site_id: int) -> None:
    task_after_commit("commands.tasks.site_rebalance", site_id=site_id)


def session_site_rebalance_after_commit(*, session) -> None:
    """A session began or ended: if its charger is on a site, share the site's capacity again."""
    site_id = (statements.select_one(Charger, ["site_id"], where={"id": session.charger_id}) or (None,))[0]
    if site_id is not None:
        site_rebalance_after_commit(site_id=site_id)
