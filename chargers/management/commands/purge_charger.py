from django.core.management.base import BaseCommand, CommandError

from chargers.models import Charger
from chargers.services.registry import charger_purge


class Command(BaseCommand):
    help = (
        "Remove deleted chargers for good, with all their history (sessions, meter values, commands, "
        "message log). Only chargers deleted before (API, admin or delete_charger) can be purged."
    )

    def add_arguments(self, parser):
        parser.add_argument("charge_box_ids", metavar="ID", nargs="+")
        parser.add_argument(
            "--confirm", action="store_true", help="required: the history cannot be recovered once purged"
        )

    def handle(self, *args, charge_box_ids, confirm, **options):
        chargers = {c.charge_box_id: c for c in Charger.everything.filter(charge_box_id__in=charge_box_ids)}
        unknown = [charge_box_id for charge_box_id in charge_box_ids if charge_box_id not in chargers]
        if unknown:
            raise CommandError(f"no such charger: {', '.join(unknown)}")
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
