"""Security profiles 2 and 3 through real nginx (deploy/nginx-ocpp-tls.conf): TLS, client certificates signed
by our CA, the verified subject trusted only from the proxy's address, each charger's profile enforced."""

import asyncio
import ssl

import pytest
import requests
import websockets
from cryptography import x509

from chargers.models import Charger
from chargers.services.registry import charger_register
from pki import authority
from pki.models import ChargerSecurity
from tests import certificates
from tests.conftest import start_server
from tests.nginx_proxy import PROXY_ADDRESS, Nginx
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger

pytestmark = pytest.mark.node

PASSWORD = "tls-charger-password"


@pytest.fixture(scope="module")
def tls(django_db_setup, server_worker, tmp_path_factory):
    """A server trusting only nginx's address, nginx in front of it, and the CAs of both sides. The product's
    CA is the default one, which the server, its Celery worker (on Redis) and this process share."""
    tmp = tmp_path_factory.mktemp("tls")
    ca = authority.ca_load()
    (tmp / "charger-ca.pem").write_text(ca.certificate_pem)
    server_files = certificates.server_certificate(tmp)
    live = start_server(  # chargers moved to profile 2 or 3 are given the proxy's wss:// address
        tmp, CSMS_TRUSTED_PROXIES=PROXY_ADDRESS, CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false",
        CSMS_PUBLIC_WS_URL="wss://csms.example.com/ocpp",
    )  # fmt: skip
    proxy = Nginx(tmp, csms_port=live.port, server_cert=server_files["cert"], server_key=server_files["key"],
                  charger_ca=tmp / "charger-ca.pem")  # fmt: skip
    yield {"server": live, "proxy": proxy, "ca": ca, "server_ca": server_files["ca"].read_text()}
    proxy.stop()
    live.stop()


def on_profile(acme, profile: int, charge_box_id: str = "CP-1") -> Charger:
    charger = charger_register(organisation=acme, charge_box_id=charge_box_id, password=PASSWORD)
    ChargerSecurity.objects.create(charger=charger, security_profile=profile)
    return charger


def client_tls(tls, common_name: str | None = None, ca: authority.Authority | None = None) -> dict:
    """What a charger holds: the server's CA, and a certificate for `common_name` signed by `ca` (ours)."""
    held = {"ca": tls["server_ca"]}
    if common_name is not None:
        key = certificates.charger_key()
        csr = x509.load_pem_x509_csr(certificates.csr_pem(common_name, key=key).encode())
        leaf = authority.certificate_sign(csr=csr, authority=ca or tls["ca"])
        held |= {"cert": certificates.certificate_pem(leaf), "key": certificates.key_pem(key).decode()}
    return held


def test_a_charger_with_a_certificate_from_our_ca_connects_over_wss_with_mtls(tls, acme):
    charger = on_profile(acme, 3)
    with strict_charger(tls["proxy"].wss, "CP-1", tls=client_tls(tls, "CP-1")) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
        assert Charger.objects.get(pk=charger.pk).is_online


def test_a_certificate_whose_cn_is_another_charger_is_refused(tls, acme):
    on_profile(acme, 3)
    with pytest.raises(Refused):
        RpcCharger(tls["proxy"].wss, "CP-1", tls=client_tls(tls, "CP-2"), password=PASSWORD)


def test_a_certificate_from_another_ca_is_refused(tls, acme):
    on_profile(acme, 3)
    key = certificates.charger_key()
    stranger = authority.Authority(key=key, certificate=authority.ca_certificate_make(key))
    with pytest.raises(Refused):
        RpcCharger(tls["proxy"].wss, "CP-1", tls=client_tls(tls, "CP-1", ca=stranger))


def test_without_a_certificate_a_profile_3_charger_is_refused_even_with_its_password(tls, acme):
    on_profile(acme, 3)
    with pytest.raises(Refused):
        RpcCharger(tls["proxy"].wss, "CP-1", tls=client_tls(tls), password=PASSWORD)


async def _direct(url: str, headers: dict, **options) -> int | None:
    """Open a socket with headers of our choosing; the refusal's HTTP status, or None if accepted."""
    try:
        async with websockets.connect(url, subprotocols=["ocpp1.6"], additional_headers=headers, **options):
            return None
    except websockets.exceptions.InvalidStatus as refused:
        return refused.response.status_code


def test_the_proxys_headers_are_ignored_from_any_other_address(tls, acme):
    on_profile(acme, 3)
    forged = {"X-Forwarded-Proto": "https", "X-SSL-Client-Subject": "CN=CP-1,O=Acme"}
    assert asyncio.run(_direct(f"ws://127.0.0.1:{tls['server'].port}/ocpp/CP-1", forged)) == 403
    assert not Charger.objects.get(charge_box_id="CP-1").is_online


def test_a_subject_header_a_charger_sends_itself_through_nginx_is_replaced(tls, acme):
    on_profile(acme, 3)
    trusted = ssl.create_default_context(cadata=tls["server_ca"])
    forged = {"X-SSL-Client-Subject": "CN=CP-1,O=Acme"}
    assert asyncio.run(_direct(f"{tls['proxy'].wss}/CP-1", forged, ssl=trusted)) == 403
    assert not Charger.objects.get(charge_box_id="CP-1").is_online


def test_profile_2_takes_the_password_over_tls_and_refuses_a_plain_socket(tls, acme):
    on_profile(acme, 2)
    with strict_charger(tls["proxy"].wss, "CP-1", tls=client_tls(tls), password=PASSWORD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    with pytest.raises(Refused):
        RpcCharger(tls["proxy"].wss, "CP-1", tls=client_tls(tls), password="wrong-password")
    with pytest.raises(Refused):
        RpcCharger(f"ws://127.0.0.1:{tls['server'].port}/ocpp", "CP-1", password=PASSWORD)


def test_a_profile_1_charger_connects_as_before_with_or_without_the_proxy(tls, acme):
    charger_register(organisation=acme, charge_box_id="CP-1", password=PASSWORD)
    with strict_charger(f"ws://127.0.0.1:{tls['server'].port}/ocpp", "CP-1", password=PASSWORD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    with strict_charger(tls["proxy"].wss, "CP-1", tls=client_tls(tls), password=PASSWORD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})


def test_an_operator_sets_the_profile_over_the_api_and_the_next_connection_meets_it(tls, acme, acme_key):
    charger_register(organisation=acme, charge_box_id="CP-1", password=PASSWORD)
    url = f"{tls['server'].http}/api/v1/chargers/CP-1/security-profile"
    headers = {"X-API-Key": acme_key}
    assert requests.get(url, headers=headers).json()["securityProfile"] == 1
    refused = requests.put(url, json={"securityProfile": 4}, headers=headers)
    assert refused.status_code == 400 and "securityProfile" in refused.text
    assert requests.put(url, json={"securityProfile": 3}, headers=headers).json() == {"securityProfile": 3}
    with pytest.raises(Refused):
        RpcCharger(f"ws://127.0.0.1:{tls['server'].port}/ocpp", "CP-1", password=PASSWORD)
    with strict_charger(tls["proxy"].wss, "CP-1", tls=client_tls(tls, "CP-1")) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
