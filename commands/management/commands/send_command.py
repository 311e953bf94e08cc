import getpass
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chargers.models import Charger
from commands.bus import CommandFailed, Requester
from commands.models import Command as CommandRow
from commands.services import action_run


class Command(BaseCommand):
    help = (
        "Send an OCPP action to a connected charger and print its answer as JSON, through the same command bus "
        "as the API. The charger's socket is held by a server process, so this needs the shared channel layer: "
        "run it with the servers' REDIS_URL (and DATABASE_URL) set. Exit status 1 when the charger did not "
        "answer (offline, timeout) or answered with a CALLERROR."
    )

    def add_arguments(self, parser):
        parser.add_argument("charge_box_id", metavar="ID", help="The charger's chargeBoxId.")
        parser.add_argument("action", metavar="ACTION", help="An OCPP action the CSMS may send, e.g. Reset.")
        parser.add_argument(
            "payload", metavar="PAYLOAD", nargs="?", default="{}", help='JSON, e.g. \'{"type": "Soft"}\'.'
        )
        parser.add_argument(
            "--timeout", type=float, help=f"Seconds to wait (default {settings.CSMS_COMMAND_TIMEOUT:g})."
        )

    def handle(self, *args, charge_box_id, action, payload, timeout, **options):
        if "InMemory" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError(
                "send_command reaches chargers through the servers' channel layer, and REDIS_URL is not set: "
                "an in-memory layer lives inside one server process. Set REDIS_URL as the servers have it."
            )
        try:
            body = json.loads(payload)
        except ValueError as error:
            raise CommandError(f"PAYLOAD is not JSON: {error}")
        charger = Charger.objects.filter(charge_box_id=charge_box_id).first()
        if charger is None:
            raise CommandError(f"No charger {charge_box_id}")
        requester = Requester(source=CommandRow.Source.CLI, description=f"manage.py send_command ({getpass.getuser()})")
        try:
            answer = action_run(charger=charger, action=action, payload=body, requester=requester, timeout=timeout)
        except CommandFailed as failure:
            raise CommandError(f"{failure.code}: {failure}")
        self.stdout.write(json.dumps(answer, indent=2))
