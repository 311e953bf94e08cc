"""A silent log or signed-firmware job of a 1.6 Security Whitepaper charger is followed up with
ExtendedTriggerMessage, the whitepaper's trigger for LogStatusNotification and SignedFirmwareStatusNotification;
a plain firmware job and any 2.0.1 job keep TriggerMessage."""

import queue
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.utils import timezone

from chargers.models import DiagnosticsJob, FirmwareJob
from chargers.services.jobs import firmware_job_create, jobs_to_ask
from commands.models import Command
from commands.tasks import follow_up_of, jobs_follow_up
from tests.conftest import FAST, eventually, start_server
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def follow_ups(django_db_setup, tmp_path_factory):
    """A server that asks about silent jobs before any other sweeper of the suite's database does.

    The suite's `background` server and Celery beat sweep the same database with FAST (firmware jobs 2 s after
    their retrieveDate, logs 30 s after they began) through other channel layers, whence this server's chargers
    cannot be reached: a job they claim first is never asked about here. So this one asks about firmware jobs
    from 60 s before their retrieveDate (which the tests set 30 s ahead) and about logs after 2 s."""
    waits = {
        "CSMS_FIRMWARE_STATUS_WAIT": "-60",
        "CSMS_DIAGNOSTICS_STATUS_WAIT": "2",
        "CSMS_FIRMWARE_JOB_DEADLINE": "300",
    }
    live = start_server(tmp_path_factory.mktemp("follow-ups"), REDIS_URL="", **{**FAST, **waits})
    yield live
    live.stop()


@pytest.fixture
def api(follow_ups, acme_key):
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{follow_ups.http}/api/v1"
    return session


def signed_firmware() -> dict:
    # Retrieved in 30 s: due at once for this module's server, not yet for the suite's other sweepers.
    retrieve = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    return {"location": "https://fw.example.com/7.bin", "retrieveDate": retrieve, "signingCertificate": PEM,
            "signature": "MEUCIQ=="}  # fmt: skip


def plain_firmware() -> dict:
    return {"location": "https://fw.example.com/7.bin", "retrieveDate": signed_firmware()["retrieveDate"]}


CASES = [
    ("ocpp1.6", "firmware/signed", signed_firmware, "SignedUpdateFirmware", {"status": "Accepted"},
     "ExtendedTriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}),
    ("ocpp1.6", "log", lambda: {"logType": "SecurityLog"}, "GetLog", {"status": "Accepted", "filename": "s.log"},
     "ExtendedTriggerMessage", {"requestedMessage": "LogStatusNotification"}),
    ("ocpp1.6", "firmware/update", plain_firmware, "UpdateFirmware", {},
     "TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}),
    ("ocpp2.0.1", "firmware/signed", signed_firmware, "UpdateFirmware", {"status": "Accepted"},
     "TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}),
    ("ocpp2.0.1", "log", lambda: {"logType": "SecurityLog"}, "GetLog", {"status": "Accepted", "filename": "s.log"},
     "TriggerMessage", {"requestedMessage": "LogStatusNotification"}),
]  # fmt: skip


@pytest.mark.parametrize(("protocol", "path", "body", "action", "answer", "trigger", "asked"), CASES)
def test_a_silent_jobs_charger_is_asked_with_its_versions_trigger(
    follow_ups, api, charger, protocol, path, body, action, answer, trigger, asked
):
    with strict_charger(follow_ups.ws, "CP-1", protocol=protocol) as cp:
        cp.respond(action, answer)
        cp.respond(trigger, {"status": "Accepted"})
        reply = api.post(f"{api.base}/chargers/CP-1/{path}", json=body())
        assert reply.status_code == 200, reply.text
        assert cp.next_call()["action"] == action
        try:
            follow_up = cp.next_call(timeout=30)
        except queue.Empty:
            pytest.fail(f"no follow-up came; the jobs as the server left them: {jobs_seen(charger)}")
    assert (follow_up["action"], follow_up["payload"]) == (trigger, asked)


def jobs_seen(charger) -> list[dict]:
    fields = ["status", "command_id", "retrieve_date", "triggered_at", "last_status_at", "finished_at", "refusal"]
    firmware = list(FirmwareJob.objects.filter(charger=charger).values(*fields))
    return firmware + list(DiagnosticsJob.objects.filter(charger=charger).values(*fields[:2], *fields[3:]))


def test_a_job_whose_command_is_not_answered_yet_is_not_asked_about(charger):
    """Its answer may still come: a follow-up then would race it (and could not know which trigger the job needs)."""
    retrieved = timezone.now() - timedelta(hours=1)
    job = firmware_job_create(charger=charger, location="https://fw.example.com/7.bin", retrieve_date=retrieved,
                              retries=None, retry_interval=None)  # fmt: skip
    assert jobs_to_ask() == []
    job.command = Command.objects.create(
        organisation=charger.organisation, charger=charger, action="SignedUpdateFirmware", source="api"
    )
    job.save()
    # As below: the suite's other sweepers may hold it for a moment (they cannot reach the charger either).
    claimed = eventually(lambda: jobs_to_ask(), timeout=10, interval=0.05)
    assert [(j.pk, follow_up_of(j)) for j in claimed] == [(job.pk, ("extended_trigger", "FirmwareStatusNotification"))]


def test_a_follow_up_that_could_not_reach_its_charger_is_asked_again_later(charger):
    """Not connected to the process that swept (offline, or its socket held by another server): the job is not
    spent on a question never asked."""
    retrieved = timezone.now() - timedelta(hours=1)
    job = firmware_job_create(charger=charger, location="https://fw.example.com/7.bin", retrieve_date=retrieved,
                              retries=None, retry_interval=None)  # fmt: skip
    job.command = Command.objects.create(
        organisation=charger.organisation, charger=charger, action="UpdateFirmware", source="api"
    )
    job.save()
    jobs_follow_up()
    # The suite's other sweepers (the background server's) may hold the job for a moment in their own
    # sweeps, which cannot reach the charger either and let it go again: the next sweep here claims it.
    claimed = eventually(lambda: [j.pk for j in jobs_to_ask()], timeout=10, interval=0.05)
    assert claimed == [job.pk]
