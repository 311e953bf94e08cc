"""Connecting and misbehaving, seen from ocpp-rpc in strict mode (test_connection.py and
test_framing.py cover the same ground with a bare WebSocket client)."""

import pytest

from chargers.models import Charger, UnknownCharger
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger

pytestmark = pytest.mark.node


def test_it_refuses_and_records_an_unknown_charger(server, acme):
    with pytest.raises(Refused):
        RpcCharger(server.ws, "STRANGER-RPC")
    assert UnknownCharger.objects.get(charge_box_id="STRANGER-RPC").attempts == 1


def test_it_refuses_a_charger_offering_only_an_unsupported_version(server, charger):
    with pytest.raises(Refused):
        RpcCharger(server.ws, "CP-1", protocol="ocpp1.5")


@pytest.mark.parametrize("password", [None, "wrong-password"])
def test_it_refuses_a_protected_charger_without_its_password(server, locked_charger, password):
    with pytest.raises(Refused):
        RpcCharger(server.ws, "CP-LOCKED", password=password)
    assert not Charger.objects.get(pk=locked_charger.pk).is_online


def test_it_accepts_a_protected_charger_with_its_password(server, locked_charger):
    with strict_charger(server.ws, "CP-LOCKED", password="s3cret-password") as cp:
        assert cp.protocol == "ocpp1.6"
        assert "currentTime" in cp.call("Heartbeat", {})
        assert Charger.objects.get(pk=locked_charger.pk).is_online


def test_a_second_connection_replaces_the_first(server, charger):
    with strict_charger(server.ws, "CP-1") as first:
        first.call("Heartbeat", {})
        with strict_charger(server.ws, "CP-1") as second:
            assert first.close_code() == 4000
            assert "currentTime" in second.call("Heartbeat", {})
            assert Charger.objects.get(pk=charger.pk).is_online


BAD_FRAMES = [
    ('[2,"r1","Heartbeat",{', "FormationViolation"),
    ('[2,"r2","Heartbeat"]', "ProtocolError"),
    ('[2,"r3","MakeCoffee",{}]', "NotImplemented"),
    ('[2,"r4","BootNotification",{"chargePointModel":"M"}]', "OccurenceConstraintViolation"),
    ('[2,"r5","StatusNotification",{"connectorId":"1","status":"Available","errorCode":"NoError"}]',
     "TypeConstraintViolation"),
    ('[2,"r6","StatusNotification",{"connectorId":1,"status":"Sleeping","errorCode":"NoError"}]',
     "PropertyConstraintViolation"),
    ('[2,"r7","Heartbeat",{"extra":true}]', "FormationViolation"),
]  # fmt: skip


def test_it_answers_each_bad_frame_with_a_callerror_and_stays_up(server, charger):
    with strict_charger(server.ws, "CP-1") as cp:
        for number, (frame, code) in enumerate(BAD_FRAMES, start=1):
            cp.raw(frame)
            assert cp.raw_answer(f"r{number}")[:3] == [4, f"r{number}", code], frame
        assert "currentTime" in cp.call("Heartbeat", {})
        assert not any(e["event"] == "close" for e in cp.events)
