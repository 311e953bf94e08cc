from django.core.management.base import BaseCommand

from pki import authority


class Command(BaseCommand):
    help = (
        "The charging-station CA in CSMS_CA_DIR. `init` creates it (the first CSR does so too); "
        "`certificate` prints its certificate (PEM), e.g. for a proxy's client-certificate check."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["init", "certificate"])

    def handle(self, *args, action, **options):
        if action == "certificate":
            self.stdout.write(authority.ca_load().certificate_pem, ending="")
            return
        created = authority.ca_create()
        certificate = authority.ca_load().certificate
        verb = "Created" if created else "Kept the existing"
        self.stdout.write(
            f"{verb} CA {certificate.subject.rfc4514_string()} in {authority.ca_directory()} "
            f"(valid until {certificate.not_valid_after_utc:%Y-%m-%d})"
        )
