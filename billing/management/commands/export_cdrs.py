from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from accounts.models import Organisation
from billing import exports
from billing.models import CDR


class Command(BaseCommand):
    help = (
        "Write charge detail records (OCPI 2.2.1 CDRs) to standard output as CSV (a header, then a row per CDR) "
        'or JSON ({"cdrs": [...]}), newest end first, streamed.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only CDRs that ended at or after this ISO 8601 date-time (with zone)")
        parser.add_argument("--format", choices=sorted(exports.STREAMS), default="csv")
        parser.add_argument("--org", help="only this organisation's CDRs (its name)")
        parser.add_argument("--charger", help="only this chargeBoxId's CDRs")

    def handle(self, *args, since, format, org, charger, **options):
        rows = CDR.objects.all()
        if since:
            ended = parse_datetime(since)
            if ended is None or ended.tzinfo is None:
                raise CommandError(f"--since {since!r} is not an ISO 8601 date-time with a zone")
            rows = rows.filter(end_date_time__gte=ended)
        if org:
            organisation = Organisation.objects.filter(name=org).first()
            if organisation is None:
                raise CommandError(f"--org {org!r}: no such organisation")
            rows = rows.filter(organisation=organisation)
        if charger:
            rows = rows.filter(charge_box_id=charger)
        stream = exports.STREAMS[format][0]
        for chunk in stream(exports.cdr_documents(rows)):
            self.stdout.write(chunk.decode(), ending="")
