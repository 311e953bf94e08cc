"""?async=true: 202 {commandId} at once, the command runs in the background, GET /commands/{id} tells the end."""

import pytest

from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


def command(api, command_id: str) -> dict:
    answer = api.get(f"{api.base}/commands/{command_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_it_answers_202_at_once_and_the_charger_gets_the_command(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        cp.respond("Reset", {"status": "Accepted"}, delay_ms=3000)
        answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/reset?async=true", json={"type": "Hard"})
        assert answer.status_code == 202 and answer.elapsed.total_seconds() < 2.5, answer.elapsed
        command_id = answer.json()["commandId"]
        assert command(bg_api, command_id)["status"] in ("pending", "sent")
        assert cp.next_call()["payload"] == {"type": "Hard"}
        done = eventually(lambda: (c := command(bg_api, command_id))["status"] == "answered" and c)
    assert done["response"] == {"status": "Accepted"} and done["action"] == "Reset" and done["source"] == "api"


def test_an_async_command_to_an_offline_charger_ends_offline(background, bg_api, charger):
    answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/unlock?async=true", json={"connectorId": 1})
    assert answer.status_code == 202
    done = eventually(lambda: (c := command(bg_api, answer.json()["commandId"]))["status"] == "offline" and c)
    assert done["action"] == "UnlockConnector"


def test_bad_input_is_still_a_400_before_anything_is_queued(background, bg_api, charger):
    answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/reset?async=true", json={"type": "Gentle"})
    assert answer.status_code == 400 and "type" in answer.text


def test_the_generic_command_endpoint_runs_async_too(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        cp.respond("GetLocalListVersion", {"listVersion": 7})
        answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/commands?async=1",
                             json={"action": "GetLocalListVersion", "payload": {}})  # fmt: skip
        assert answer.status_code == 202
        done = eventually(lambda: (c := command(bg_api, answer.json()["commandId"]))["status"] == "answered" and c)
    assert done["response"] == {"listVersion": 7}


def test_another_organisations_async_command_is_not_found(background, bg_api, charger, globex):
    from accounts.models import SCOPES, ApiKey

    answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/reset?async=true", json={"type": "Soft"})
    other = ApiKey.generate(organisation=globex, scopes=list(SCOPES))[1]
    seen = bg_api.get(f"{bg_api.base}/commands/{answer.json()['commandId']}", headers={"X-API-Key": other})
    assert seen.status_code == 404
