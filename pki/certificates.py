"""Certificates we issue to chargers: sign, record, deliver with CertificateSigned, renew before expiry."""

import logging
from datetime import datetime, timedelta

from cryptography import x509
from django.conf import settings
from django.utils import timezone

from chargers.models import Charger
from commands import services as commands
from commands.bus import CommandFailed, Requester
from commands.models import Command
from pki import authority
from pki.models import IssuedCertificate

log = logging.getLogger(__name__)


def certificate_issue(*, charger: Charger, csr_pem: str, certificate_type: str) -> IssuedCertificate:
    """Sign the CSR (our CA or CSMS_CA_SIGNER), record the certificate, send it with CertificateSigned."""
    chain = authority.chain_sign(
        csr_pem=csr_pem, charge_box_id=charger.charge_box_id, certificate_type=certificate_type
    )
    leaf = x509.load_pem_x509_certificates(chain.encode())[0]
    issued = IssuedCertificate.objects.create(
        charger=charger,
        certificate_type=certificate_type,
        serial=format(leaf.serial_number, "x"),
        subject=leaf.subject.rfc4514_string()[:255],
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        chain=chain,
    )
    certificate_deliver(certificate=issued)
    return issued


def certificate_deliver(*, certificate: IssuedCertificate) -> IssuedCertificate:
    """CertificateSigned on the command bus; the charger's answer is kept on the certificate's row."""
    requester = Requester(source=Command.Source.TASK, description=f"certificate {certificate.serial}")
    try:
        answer = commands.command_run(
            charger=certificate.charger,
            command="certificate_signed",
            params={"certificateChain": certificate.chain, "certificateType": certificate.certificate_type},
            requester=requester,
        )
    except CommandFailed as failure:
        certificate.delivery, certificate.delivery_detail = IssuedCertificate.Delivery.FAILED, str(failure)[:255]
    else:
        status = answer.get("status")
        certificate.command_id = answer["commandId"]
        certificate.delivery = (
            IssuedCertificate.Delivery.ACCEPTED if status == "Accepted" else IssuedCertificate.Delivery.REJECTED
        )
        certificate.delivery_detail = answer["message"][:255]
    certificate.save(update_fields=["delivery", "delivery_detail", "command_id"])
    return certificate


def certificates_to_renew(*, now: datetime | None = None) -> list[IssuedCertificate]:
    """Each charger's newest delivered certificate that expires within CSMS_CERTIFICATE_RENEW_DAYS, claimed once."""
    now = now or timezone.now()
    due = IssuedCertificate.objects.filter(
        delivery=IssuedCertificate.Delivery.ACCEPTED,
        not_after__lt=now + timedelta(days=settings.CSMS_CERTIFICATE_RENEW_DAYS),
        renewal_requested_at__isnull=True,
    ).select_related("charger")
    claimed = []
    for certificate in due:
        newer = IssuedCertificate.objects.filter(
            charger_id=certificate.charger_id,
            certificate_type=certificate.certificate_type,
            delivery=IssuedCertificate.Delivery.ACCEPTED,
            created_at__gt=certificate.created_at,
        )
        if newer.exists():
            continue
        if IssuedCertificate.objects.filter(pk=certificate.pk, renewal_requested_at__isnull=True).update(
            renewal_requested_at=now
        ):
            claimed.append(certificate)
    return claimed


def certificate_renewal_request(*, certificate: IssuedCertificate) -> dict | None:
    """Ask the charger for a new CSR (the version's trigger for a charging-station certificate)."""
    try:
        return commands.command_run(
            charger=certificate.charger,
            command="certificate_renew",
            params={},
            requester=Requester(source=Command.Source.TASK, description=f"renewal of {certificate.serial}"),
        )
    except CommandFailed as failure:
        # Asked again at the next sweep.
        IssuedCertificate.objects.filter(pk=certificate.pk).update(renewal_requested_at=None)
        log.info("could not ask %s for a new CSR: %s", certificate.charger, failure)
        return None
