"""The benchmark's load generator against a live server: what it leaves behind for the next run."""

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
