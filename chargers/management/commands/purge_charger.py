from django.core.management.base import CommandError

from chargers.management.charger_ids import ChargerIdsCommand
from chargers.models import Charger
from chargers.services.registry import charger_purge


class Command(ChargerIdsCommand):
    help = (
        "Remove deleted chargers for good, with all their history (sessions, meter values, commands, "
        "message log). Only chargers deleted before (API, admin or delete_charger) can be purged."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--confirm", action="store_true", help="required: the history cannot be recovered once purged"
        )

    def handle(self, *args, charge_box_ids, confirm, **options):
        chargers = self.chargers_named(charge_box_ids, among=Charger.everything, missing="no such charger")
        live = [charge_box_id for charge_box_id, charger in chargers.items() if charger.deleted_at is None]
        if live:
            raise CommandError(f"not deleted (delete it first: delete_charger): {', '.join(live)}")
        if not confirm:
            raise CommandError(
                f"purging removes {', '.join(chargers)} and all their history for good: add --confirm to do it"
            )
        for charger in chargers.values():
            removed = charger_purge(charger=charger)
            rows = ", ".join(f"{label.split('.')[-1]}: {count}" for label, count in sorted(removed.items()))
            self.stdout.write(f"Purged {charger.charge_box_id} ({rows})")
