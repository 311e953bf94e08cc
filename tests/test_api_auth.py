"""API keys, scopes and the one error format, over real HTTP."""

import pytest
import requests

from accounts.models import ApiKey
from chargers.models import Charger

READ, WRITE = "read:charge_points", "write:charge_points"

# Every endpoint of the charger API, with a body where it takes one.
ENDPOINTS = [
    ("get", "chargers", None),
    ("post", "chargers", {"chargeBoxId": "CP-NEW"}),
    ("get", "chargers/CP-1", None),
    ("patch", "chargers/CP-1", {"name": "x"}),
    ("delete", "chargers/CP-1", None),
    ("get", "chargers/CP-1/connectors/1/status", None),
    ("get", "chargers/CP-1/transactions", None),
    ("get", "status", None),
]


def key_for(organisation, scopes) -> str:
    return ApiKey.generate(organisation=organisation, scopes=scopes)[1]


def call(server, method, path, body=None, headers=None):
    return requests.request(method, f"{server.http}/api/v1/{path}", json=body, headers=headers or {})


def error_of(response) -> tuple[int, str, str]:
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return response.status_code, body["error"]["code"], body["error"]["message"]


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_it_refuses_a_request_without_a_key(server, charger, method, path, body):
    response = call(server, method, path, body)
    status, code, message = error_of(response)
    assert (status, code) == (401, "unauthorized")
    assert "X-API-Key" in message
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert registered("CP-1") and not registered("CP-NEW")


def registered(charge_box_id: str) -> bool:
    return Charger.objects.filter(charge_box_id=charge_box_id).exists()


@pytest.mark.parametrize(
    "key",
    [
        "not-a-key",
        "csms_abcdefgh_whatever",  # well-formed, unknown prefix
        "csms_" + "x" * 60,
    ],
)
def test_it_refuses_an_invalid_key(server, acme, key):
    response = call(server, "get", "chargers", headers={"X-API-Key": key})
    assert error_of(response) == (401, "unauthorized", "Invalid or revoked API key.")


def test_it_refuses_a_known_prefix_with_the_wrong_secret(server, acme):
    plain = key_for(acme, [READ])
    forged = plain[: plain.rindex("_") + 1] + "forged-secret"
    assert error_of(call(server, "get", "chargers", headers={"X-API-Key": forged}))[:2] == (401, "unauthorized")


def test_it_accepts_the_key_as_x_api_key_or_bearer_token(server, charger, acme):
    plain = key_for(acme, [READ])
    assert call(server, "get", "chargers/CP-1", headers={"X-API-Key": plain}).status_code == 200
    assert call(server, "get", "chargers/CP-1", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert call(server, "get", "chargers/CP-1", headers={"Authorization": f"bearer {plain}"}).status_code == 200
    basic = call(server, "get", "chargers/CP-1", headers={"Authorization": f"Basic {plain}"})
    assert error_of(basic)[:2] == (401, "unauthorized")


def test_it_refuses_a_revoked_key(server, acme):
    plain = key_for(acme, [READ])
    assert call(server, "get", "chargers", headers={"X-API-Key": plain}).status_code == 200
    ApiKey.objects.filter(organisation=acme).update(revoked=True)
    assert error_of(call(server, "get", "chargers", headers={"X-API-Key": plain}))[:2] == (401, "unauthorized")


def test_it_records_when_a_key_was_last_used(server, acme):
    plain = key_for(acme, [READ])
    assert ApiKey.objects.get(organisation=acme).last_used_at is None
    call(server, "get", "chargers", headers={"X-API-Key": plain})
    assert ApiKey.objects.get(organisation=acme).last_used_at is not None


@pytest.mark.parametrize("method,path,body", [e for e in ENDPOINTS if e[0] != "get"])
def test_a_read_only_key_cannot_write(server, charger, acme, method, path, body):
    headers = {"X-API-Key": key_for(acme, [READ])}
    assert error_of(call(server, method, path, body, headers)) == (
        403,
        "forbidden",
        "This API key lacks the scope write:charge_points.",
    )
    assert registered("CP-1") and not registered("CP-NEW")


@pytest.mark.parametrize("method,path,body", [e for e in ENDPOINTS if e[0] == "get"])
def test_a_write_only_key_cannot_read(server, charger, acme, method, path, body):
    headers = {"X-API-Key": key_for(acme, [WRITE])}
    assert error_of(call(server, method, path, body, headers)) == (
        403,
        "forbidden",
        "This API key lacks the scope read:charge_points.",
    )


def test_a_key_with_both_scopes_reads_and_writes(server, acme):
    headers = {"X-API-Key": key_for(acme, [READ, WRITE])}
    assert call(server, "post", "chargers", {"chargeBoxId": "CP-NEW"}, headers).status_code == 201
    assert call(server, "get", "chargers/CP-NEW", headers=headers).status_code == 200


def test_scopes_are_checked_after_the_key_so_an_unknown_charger_is_still_forbidden(server, acme):
    # A key without the scope learns nothing about which chargers exist.
    headers = {"X-API-Key": key_for(acme, [READ])}
    assert error_of(call(server, "delete", "chargers/CP-NOPE", headers=headers))[:2] == (403, "forbidden")


def test_unknown_api_paths_answer_json_404(api):
    for path in ("nothing-here", "chargers/CP-1/nothing/here", "chargers/", "v2/chargers"):
        response = requests.get(f"{api.base}/{path}", headers=api.headers)
        status, code, message = error_of(response)
        assert (status, code) == (404, "not_found"), path
        assert "No endpoint" in message
    outside = requests.get(f"{api.base.replace('/api/v1', '')}/api/elsewhere")
    assert error_of(outside)[:2] == (404, "not_found")


def test_an_unsupported_method_answers_json_405(api, charger):
    response = api.put(f"{api.base}/chargers/CP-1", json={"name": "x"})
    assert error_of(response)[:2] == (405, "method_not_allowed")


def test_a_body_that_is_not_json_answers_json_415(api, acme):
    response = api.post(f"{api.base}/chargers", data="chargeBoxId=CP-1", headers={"Content-Type": "text/plain"})
    assert error_of(response)[:2] == (415, "unsupported_media_type")


def test_an_unexpected_error_still_answers_in_the_error_format(caplog):
    from csms.errors import exception_handler

    response = exception_handler(RuntimeError("boom"), {"view": None})
    assert response.status_code == 500
    assert response.data == {"error": {"code": "internal_error", "message": "Internal server error."}}
    assert "boom" in caplog.text
