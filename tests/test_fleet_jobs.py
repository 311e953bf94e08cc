"""Fleet jobs: one command on many chargers with a concurrency limit, each charger's outcome, progress."""

import json
import time

import pytest

from chargers.models import Charger
from chargers.services.registry import charger_register
from commands.models import FleetJob
from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger
from tests.test_admin_commands import operator  # noqa: F401 (a fixture)

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


# A mixed fleet: each charger is sent the command in its own OCPP version.

FIRMWARE = "https://firmware.example.com/v2.bin"


@pytest.fixture
def mixed(acme):
    for name in ("MX-16", "MX-201"):
        charger_register(organisation=acme, charge_box_id=name)
    Charger.objects.filter(charge_box_id__startswith="MX-").update(vendor="Mixed")


def firmware_jobs(api, charge_box_id: str) -> list[dict]:
    return api.get(f"{api.base}/chargers/{charge_box_id}/firmware").json()["jobs"]


def test_a_reset_job_reaches_a_mixed_fleet_in_each_chargers_version(background, bg_api, mixed):
    with strict_charger(background.ws, "MX-16") as old, \
            strict_charger(background.ws, "MX-201", protocol="ocpp2.0.1") as new:  # fmt: skip
        new.respond("Reset", {"status": "Scheduled"})
        created = bg_api.post(f"{bg_api.base}/fleet-jobs", json={
            "command": "reset", "payload": {"type": "Soft"}, "filter": {"vendor": "Mixed"}}).json()  # fmt: skip
        done = finished(bg_api, created["id"])
        assert (old.next_call()["payload"], new.next_call()["payload"]) == ({"type": "Soft"}, {"type": "OnIdle"})
    assert (done["total"], done["done"], done["failed"]) == (2, 2, 0)
    answers = {r["chargeBoxId"]: r["answer"] for r in done["results"]}
    assert (answers["MX-16"]["action"], answers["MX-16"]["status"]) == ("Reset", "Accepted")
    assert (answers["MX-201"]["action"], answers["MX-201"]["status"]) == ("Reset", "Scheduled")
    assert answers["MX-201"]["message"] == "Soft reset scheduled by charger"


def test_a_firmware_job_reaches_a_mixed_fleet_and_each_update_is_followed_in_its_version(background, bg_api, mixed):
    with strict_charger(background.ws, "MX-16") as old, \
            strict_charger(background.ws, "MX-201", protocol="ocpp2.0.1") as new:  # fmt: skip
        old.call("BootNotification", {"chargePointVendor": "Mixed", "chargePointModel": "A", "firmwareVersion": "1.0"})
        new.call("BootNotification", {"reason": "PowerUp", "chargingStation": {
            "vendorName": "Mixed", "model": "B", "firmwareVersion": "1.0"}})  # fmt: skip
        payload = {"location": FIRMWARE, "retrieveDate": "2030-01-01T02:00:00Z", "retries": 2}
        created = bg_api.post(f"{bg_api.base}/fleet-jobs", json={
            "command": "firmware/update", "chargeBoxIds": ["MX-16", "MX-201"], "payload": payload}).json()  # fmt: skip
        done = finished(bg_api, created["id"])
        assert old.next_call()["payload"] == {
            "location": FIRMWARE,
            "retrieveDate": "2030-01-01T02:00:00Z",
            "retries": 2,
        }
        sent = new.next_call()["payload"]
        assert sent == {"requestId": sent["requestId"], "retries": 2,
                        "firmware": {"location": FIRMWARE, "retrieveDateTime": "2030-01-01T02:00:00Z"}}  # fmt: skip
        assert (done["done"], done["failed"]) == (2, 0)
        answers = {r["chargeBoxId"]: r["answer"] for r in done["results"]}
        assert answers["MX-201"]["requestId"] == sent["requestId"] and answers["MX-201"]["status"] == "Accepted"

        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            old.call("FirmwareStatusNotification", {"status": status})
        old.call("BootNotification", {"chargePointVendor": "Mixed", "chargePointModel": "A", "firmwareVersion": "2.0"})
        # 2.0.1 has statuses of its own: the signature checked, the reboot announced.
        for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting", "Installed"):
            new.call("FirmwareStatusNotification", {"status": status, "requestId": sent["requestId"]})
        new.call("BootNotification", {"reason": "FirmwareUpdate", "chargingStation": {
            "vendorName": "Mixed", "model": "B", "firmwareVersion": "2.0"}})  # fmt: skip
    for name in ("MX-16", "MX-201"):
        [job] = firmware_jobs(bg_api, name)
        assert (job["status"], job["firmwareVersionAfter"]) == ("Confirmed", "2.0"), name
    [job] = firmware_jobs(bg_api, "MX-201")
    assert [h["status"] for h in job["history"]] == [
        "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting", "Installed"]  # fmt: skip


def test_a_2_0_1_update_that_fails_its_checks_or_is_refused_ends_its_job(background, bg_api, mixed):
    update = {"location": FIRMWARE, "retrieveDate": "2030-01-01T02:00:00Z"}
    with strict_charger(background.ws, "MX-201", protocol="ocpp2.0.1") as new:
        for failure in ("InvalidSignature", "InstallVerificationFailed"):
            assert bg_api.post(f"{bg_api.base}/chargers/MX-201/firmware/update", json=update).status_code == 200
            request_id = new.next_call()["payload"]["requestId"]
            new.call("FirmwareStatusNotification", {"status": "Downloaded", "requestId": request_id})
            new.call("FirmwareStatusNotification", {"status": failure, "requestId": request_id})
            job = firmware_jobs(bg_api, "MX-201")[0]
            assert (job["status"], bool(job["finishedAt"])) == (failure, True)
            assert job["history"][-1]["status"] == failure

        new.respond("UpdateFirmware", {"status": "InvalidCertificate"})
        refused = bg_api.post(f"{bg_api.base}/chargers/MX-201/firmware/update", json=update)
        new.next_call()
        assert refused.status_code == 200 and refused.json()["status"] == "InvalidCertificate"
    job = firmware_jobs(bg_api, "MX-201")[0]
    assert (job["status"], bool(job["finishedAt"])) == ("NotSent", True)


def test_a_console_fleet_job_keeps_its_operator_on_each_command_it_sends(background, acme, operator):  # noqa: F811
    from commands.models import Command
    from tests.test_admin_commands import Browser

    for n in range(1, 7):  # six: more than CSMS_CONSOLE_FLEET_JOB_THRESHOLD (5)
        charger_register(organisation=acme, charge_box_id=f"CP-{n}")
    ids = ",".join(str(pk) for pk in Charger.objects.values_list("pk", flat=True))
    with strict_charger(background.ws, "CP-1") as one:
        one.respond("Reset", {"status": "Accepted"})
        page = Browser(background, "olga").post(f"/admin/chargers/charger/bulk/reset/?ids={ids}", {"type": "Soft"})
        assert "/admin/commands/fleetjob/" in page.url, page.text
        job = eventually(lambda: FleetJob.objects.filter(status=FleetJob.Status.FINISHED).first(), timeout=30)
        assert one.next_call()["payload"] == {"type": "Soft"}
    assert job.user == operator
    sent = Command.objects.filter(requested_by__startswith=f"fleet job {job.pk} ")
    assert sent.filter(charger__charge_box_id="CP-1").exists()
    assert {(command.source, command.user_id) for command in sent} == {(Command.Source.TASK, operator.pk)}
