from chargers.management.charger_ids import ChargerIdsCommand
from chargers.models import Charger
from chargers.services.registry import charger_delete


class Command(ChargerIdsCommand):
    help = (
        "Delete (unregister) chargers: each is refused from then on and its socket is closed; its history "
        "is kept, and registering its ID again restores it. purge_charger removes a deleted one for good."
    )

    def handle(self, *args, charge_box_ids, **options):
        chargers = self.chargers_named(
            charge_box_ids, among=Charger.objects, missing="not registered (or already deleted)"
        )
        for charger in chargers.values():
            charger_delete(charger=charger)
            self.stdout.write(f"Deleted {charger.charge_box_id}; its history is kept")
