"""The charging-station CA: made on first use with its key kept 0600, `manage.py csms_ca`, an external
CA named in the settings, and the sweep that asks chargers for a new CSR before their certificate expires."""

import stat
import threading
from datetime import timedelta
from io import StringIO

import pytest
from cryptography import x509
from django.core.management import call_command
from django.utils import timezone

from pki import authority
from pki.models import IssuedCertificate
from tests import certificates
from tests.ocpp_rpc import strict_charger


@pytest.fixture
def ca_dir(settings, tmp_path):
    settings.CSMS_CA_DIR = tmp_path / "ca"
    return settings.CSMS_CA_DIR


def test_the_ca_is_created_on_first_use_with_its_key_readable_by_its_owner_only(ca_dir):
    assert not ca_dir.exists()
    first = authority.ca_load()
    assert stat.S_IMODE((ca_dir / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(ca_dir.stat().st_mode) == 0o700
    assert authority.ca_load().certificate == first.certificate  # the next use loads it
    assert first.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_processes_meeting_the_first_csr_at_once_end_with_one_ca(ca_dir):
    barrier, created = threading.Barrier(4), []

    def create():
        barrier.wait()
        created.append(authority.ca_create())

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False, False, False, True]
    assert sorted(p.name for p in ca_dir.parent.iterdir()) == ["ca"]  # no staging directory left


def test_csms_ca_init_creates_the_ca_once_and_prints_no_key(ca_dir):
    out = StringIO()
    call_command("csms_ca", "init", stdout=out)
    call_command("csms_ca", "init", stdout=out)
    call_command("csms_ca", "certificate", stdout=out)
    lines = out.getvalue()
    assert lines.count("Created CA O=CSMS,CN=CSMS Charging Station CA in ") == 1
    assert lines.count("Kept the existing CA") == 1
    assert lines.count("BEGIN CERTIFICATE") == 1 and "PRIVATE KEY" not in lines
    assert x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes()).subject.rfc4514_string() in lines


def external_sign(csr_pem: str, *, charge_box_id: str, certificate_type: str) -> str:
    """An external CA for the test: its own CA, a certificate for the CSR with a serial that names the call."""
    key = certificates.charger_key()
    other = authority.Authority(key=key, certificate=authority.ca_certificate_make(key))
    leaf = authority.certificate_sign(csr=x509.load_pem_x509_csr(csr_pem.encode()), authority=other)
    return f"{certificates.certificate_pem(leaf)}# {charge_box_id} {certificate_type}\n"


def test_an_external_ca_named_in_the_settings_signs_instead_of_ours(ca_dir, settings):
    settings.CSMS_CA_SIGNER = "tests.test_certificate_authority.external_sign"
    chain = authority.chain_sign(
        csr_pem=certificates.csr_pem("CP-9"), charge_box_id="CP-9", certificate_type="V2GCertificate"
    )
    assert chain.endswith("# CP-9 V2GCertificate\n")
    assert not ca_dir.exists()  # ours was never needed


@pytest.mark.node
@pytest.mark.parametrize(("protocol", "trigger"), [
    ("ocpp1.6", ("ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"})),
    ("ocpp2.0.1", ("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})),
])  # fmt: skip
def test_the_sweep_asks_a_charger_for_a_new_csr_before_its_certificate_expires(background, charger, protocol, trigger):
    now = timezone.now()
    soon = IssuedCertificate.objects.create(
        charger=charger, serial="1a", subject="O=Acme,CN=CP-1", not_before=now - timedelta(days=340),
        not_after=now + timedelta(days=20), chain="-", delivery="Accepted",
    )  # fmt: skip
    IssuedCertificate.objects.create(
        charger=charger, serial="1b", subject="O=Acme,CN=CP-1", not_before=now, not_after=now + timedelta(days=300),
        chain="-", delivery="Rejected",
    )  # fmt: skip
    with strict_charger(background.ws, "CP-1", protocol=protocol) as cp:
        asked = cp.next_call(timeout=15)
        assert (asked["action"], asked["payload"]) == trigger
        cp.call("Heartbeat", {})
    soon.refresh_from_db()
    assert soon.renewal_requested_at is not None
    assert IssuedCertificate.objects.get(serial="1b").renewal_requested_at is None
