"""Periodic sweeps: dead sockets, abandoned commands, history retention; run by the server itself
(embedded) or by Celery beat and a worker (deployment), safely at the same time in several processes."""

import os
import subprocess
import sys
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from chargers.models import Charger, DataTransfer, DiagnosticsJob, StatusNotification
from chargers.services.jobs import diagnostics_job_create, jobs_time_out
from chargers.services.presence import chargers_offline_sweep
from charging.models import MeterValue, Transaction
from charging.services.history import history_prune
from commands.models import Command
from commands.sweeps import commands_abandoned_time_out, commands_prune
from csms.celery import _run_task
from tests.conftest import eventually

LONG_AGO = timedelta(hours=2)


def gone(charger: Charger, channel: str = "specific.gone!1") -> None:
    """A charger whose server process died: still 'connected' there, silent for long."""
    Charger.objects.filter(pk=charger.pk).update(channel_name=channel, last_seen_at=timezone.now() - LONG_AGO)


def test_the_server_marks_offline_a_charger_whose_process_died(background, charger, acme):
    from chargers.services.registry import charger_register

    alive = charger_register(organisation=acme, charge_box_id="CP-ALIVE")
    Charger.objects.filter(pk=alive.pk).update(channel_name="specific.alive!1", last_seen_at=timezone.now())
    gone(charger)
    eventually(lambda: Charger.objects.get(pk=charger.pk).channel_name == "")
    assert Charger.objects.get(pk=charger.pk).disconnected_at is not None
    assert Charger.objects.get(pk=alive.pk).channel_name == "specific.alive!1"


def test_the_server_times_out_commands_a_dead_process_left_pending(background, charger):
    command = Command.objects.create(organisation=charger.organisation, charger=charger, action="Reset",
                                     source=Command.Source.API, status=Command.Status.SENT)  # fmt: skip
    Command.objects.filter(pk=command.pk).update(created_at=timezone.now() - LONG_AGO)
    fresh = Command.objects.create(organisation=charger.organisation, charger=charger, action="Reset",
                                   source=Command.Source.API, status=Command.Status.SENT)  # fmt: skip
    eventually(lambda: Command.objects.get(pk=command.pk).status == Command.Status.TIMEOUT)
    assert "stopped" in Command.objects.get(pk=command.pk).error_description
    assert Command.objects.get(pk=fresh.pk).status == Command.Status.SENT


# The sweeps below run here at a later hour (`now`) instead of on rows made old: the session's live
# servers sweep the same database meanwhile, and would take old rows first.
LATER = timedelta(hours=2)


def test_a_sweep_run_twice_at_once_changes_each_charger_once(charger):
    Charger.objects.filter(pk=charger.pk).update(channel_name="specific.gone!1", last_seen_at=timezone.now())
    later = timezone.now() + LATER
    assert chargers_offline_sweep(now=later) == 1
    assert chargers_offline_sweep(now=later) == 0


def test_a_charger_that_reconnected_meanwhile_stays_online(charger):
    gone(charger)
    # The sweep read the stale row; the charger reconnects before its update lands.
    Charger.objects.filter(pk=charger.pk).update(channel_name="specific.new!2", last_seen_at=timezone.now())
    assert chargers_offline_sweep() == 0
    assert Charger.objects.get(pk=charger.pk).channel_name == "specific.new!2"


def test_abandoned_commands_are_timed_out_once(charger):
    command = Command.objects.create(organisation=charger.organisation, charger=charger, action="Reset",
                                     source=Command.Source.API)  # fmt: skip
    later = timezone.now() + LATER
    assert commands_abandoned_time_out(now=later) == 1 and commands_abandoned_time_out(now=later) == 0
    assert Command.objects.get(pk=command.pk).status == Command.Status.TIMEOUT


def history(charger, age: timedelta) -> None:
    at = timezone.now() - age
    StatusNotification.objects.create(charger=charger, connector_id=1, status="Available", error_code="NoError",
                                      received_at=at)  # fmt: skip
    closed = Transaction.objects.create(charger=charger, ocpp_id=f"c{age.days}", connector_id=1, id_tag="T",
                                        meter_start=0, start_time=at, stop_time=at)  # fmt: skip
    open_ = Transaction.objects.create(charger=charger, ocpp_id=f"o{age.days}", connector_id=2, id_tag="T",
                                       meter_start=0, start_time=at)  # fmt: skip
    for session in (closed, open_):
        MeterValue.objects.create(charger=charger, connector_id=1, transaction=session, timestamp=at, value="1")
    DataTransfer.objects.create(charger=charger, direction="incoming", vendor_id="v", created_at=at)
    command = Command.objects.create(organisation=charger.organisation, charger=charger, action="Reset",
                                     source=Command.Source.API, status=Command.Status.ANSWERED)  # fmt: skip
    Command.objects.filter(pk=command.pk).update(created_at=at)


def test_history_older_than_the_retention_is_pruned_but_open_sessions_keep_their_meter_values(charger, settings):
    settings.CSMS_HISTORY_RETENTION_DAYS = 30
    history(charger, timedelta(days=40))
    history(charger, timedelta(days=10))
    assert history_prune() == {"statusNotifications": 1, "meterValues": 1, "dataTransfers": 1}
    assert commands_prune() == 1
    assert StatusNotification.objects.count() == 1 and DataTransfer.objects.count() == 1
    assert MeterValue.objects.count() == 3  # the recent two, and the old one of the open session
    assert Command.objects.count() == 1


def test_a_retention_of_zero_keeps_everything(charger, settings):
    settings.CSMS_HISTORY_RETENTION_DAYS = 0
    history(charger, timedelta(days=4000))
    assert history_prune() == {} and commands_prune() == 0
    assert StatusNotification.objects.count() == 1 and MeterValue.objects.count() == 2


def test_a_diagnostics_job_past_its_deadline_times_out_unless_its_file_came(charger, settings):
    settings.CSMS_DIAGNOSTICS_JOB_DEADLINE = 60
    silent, _ = diagnostics_job_create(charger=charger, location=None)
    received, _ = diagnostics_job_create(charger=charger, location=None)
    DiagnosticsJob.objects.filter(pk=received.pk).update(uploaded_at=timezone.now())
    later = timezone.now() + LATER
    assert jobs_time_out(now=later) == 2 and jobs_time_out(now=later) == 0
    assert DiagnosticsJob.objects.get(pk=silent.pk).status == "TimedOut"
    assert DiagnosticsJob.objects.get(pk=received.pk).status == "Uploaded"


def test_a_scheduled_task_no_app_registers_is_skipped(transactional_db, settings):
    assert settings.CELERY_BEAT_SCHEDULE["reservations-expire"]["task"] == "chargers.tasks.reservations_expire"
    _run_task("chargers.tasks.not_written_yet", (), {})  # logged once, never raised


def test_every_sweep_in_the_schedule_runs(charger):
    from csms.celery import _task

    for name in ("chargers.tasks.chargers_offline_sweep", "commands.tasks.commands_abandoned_sweep",
                 "commands.tasks.jobs_follow_up", "commands.tasks.fleet_jobs_resume", "chargers.tasks.history_prune",
                 "commands.tasks.commands_prune", "webhooks.tasks.deliveries_prune"):  # fmt: skip
        assert _task(name).apply().successful(), name


FIRST_TICK = """
import threading, django
django.setup()
from django.conf import settings
from csms.celery import _task
names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
barrier = threading.Barrier(len(names))
missing = []
def look(name):
    barrier.wait()
    if _task(name) is None:
        missing.append(name)
threads = [threading.Thread(target=look, args=(name,)) for name in names]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(sorted(missing))
"""


def printed_in_a_fresh_process(code: str, **environment) -> str:
    """The last line `code` prints, run by a new interpreter with the project's settings."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "csms.settings", "PYTHONPATH": str(settings.BASE_DIR),
                   **environment}  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_the_first_tick_of_the_embedded_beat_finds_every_scheduled_task():
    # Every entry of the schedule is looked up at once, on threads of its own, in a fresh process.
    assert printed_in_a_fresh_process(FIRST_TICK) == "[]"


AT_START = """
import sys
import csms.asgi
from django.conf import settings
print(sorted({entry["task"].rpartition(".")[0] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - set(sys.modules)))
"""


def test_an_embedded_server_imports_its_tasks_at_start_not_in_its_first_sweep():
    assert printed_in_a_fresh_process(AT_START, REDIS_URL="") == "[]"
