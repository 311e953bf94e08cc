"""Fleet jobs: one command on many chargers with a concurrency limit, each charger's outcome, progress."""

import json
import time

import pytest

from chargers.models import Charger
from chargers.services.registry import charger_register
from commands.models import FleetJob
from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


@pytest.fixture
def fleet(acme):
    for n in (1, 2, 3):
        charger_register(organisation=acme, charge_box_id=f"CP-{n}")
    Charger.objects.filter(charge_box_id__in=["CP-1", "CP-2"]).update(vendor="Acme", model="AC22")
    Charger.objects.filter(charge_box_id="CP-3").update(vendor="Other")


def job(api, job_id: int) -> dict:
    return api.get(f"{api.base}/fleet-jobs/{job_id}").json()


def finished(api, job_id: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while (state := job(api, job_id))["status"] != "finished" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state["status"] == "finished", json.dumps(state)
    return state


def test_it_runs_the_command_on_every_named_charger_and_keeps_each_outcome(background, bg_api, fleet):
    with strict_charger(background.ws, "CP-1") as one, strict_charger(background.ws, "CP-2") as two:
        one.respond("Reset", {"status": "Accepted"})
        two.respond("Reset", {"status": "Rejected"})
        created = bg_api.post(f"{bg_api.base}/fleet-jobs", json={
            "command": "reset", "payload": {"type": "Soft"}, "chargeBoxIds": ["CP-1", "CP-2", "CP-3"],
            "concurrency": 2})  # fmt: skip
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["total"] == 3 and body["status"] == "running"
        done = finished(bg_api, body["id"])
        assert one.next_call()["payload"] == {"type": "Soft"} and two.next_call()["action"] == "Reset"
    assert (done["done"], done["failed"]) == (2, 1)
    results = {r["chargeBoxId"]: r for r in done["results"]}
    assert results["CP-1"]["answer"]["status"] == "Accepted" and results["CP-2"]["answer"]["status"] == "Rejected"
    assert results["CP-3"]["status"] == "failed" and results["CP-3"]["errorCode"] == "charge_point_offline"
    assert bg_api.get(f"{bg_api.base}/fleet-jobs").json()["fleetJobs"][0]["id"] == body["id"]


def test_it_chooses_chargers_by_filter_and_never_runs_more_than_the_concurrency(background, bg_api, fleet):
    with strict_charger(background.ws, "CP-1") as one, strict_charger(background.ws, "CP-2") as two:
        for cp in (one, two):
            cp.respond("ChangeConfiguration", {"status": "Accepted"}, delay_ms=800)
        created = bg_api.post(f"{bg_api.base}/fleet-jobs", json={
            "command": "configuration/change", "payload": {"key": "HeartbeatInterval", "value": "600"},
            "filter": {"vendor": "Acme", "model": "AC22"}, "concurrency": 1}).json()  # fmt: skip
        assert created["total"] == 2
        eventually(lambda: one.calls.qsize() + two.calls.qsize() >= 1)
        # While the first charger takes its time (0.8 s), the second is not asked yet.
        time.sleep(0.4)
        assert one.calls.qsize() + two.calls.qsize() == 1
        done = finished(bg_api, created["id"])
    assert (done["done"], done["failed"]) == (2, 0)
    starts = sorted(FleetJob.objects.get(pk=created["id"]).targets.values_list("started_at", "finished_at"))
    assert starts[1][0] >= starts[0][1]


def test_it_checks_the_payload_with_the_commands_own_rules(bg_api, fleet):
    answer = bg_api.post(f"{bg_api.base}/fleet-jobs", json={
        "command": "firmware/update", "payload": {"location": "not a url"}, "chargeBoxIds": ["CP-1"]})  # fmt: skip
    assert answer.status_code == 400 and "payload.location" in answer.text
    answer = bg_api.post(f"{bg_api.base}/fleet-jobs", json={
        "command": "firmware/update", "payload": {"location": "https://fw.example.com/v2.bin"},
        "chargeBoxIds": ["CP-1"]})  # fmt: skip
    assert answer.status_code == 400 and "payload.retrieveDate" in answer.text
    answer = bg_api.post(
        f"{bg_api.base}/fleet-jobs", json={"command": "explode", "payload": {}, "chargeBoxIds": ["CP-1"]}
    )
    assert answer.status_code == 400 and "command" in answer.text
    answer = bg_api.post(f"{bg_api.base}/fleet-jobs", json={"command": "reset", "payload": {"type": "Soft"},
                                                            "chargeBoxIds": ["CP-1", "CP-404"]})  # fmt: skip
    assert answer.status_code == 400 and "CP-404" in answer.text
    answer = bg_api.post(f"{bg_api.base}/fleet-jobs", json={"command": "reset", "payload": {"type": "Soft"}})
    assert answer.status_code == 400 and "chargeBoxIds" in answer.text
