"""Moving a charger to a higher security profile (1.6 Security Whitepaper, 2.0.1 A05) through real nginx: the
charger is told, reconnects on the new profile and keeps it; one that does not come back on it within the
window stays on its old profile, on which it may connect meanwhile."""

from datetime import timedelta

import pytest
import requests
from cryptography import x509
from django.contrib.auth.models import User
from django.utils import timezone

from chargers.services.registry import charger_register
from pki import authority
from pki.models import ChargerSecurity, IssuedCertificate
from tests import certificates
from tests.conftest import eventually, free_port, start_server
from tests.nginx_proxy import PROXY_ADDRESS, Nginx
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger
from tests.test_admin_commands import PASSWORD as ADMIN_PASSWORD
from tests.test_admin_commands import Browser

pytestmark = pytest.mark.node

PASSWORD = "profile-1-password"
WINDOW = 4
CSMS_URL = "wss://csms.example.com/ocpp"


@pytest.fixture(scope="module")
def upgrade(django_db_setup, tmp_path_factory):
    """A server behind nginx whose upgrades' window is a few seconds, with its sweeps running."""
    tmp = tmp_path_factory.mktemp("upgrade")
    ca = authority.ca_load()
    (tmp / "charger-ca.pem").write_text(ca.certificate_pem)
    server_files = certificates.server_certificate(tmp)
    port = free_port()  # named in the upload locations the CSMS gives chargers
    live = start_server(
        tmp, port, CSMS_PUBLIC_HTTP_URL=f"http://127.0.0.1:{port}", REDIS_URL="", CSMS_TRUSTED_PROXIES=PROXY_ADDRESS,
        CSMS_MESSAGE_LOG="off", CSMS_SWEEP_INTERVAL="0.5", CSMS_PROFILE_UPGRADE_WINDOW=str(WINDOW),
        CSMS_COMMAND_TIMEOUT="5", CSMS_PUBLIC_WS_URL=CSMS_URL,
    )  # fmt: skip
    proxy = Nginx(tmp, csms_port=live.port, server_cert=server_files["cert"], server_key=server_files["key"],
                  charger_ca=tmp / "charger-ca.pem")  # fmt: skip
    yield {"server": live, "proxy": proxy, "ca": ca, "server_ca": server_files["ca"].read_text()}
    proxy.stop()
    live.stop()


@pytest.fixture
def api(upgrade, acme_key):
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{upgrade['server'].http}/api/v1/chargers/CP-1/security-profile"
    return session


@pytest.fixture
def charger(acme):
    return charger_register(organisation=acme, charge_box_id="CP-1", password=PASSWORD)


def plain(upgrade) -> str:
    return f"ws://127.0.0.1:{upgrade['server'].port}/ocpp"


def client_certificate(upgrade, charger) -> dict:
    """A certificate our CA signed from the charger's CSR and the charger accepted, as after SignCertificate."""
    key = certificates.charger_key()
    csr = x509.load_pem_x509_csr(certificates.csr_pem("CP-1", key=key).encode())
    leaf = authority.certificate_sign(csr=csr, authority=upgrade["ca"])
    IssuedCertificate.objects.create(
        charger=charger, serial=format(leaf.serial_number, "x"), subject=leaf.subject.rfc4514_string(),
        not_before=leaf.not_valid_before_utc, not_after=leaf.not_valid_after_utc,
        chain=certificates.certificate_pem(leaf), delivery=IssuedCertificate.Delivery.ACCEPTED,
    )  # fmt: skip
    return {
        "ca": upgrade["server_ca"],
        "cert": certificates.certificate_pem(leaf),
        "key": certificates.key_pem(key).decode(),
    }


def test_a_1_6_charger_moves_to_profile_3_and_keeps_it_once_it_reconnects_on_it(upgrade, api, charger):
    held = client_certificate(upgrade, charger)
    with strict_charger(plain(upgrade), "CP-1", password=PASSWORD) as cp:
        cp.respond("ChangeConfiguration", {"status": "Accepted"})
        answer = api.post(f"{api.base}/upgrade", json={"securityProfile": 3})
        assert answer.status_code == 200, answer.text
        assert cp.next_call()["payload"] == {"key": "SecurityProfile", "value": "3"}
    assert answer.json()["status"] == "Accepted"
    assert (answer.json()["securityProfile"], answer.json()["upgradeTo"]) == (1, 3)
    with strict_charger(upgrade["proxy"].wss, "CP-1", tls=held) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    state = api.get(api.base).json()
    assert (state["securityProfile"], state["upgradeTo"], state["upgradeDeadline"]) == (3, None, None)
    assert state["upgradeResult"].startswith("upgraded to profile 3 at ")
    with pytest.raises(Refused):  # its old way in is closed
        RpcCharger(plain(upgrade), "CP-1", password=PASSWORD)


def test_a_charger_that_does_not_come_back_on_the_new_profile_falls_back_to_its_old_one(upgrade, api, charger):
    client_certificate(upgrade, charger)
    with strict_charger(plain(upgrade), "CP-1", password=PASSWORD) as cp:
        cp.respond("ChangeConfiguration", {"status": "Accepted"})
        assert api.post(f"{api.base}/upgrade", json={"securityProfile": 3}).json()["upgradeTo"] == 3
    # It could not make it on profile 3 (say, it does not trust our server's certificate) and comes back as before.
    with strict_charger(plain(upgrade), "CP-1", password=PASSWORD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    state = eventually(lambda: (s := api.get(api.base).json())["upgradeTo"] is None and s, timeout=WINDOW + 10)
    assert state["securityProfile"] == 1
    assert state["upgradeResult"].startswith("fell back to profile 1: no connection on profile 3 by ")
    with strict_charger(plain(upgrade), "CP-1", password=PASSWORD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})


@pytest.mark.parametrize(
    "protocol, version",
    [("ocpp2.0.1", {"ocppVersion": "OCPP20"}), ("ocpp2.1", {})],  # 2.1 ignores ocppVersion and does not require it
)
def test_a_2_x_station_gets_a_network_profile_first_in_its_priority_and_a_reset(
    upgrade, api, charger, protocol, version
):
    held = client_certificate(upgrade, charger)
    with strict_charger(plain(upgrade), "CP-1", protocol=protocol, password=PASSWORD) as cp:
        priority = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}
        cp.respond("GetVariables", {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "0,1",
                                                           **priority}]})  # fmt: skip
        cp.respond("SetNetworkProfile", {"status": "Accepted"})
        cp.respond("SetVariables", {"setVariableResult": [{"attributeStatus": "Accepted", **priority}]})
        cp.respond("Reset", {"status": "Scheduled"})
        answer = api.post(f"{api.base}/upgrade", json={"securityProfile": 3})
        assert answer.status_code == 200, answer.text
        calls = [cp.next_call() for _ in range(4)]
    assert [c["action"] for c in calls] == ["GetVariables", "SetNetworkProfile", "SetVariables", "Reset"]
    assert calls[1]["payload"] == {"configurationSlot": 2, "connectionData": version | {
        "ocppTransport": "JSON", "ocppCsmsUrl": CSMS_URL, "messageTimeout": 30, "securityProfile": 3,
        "ocppInterface": "Wired0"}}  # fmt: skip
    assert calls[2]["payload"]["setVariableData"] == [{"attributeValue": "2,0,1", **priority}]
    assert calls[3]["payload"] == {"type": "OnIdle"}
    assert (answer.json()["status"], answer.json()["upgradeTo"]) == ("Accepted", 3)
    with strict_charger(upgrade["proxy"].wss, "CP-1", protocol=protocol, tls=held) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    assert ChargerSecurity.objects.get(charger=charger).security_profile == 3


def test_an_upgrade_the_charger_refuses_leaves_it_on_its_profile(upgrade, api, charger):
    with strict_charger(plain(upgrade), "CP-1", password=PASSWORD) as cp:
        cp.respond("ChangeConfiguration", {"status": "Rejected"})
        answer = api.post(f"{api.base}/upgrade", json={"securityProfile": 2}).json()
    assert (answer["status"], answer["securityProfile"], answer["upgradeTo"]) == ("Rejected", 1, None)
    assert answer["upgradeResult"] == "refused by the charger: Rejected"


def test_an_upgrade_that_cannot_succeed_is_refused_naming_the_field(upgrade, api, charger):
    no_certificate = api.post(f"{api.base}/upgrade", json={"securityProfile": 3})
    assert no_certificate.status_code == 400 and "SignCertificate" in no_certificate.text
    assert "securityProfile" in no_certificate.json()["error"]["message"]
    ChargerSecurity.objects.update_or_create(charger=charger, defaults={"security_profile": 2})
    lower = api.post(f"{api.base}/upgrade", json={"securityProfile": 1})
    assert lower.status_code == 400 and "not higher" in lower.json()["error"]["message"]
    expired = client_certificate(upgrade, charger)
    assert expired  # a certificate that has expired does not count
    IssuedCertificate.objects.update(not_after=timezone.now() - timedelta(days=1))
    assert api.post(f"{api.base}/upgrade", json={"securityProfile": 3}).status_code == 400


def test_no_station_is_moved_to_tls_while_it_would_be_sent_a_ws_address(server, acme_key, charger):
    """The `server` fixture's CSMS_PUBLIC_WS_URL is the ws:// default: SetNetworkProfile would hand it on."""
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1", password=PASSWORD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
        answer = requests.post(f"{server.http}/api/v1/chargers/CP-1/security-profile/upgrade",
                               json={"securityProfile": 2}, headers={"X-API-Key": acme_key})  # fmt: skip
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    assert message.startswith("securityProfile: profile 2 needs TLS") and "ws://127.0.0.1:8000/ocpp" in message
    assert ChargerSecurity.objects.filter(charger=charger, upgrade_to__isnull=False).count() == 0


def test_an_operator_upgrades_chargers_from_the_admin(upgrade, charger):
    User.objects.create_superuser("boss", "boss@example.com", ADMIN_PASSWORD)
    security = ChargerSecurity.objects.create(charger=charger)
    admin = Browser(upgrade["server"], "boss")
    with strict_charger(plain(upgrade), "CP-1", password=PASSWORD) as cp:
        cp.respond("ChangeConfiguration", {"status": "Accepted"})
        page = admin.post("/admin/pki/chargersecurity/", {"action": "upgrade_to_2", "_selected_action": security.pk})
        assert cp.next_call()["payload"] == {"key": "SecurityProfile", "value": "2"}
    assert "Security profile 2 accepted by charger" in page.text
    assert ChargerSecurity.objects.get(pk=security.pk).upgrade_to == 2
