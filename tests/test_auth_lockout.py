"""Brute force: failed passwords counted per chargeBoxId and per source address; after the limit, refused
before any password is checked, for a cool-down; never a different charger, and the right password again after."""

import asyncio
import base64
import time

import pytest
import websockets

from chargers.services.registry import charger_register
from pki.models import AuthLockout
from tests.conftest import start_server

PASSWORD = "the-right-password"
LIMIT, COOL_DOWN = 3, 3


@pytest.fixture(scope="module")
def guarded(django_db_setup, tmp_path_factory):
    """A server that locks out after 3 failures for 3 seconds."""
    live = start_server(
        tmp_path_factory.mktemp("lockout"), CSMS_AUTH_FAILURE_LIMIT=str(LIMIT),
        CSMS_AUTH_LOCKOUT_SECONDS=str(COOL_DOWN), CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false",
    )  # fmt: skip
    yield live
    live.stop()


async def _attempt(server, charge_box_id: str, password: str, source: str) -> bool:
    """Whether a connection from `source` (a loopback address of its own) with `password` is accepted."""
    token = base64.b64encode(f"{charge_box_id}:{password}".encode()).decode()
    try:
        async with websockets.connect(
            f"ws://127.0.0.1:{server.port}/ocpp/{charge_box_id}", subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"}, local_addr=(source, 0),
        ):  # fmt: skip
            return True
    except websockets.exceptions.InvalidStatus:
        return False


def attempt(server, charge_box_id: str, password: str, source: str) -> bool:
    return asyncio.run(_attempt(server, charge_box_id, password, source))


@pytest.fixture
def chargers(acme):
    return [charger_register(organisation=acme, charge_box_id=f"LOCK-{n}", password=PASSWORD) for n in (1, 2)]


def test_a_charger_hammered_with_wrong_passwords_is_locked_out_then_lets_the_right_one_in(guarded, chargers):
    for _ in range(LIMIT):
        assert not attempt(guarded, "LOCK-1", "guess", "127.0.0.3")
    # Locked out: even the right password from the charger's own address, for the cool-down.
    assert not attempt(guarded, "LOCK-1", PASSWORD, "127.0.0.4")
    assert "chargeBoxId LOCK-1 locked out" in guarded.log.read_text()
    # A different charger from another address is not touched.
    assert attempt(guarded, "LOCK-2", PASSWORD, "127.0.0.5")
    time.sleep(COOL_DOWN + 0.5)
    assert attempt(guarded, "LOCK-1", PASSWORD, "127.0.0.4")
    lockouts = {(lockout.kind, lockout.value): lockout.failures for lockout in AuthLockout.objects.all()}
    assert lockouts == {("chargeBoxId", "LOCK-1"): LIMIT, ("address", "127.0.0.3"): LIMIT}


def test_an_address_guessing_is_locked_out_for_the_names_it_tried_and_blocks_no_other_charger(guarded, chargers):
    for name in ("LOCK-X", "LOCK-Y", "LOCK-1"):  # unknown chargeBoxIds count against the address too
        assert not attempt(guarded, name, "guess", "127.0.0.6")
    assert list(AuthLockout.objects.values_list("kind", "value")) == [("address", "127.0.0.6")]
    # From the locked address, a name it tried is refused unheard, even with the right password...
    assert not attempt(guarded, "LOCK-1", PASSWORD, "127.0.0.6")
    assert "address 127.0.0.6 locked out" in guarded.log.read_text()
    # ...while a different charger behind the same address (a site's NAT, a TLS proxy) is let in.
    assert attempt(guarded, "LOCK-2", PASSWORD, "127.0.0.6")
    assert not attempt(guarded, "LOCK-X", "guess", "127.0.0.6")  # a guessed name is still refused
    time.sleep(COOL_DOWN + 0.5)
    assert attempt(guarded, "LOCK-1", PASSWORD, "127.0.0.6")


def test_the_right_password_forgets_the_chargers_failures(guarded, chargers):
    for _ in range(LIMIT - 1):
        assert not attempt(guarded, "LOCK-1", "guess", "127.0.0.8")
    assert attempt(guarded, "LOCK-1", PASSWORD, "127.0.0.9")
    assert not attempt(guarded, "LOCK-1", "guess", "127.0.0.10")
    assert attempt(guarded, "LOCK-1", PASSWORD, "127.0.0.9")
    assert not AuthLockout.objects.exists()
