from django.core.management.base import BaseCommand, CommandError

from chargers.models import Charger
from chargers.services.registry import charger_delete


class Command(BaseCommand):
    help = (
        "Delete (unregister) chargers: each is refused from then on and its socket is closed; its history "
        "is kept, and registering its ID again restores it. purge_charger removes a deleted one for good."
    )

    def add_arguments(self, parser):
        parser.add_argument("charge_box_ids", metavar="ID", nargs="+")

    def handle(self, *args, charge_box_ids, **options):
        chargers = {
            charger.charge_box_id: charger for charger in Charger.objects.filter(charge_box_id__in=charge_box_ids)
        }
        unknown = [charge_box_id for charge_box_id in charge_box_ids if charge_box_id not in chargers]
        if unknown:
            raise CommandError(f"not registered (or already deleted): {', '.join(unknown)}")
        for charger in chargers.values():
            charger_delete(charger=charger)
            self.stdout.write(f"Deleted {charger.charge_box_id}; its history is kept")
