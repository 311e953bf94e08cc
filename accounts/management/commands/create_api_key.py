from django.core.management.base import BaseCommand, CommandError

from accounts.models import SCOPES, ApiKey
from accounts.services import organisation_get_or_create


class Command(BaseCommand):
    help = "Create an API key for an organisation (created if needed). The key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation name")
        parser.add_argument("--scopes", default=",".join(SCOPES), help=f"comma-separated, default {','.join(SCOPES)}")
        parser.add_argument("--name", default="", help="a label for the key")

    def handle(self, *args, org, scopes, name, **options):
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(SCOPES))
        if unknown:
            raise CommandError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
        if not wanted:
            raise CommandError(
                f"--scopes: name at least one of {', '.join(SCOPES)}; a key without scope can do nothing"
            )
        organisation = organisation_get_or_create(name=org)
        key, plain = ApiKey.generate(organisation=organisation, scopes=wanted, name=name)
        self.stdout.write(f"API key {key.prefix} for {organisation} with scopes {','.join(wanted)} (shown once):")
        self.stdout.write(plain)
