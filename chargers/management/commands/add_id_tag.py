from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from chargers.models import IdTag
from chargers.services.registry import organisation_get_or_create


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
        parent_tag = None
        if parent:
            parent_tag = IdTag.objects.filter(organisation=organisation, id_tag=parent).first()
            if parent_tag is None:
                raise CommandError(f"parent tag {parent} does not exist in {org}")
        tag, created = IdTag.objects.update_or_create(
            organisation=organisation,
            id_tag=id_tag,
            defaults={"status": status, "expiry_date": expiry_date, "parent": parent_tag},
        )
        self.stdout.write(f"{'Added' if created else 'Updated'} id tag {tag.id_tag} ({tag.status}) in {org}")
