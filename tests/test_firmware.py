"""Firmware updates as tracked jobs: statuses from the charger, the boot that confirms the version,
a TriggerMessage for a silent charger and a deadline."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

FIRMWARE = "https://firmware.example.com/v2.bin"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def boot(cp, version: str) -> None:
    cp.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22", "firmwareVersion": version})


def jobs(api) -> list[dict]:
    answer = api.get(f"{api.base}/chargers/CP-1/firmware")
    assert answer.status_code == 200, answer.text
    return answer.json()["jobs"]


def update(api, cp, retrieve: datetime) -> dict:
    cp.respond("UpdateFirmware", {})
    answer = api.post(
        f"{api.base}/chargers/CP-1/firmware/update",
        json={"location": FIRMWARE, "retrieveDate": iso(retrieve), "retries": 2, "retryInterval": 30},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_it_follows_an_update_through_its_statuses_to_the_boot_that_confirms_the_new_version(background, bg_api,
                                                                                            charger):  # fmt: skip
    soon = datetime.now(UTC) + timedelta(minutes=5)
    with strict_charger(background.ws, "CP-1") as cp:
        boot(cp, "1.0")
        sent = update(bg_api, cp, soon)
        assert cp.next_call()["payload"]["location"] == FIRMWARE
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            cp.call("FirmwareStatusNotification", {"status": status})
        assert jobs(bg_api)[0]["status"] == "Installed"
        boot(cp, "2.0")
    job = jobs(bg_api)[0]
    assert job["status"] == "Confirmed" and job["commandId"] == sent["commandId"]
    assert (job["firmwareVersionBefore"], job["firmwareVersionAfter"]) == ("1.0", "2.0")
    assert [h["status"] for h in job["history"]] == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert (job["location"], job["retries"], job["retryInterval"]) == (FIRMWARE, 2, 30) and job["finishedAt"]


def test_a_boot_with_the_old_version_flags_the_job(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        boot(cp, "1.0")
        update(bg_api, cp, datetime.now(UTC) + timedelta(minutes=5))
        cp.call("FirmwareStatusNotification", {"status": "Installed"})
        boot(cp, "1.0")
    assert jobs(bg_api)[0]["status"] == "VersionUnchanged"


def test_a_failed_download_ends_the_job_and_newer_jobs_come_first(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        update(bg_api, cp, datetime.now(UTC) + timedelta(minutes=5))
        cp.call("FirmwareStatusNotification", {"status": "DownloadFailed"})
        update(bg_api, cp, datetime.now(UTC) + timedelta(minutes=6))
    newest, failed = jobs(bg_api)
    assert failed["status"] == "DownloadFailed" and failed["finishedAt"]
    assert newest["status"] == "Scheduled" and newest["history"] == []


def test_it_asks_a_silent_charger_for_its_status_then_times_the_job_out(background, bg_api, charger):
    # The server runs with CSMS_FIRMWARE_STATUS_WAIT=2 and CSMS_FIRMWARE_JOB_DEADLINE=30.
    with strict_charger(background.ws, "CP-1") as cp:
        update(bg_api, cp, datetime.now(UTC) - timedelta(seconds=25))
        assert cp.next_call()["action"] == "UpdateFirmware"
        cp.respond("TriggerMessage", {"status": "Accepted"})
        trigger = cp.next_call(timeout=15)
        assert trigger["action"] == "TriggerMessage"
        assert trigger["payload"] == {"requestedMessage": "FirmwareStatusNotification"}
        job = eventually(lambda: (j := jobs(bg_api)[0])["status"] == "TimedOut" and j, timeout=20)
    assert job["triggeredAt"] and job["finishedAt"]


def test_a_status_without_a_job_is_still_kept(background, bg_api, charger):
    from chargers.models import FirmwareStatus

    with strict_charger(background.ws, "CP-1") as cp:
        cp.call("FirmwareStatusNotification", {"status": "Idle"})
    assert list(FirmwareStatus.objects.values_list("status", "job")) == [("Idle", None)]


# OCPP 2.0.1: a station reboots into the new firmware before it reports Installed.


def boot_201(cp, version: str, reason: str = "PowerUp") -> None:
    cp.call("BootNotification", {"reason": reason, "chargingStation": {"model": "AC22", "vendorName": "Acme",
                                                                         "firmwareVersion": version}})  # fmt: skip


def update_201(api, cp) -> int:
    cp.respond("UpdateFirmware", {"status": "Accepted"})
    answer = api.post(
        f"{api.base}/chargers/CP-1/firmware/update",
        json={"location": FIRMWARE, "retrieveDate": iso(datetime.now(UTC) + timedelta(minutes=5))},
    )
    assert answer.status_code == 200, answer.text
    assert cp.next_call()["action"] == "UpdateFirmware"
    return answer.json()["requestId"]


def report(cp, request_id: int, *statuses: str) -> None:
    for status in statuses:
        cp.call("FirmwareStatusNotification", {"status": status, "requestId": request_id})


@pytest.mark.parametrize("version_after, final", [("2.0", "Confirmed"), ("1.0", "VersionUnchanged")])
def test_a_2_0_1_station_that_reports_installed_after_its_reboot_ends_the_job(server, api, charger, version_after,
                                                                               final, ocpp2):  # fmt: skip
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        boot_201(cp, "1.0")
        request_id = update_201(api, cp)
        report(cp, request_id, "Downloading", "Downloaded", "Installing", "InstallRebooting")
        assert jobs(api)[0]["status"] == "InstallRebooting"
        boot_201(cp, version_after, reason="FirmwareUpdate")
        report(cp, request_id, "Installed")
    job = jobs(api)[0]
    assert (job["status"], job["firmwareVersionBefore"], job["firmwareVersionAfter"]) == (final, "1.0", version_after)
    assert [h["status"] for h in job["history"]] == [
        "Downloading", "Downloaded", "Installing", "InstallRebooting", "Installed"]  # fmt: skip
    assert job["finishedAt"]


def test_a_boot_before_the_installation_began_does_not_decide_it(server, api, charger, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        boot_201(cp, "1.0")
        request_id = update_201(api, cp)
        report(cp, request_id, "Downloading", "Downloaded")
        boot_201(cp, "1.0")  # a power cut while the station waited to install
        report(cp, request_id, "Installing", "Installed")
        assert jobs(api)[0]["status"] == "Installed"  # waiting for the boot into the new version
        boot_201(cp, "2.0", reason="FirmwareUpdate")
    assert jobs(api)[0]["status"] == "Confirmed"


@pytest.mark.parametrize("statuses, final, open_", [
    (["DownloadScheduled", "Downloading", "DownloadPaused", "Downloading"], "Downloading", True),
    (["Downloaded", "SignatureVerified", "InstallScheduled"], "InstallScheduled", True),
    (["Downloading", "Downloaded", "InvalidSignature"], "InvalidSignature", False),
    (["Downloaded", "Installing", "InstallVerificationFailed"], "InstallVerificationFailed", False),
    (["Downloading", "DownloadFailed"], "DownloadFailed", False),
    (["Downloaded", "Installing", "InstallationFailed"], "InstallationFailed", False),
])  # fmt: skip
def test_the_2_0_1_statuses_keep_the_job_going_or_end_it(server, api, charger, statuses, final, open_, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        report(cp, update_201(api, cp), *statuses)
    job = jobs(api)[0]
    assert job["status"] == final and [h["status"] for h in job["history"]] == statuses
    assert (job["finishedAt"] is None) == open_


@pytest.mark.parametrize("answer", ["Rejected", "InvalidCertificate"])
def test_an_update_the_2_0_1_station_refuses_is_not_sent(server, api, charger, answer, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        cp.respond("UpdateFirmware", {"status": answer})
        sent = api.post(f"{api.base}/chargers/CP-1/firmware/update",
                        json={"location": FIRMWARE, "retrieveDate": iso(datetime.now(UTC))})  # fmt: skip
    assert sent.status_code == 200 and sent.json()["status"] == answer, sent.text
    job = jobs(api)[0]
    assert job["status"] == "NotSent" and job["finishedAt"]
