"""The REST command reply, checked the same way whichever OCPP version the charger speaks."""

import requests

from commands.models import Command


def post(api, path: str, body: dict | None = None, charge_box_id: str = "CP-1") -> requests.Response:
    return api.post(f"{api.base}/chargers/{charge_box_id}/{path}", json=body if body is not None else {})


def sent_and_answered(api, cp, path, body, action, payload, answer, fields, message) -> Command:
    """POST the command to CP-1, whose charger answers `answer`: the charger got exactly `action` with
    `payload`, the reply has the common fields, `fields` and `message`, and the Command row says so.
    Returns the row."""
    cp.respond(action, answer)
    response = post(api, path, body)
    call = cp.next_call()
    assert (call["action"], call["payload"]) == (action, payload)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply == {
        "chargeBoxId": "CP-1",
        "action": action,
        "commandId": call["messageId"],
        "responseTimeMs": reply["responseTimeMs"],
        "message": message,
        **fields,
        "response": answer,
    }
    row = Command.objects.get(pk=reply["commandId"])
    assert (row.action, row.request, row.status, row.response) == (action, payload, "answered", answer)
    return row
