"""Password rotation: a new password sent to the charger in its version's words, ours only once it accepts,
shown once, and never kept in clear (command log, message log, device model)."""

import json
import re

import pytest

from chargers.models import DeviceVariable
from chargers.services.registry import charger_register
from commands.models import Command
from ocpp_ws.message_log import password_hidden
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger
from tests.test_admin_commands import browser, operator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.node

OLD = "the-old-password"


@pytest.fixture
def protected(acme):
    return charger_register(organisation=acme, charge_box_id="CP-PW", password=OLD)


def rotate(api) -> dict:
    answer = api.post(f"{api.base}/chargers/CP-PW/password/rotate")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_1_6_charger_gets_its_new_password_as_authorization_key_and_must_use_it(server, api, protected):
    with strict_charger(server.ws, "CP-PW", password=OLD) as cp:
        cp.respond("ChangeConfiguration", {"status": "Accepted"})
        reply = rotate(api)
        sent = cp.next_call()["payload"]
    new = reply["password"]
    assert sent == {"key": "AuthorizationKey", "value": new} and re.fullmatch(r"[0-9a-f]{40}", new)
    assert reply["status"] == "Accepted" and reply["message"] == "New password accepted by charger"
    with pytest.raises(Refused):
        RpcCharger(server.ws, "CP-PW", password=OLD)
    with strict_charger(server.ws, "CP-PW", password=new) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    command = Command.objects.get(action="ChangeConfiguration")
    assert command.request == {"key": "AuthorizationKey", "value": "********"}


def test_a_2_0_1_station_that_rejects_the_password_keeps_the_old_one(server, api, protected, ocpp2):
    with strict_charger(server.ws, "CP-PW", protocol=ocpp2, password=OLD) as cp:
        cp.respond("SetVariables", {"setVariableResult": [{
            "attributeStatus": "Rejected", "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"}}]})  # fmt: skip
        reply = rotate(api)
        sent = cp.next_call()["payload"]["setVariableData"][0]
    assert sent["component"] == {"name": "SecurityCtrlr"} and sent["variable"] == {"name": "BasicAuthPassword"}
    assert (reply["status"], reply["password"]) == ("Rejected", None)
    with strict_charger(server.ws, "CP-PW", protocol=ocpp2, password=OLD) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})
    assert Command.objects.get().request["setVariableData"][0]["attributeValue"] == "********"


def test_an_accepted_2_0_1_password_is_not_kept_in_the_device_model(server, api, protected, ocpp2):
    with strict_charger(server.ws, "CP-PW", protocol=ocpp2, password=OLD) as cp:
        cp.respond("SetVariables", {"setVariableResult": [{
            "attributeStatus": "Accepted", "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"}}]})  # fmt: skip
        new = rotate(api)["password"]
    assert new and not DeviceVariable.objects.filter(variable="BasicAuthPassword").exists()
    with strict_charger(server.ws, "CP-PW", protocol=ocpp2, password=new) as cp:
        assert "currentTime" in cp.call("Heartbeat", {})


SET_16 = [2, "1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": "s3cret"}]
SET_201 = [2, "2", "SetVariables", {"setVariableData": [
    {"attributeValue": "s3cret", "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}},
]}]  # fmt: skip


@pytest.mark.parametrize("frame", [SET_16, SET_201])
def test_the_message_log_keeps_that_a_password_was_set_never_the_password(frame):
    logged = password_hidden(json.dumps(frame))
    assert "s3cret" not in logged and "********" in logged
    assert password_hidden('[2,"3","Heartbeat",{}]') == '[2,"3","Heartbeat",{}]'


def test_the_admin_rotates_a_password_and_shows_it_once(server, browser, protected):  # noqa: F811
    with strict_charger(server.ws, "CP-PW", password=OLD) as cp:
        cp.respond("ChangeConfiguration", {"status": "Accepted"})
        page = browser.post(
            "/admin/chargers/charger/", {"action": "rotate_password", "_selected_action": [protected.pk]}
        )
        sent = cp.next_call()["payload"]
    assert page.status_code == 200
    assert f"<code>{sent['value']}</code>" in page.text and "New password accepted by charger" in page.text
    assert Command.objects.get().source == "admin"
