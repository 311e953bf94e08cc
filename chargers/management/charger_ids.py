from django.core.management.base import BaseCommand, CommandError
from django.db.models import Manager

from chargers.models import Charger


class ChargerIdsCommand(BaseCommand):
    """A command on the chargers named by their IDs: all of them exist, or nothing is done."""

    def add_arguments(self, parser):
        parser.add_argument("charge_box_ids", metavar="ID", nargs="+")

    def chargers_named(self, charge_box_ids: list[str], *, among: Manager, missing: str) -> dict[str, Charger]:
        """The chargers of `among` by ID; a CommandError saying `missing` names the IDs it does not hold."""
        chargers = {charger.charge_box_id: charger for charger in among.filter(charge_box_id__in=charge_box_ids)}
        unknown = [charge_box_id for charge_box_id in charge_box_ids if charge_box_id not in chargers]
        if unknown:
            raise CommandError(f"{missing}: {', '.join(unknown)}")
        return chargers
