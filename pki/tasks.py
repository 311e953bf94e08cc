"""Background work of the certificate authority: thin over pki.certificates."""

import logging

from celery import shared_task

from chargers.models import Charger
from pki import certificates, profiles

log = logging.getLogger(__name__)


@shared_task(name="pki.tasks.certificate_issue")
def certificate_issue(charger_id: int, csr_pem: str, certificate_type: str) -> None:
    charger = Charger.objects.filter(pk=charger_id).first()
    if charger is not None:
        certificates.certificate_issue(charger=charger, csr_pem=csr_pem, certificate_type=certificate_type)


@shared_task(name="pki.tasks.certificates_renew")
def certificates_renew() -> int:
    """Ask chargers whose certificate expires soon for a new CSR."""
    asked = 0
    for certificate in certificates.certificates_to_renew():
        asked += certificates.certificate_renewal_request(certificate=certificate) is not None
    return asked


# A sweep: its service, registered under the name the beat schedule gives it.
profile_upgrades_fall_back = shared_task(name="pki.tasks.profile_upgrades_fall_back")(profiles.upgrades_fall_back)
