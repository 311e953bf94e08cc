"""The benchmark's load generator against a live server: what it leaves behind for the next run."""

import json
import subprocess
import sys

from charging.models import Transaction
from tests.conftest import ROOT, database_url, start_server

LOAD = "--register --verify --prefix WIND --chargers 20 --rate 40 --duration 4 --ramp 1 --settle 1 --call-timeout 10"


def test_a_run_leaves_no_session_open_so_the_next_run_has_the_same_mix(transactional_db, tmp_path):
    """A session left open holds its tag (one active session each): the next run against the same
    server (bench/run.sh --step) would get ConcurrentTx for its starts and send no stops."""
    server = start_server(tmp_path)
    try:
        run = subprocess.run(
            [sys.executable, "bench/load.py", "--url", server.ws, *LOAD.split()],
            cwd=ROOT,
            env={"DATABASE_URL": database_url(), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr
    assert "persisted             OK" in run.stdout, run.stdout
    sessions = Transaction.objects.filter(charger__charge_box_id__startswith="WIND-")
    assert sessions.exists()
    assert not sessions.filter(stop_time__isnull=True).exists()


FLEET = (
    "--register --verify --prefix STORM --chargers 20 --duration 14 --ramp 1 --settle 1 --call-timeout 10 --fleet "
    "--heartbeat 2 --meter-interval 1 --session-minutes 0.05:0.1 --storm-at 3 --reconnect-delay 1 "
    "--retry-interval 0.5:1 --source-addresses 2"
)


def test_the_reconnect_storm_kills_the_node_starts_it_again_and_times_every_charger_back(transactional_db, tmp_path):
    """--fleet --storm-at: the fleet mix, the node killed and started again, each charger back and booted."""
    server = start_server(tmp_path)
    out = tmp_path / "results.jsonl"
    restart = f"{sys.executable} -m daphne -b 127.0.0.1 -p {server.port} csms.asgi:application"
    try:
        run = subprocess.run(
            [sys.executable, "bench/load.py", "--url", server.ws, *FLEET.split(), "--server-pid",
             str(server.process.pid), "--restart-cmd", restart, "--json-out", str(out)],
            cwd=ROOT,
            env={"DATABASE_URL": database_url(), "PATH": "/usr/bin:/bin", "CSMS_AUTH_FAILURE_LIMIT": "1000000"},
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        server.process.wait(10)  # killed by the run; the node it started again is stopped by the run
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    storm = result["storm"]
    assert (storm["rebooted"], storm["expected"]) == (20, 20), run.stdout
    assert storm["down_s"] > 0 and storm["all_back_within_s"] is not None, storm
    assert storm["server_log_errors"] == 0, (ROOT / "var" / "bench-restart-0.log").read_text()
    assert result["held"] == 20 and result["errors"]["callerrors"] == 0, run.stdout
    assert result["persisted"]["ok"], result["persisted"]
    by_action = result["latency_by_action_ms"]
    assert by_action["Heartbeat"]["n"] > 0 and by_action["MeterValues"]["n"] > 0, by_action
    assert Transaction.objects.filter(charger__charge_box_id__startswith="STORM-").exists()
