from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from accounts.services import organisation_get_or_create
from charging.services.id_tags import IdTagInvalid, id_tag_upsert


class Command(BaseCommand):
    help = "Add (or update) an id tag that may authorize at the organisation's chargers."

    def add_arguments(self, parser):
        parser.add_argument("id_tag", metavar="TAG")
        parser.add_argument("--org", required=True)
        parser.add_argument("--status", default="Accepted", choices=["Accepted", "Blocked"])
        parser.add_argument("--expiry", help="ISO 8601 date-time with zone")
        parser.add_argument("--parent", help="parent id tag (must exist)")

    def handle(self, *args, id_tag, org, status, expiry, parent, **options):
        organisation = organisation_get_or_create(name=org)
        expiry_date = parse_datetime(expiry) if expiry else None
        if expiry and expiry_date is None:
            raise CommandError(f"--expiry {expiry!r} is not an ISO 8601 date-time")
        try:
            tag, created = id_tag_upsert(
                organisation=organisation, id_tag=id_tag, status=status, expiry_date=expiry_date, parent_id_tag=parent
            )
        except IdTagInvalid as error:
            raise CommandError(f"{error.field}: {error.message}")
        self.stdout.write(f"{'Added' if created else 'Updated'} id tag {tag.id_tag} ({tag.status}) in {org}")
