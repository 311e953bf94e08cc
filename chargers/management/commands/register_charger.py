from django.core.management.base import BaseCommand, CommandError

from accounts.services import organisation_get_or_create
from chargers.services.registry import ChargerExists, InvalidChargeBoxId, charger_register


class Command(BaseCommand):
    help = "Register a charger so that it may connect at /ocpp/<ID>."

    def add_arguments(self, parser):
        parser.add_argument("charge_box_id", metavar="ID")
        parser.add_argument("--org", required=True, help="organisation name (created if needed)")
        parser.add_argument("--password", help="require HTTP Basic auth with this password (security profile 1)")
        parser.add_argument("--name", default="")
        parser.add_argument("--location", default="")

    def handle(self, *args, charge_box_id, org, password, name, location, **options):
        try:
            charger = charger_register(
                organisation=organisation_get_or_create(name=org),
                charge_box_id=charge_box_id,
                name=name,
                location=location,
                password=password,
            )
        except ChargerExists:
            raise CommandError(f"{charge_box_id} is already registered")
        except InvalidChargeBoxId as error:
            raise CommandError(str(error))
        protocols = " or ".join(charger.subprotocols)
        self.stdout.write(f"Registered {charger.charge_box_id}; connect it to {charger.connection_url} ({protocols})")
