"""The layout holds: the rooms import one way, and a database of the old layout migrates with nothing lost."""

import json
import subprocess
import sys
import uuid

import psycopg
import pytest
import requests
from django.db import connection

from tests.conftest import ROOT


def test_the_rooms_import_one_way_only():
    """import-linter's contracts (.importlinter): a new import from a lower room to a higher one fails here."""
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_bookmarked_admin_page_of_a_moved_model_leads_to_its_new_place(server):
    answer = requests.get(f"{server.http}/admin/chargers/transaction/?q=1794512337", allow_redirects=False, timeout=10)
    assert (answer.status_code, answer.headers["Location"]) == (302, "/admin/charging/transaction/?q=1794512337")
    answer = requests.get(f"{server.http}/admin/chargers/installedchargingprofile/", allow_redirects=False, timeout=10)
    assert answer.headers["Location"] == "/admin/smart_charging/installedchargingprofile/"
    # Chargers and sites did not move.
    assert requests.get(f"{server.http}/admin/chargers/site/", allow_redirects=False, timeout=10).status_code == 302
    assert "/admin/login/" in requests.get(f"{server.http}/admin/chargers/site/", timeout=10).url


@pytest.fixture
def empty_database(tmp_path):
    """A new database on the engine of this pass of the suite: a SQLite file, or a PostgreSQL database."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'old-layout.sqlite3'}"
        return
    settings = connection.settings_dict
    name = f"csms_migration_{uuid.uuid4().hex[:8]}"
    server = dict(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, user=settings["USER"])
    with psycopg.connect(dbname="postgres", autocommit=True, password=settings["PASSWORD"] or None, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, password=settings["PASSWORD"] or None, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_populated_database_of_the_old_layout_migrates_with_nothing_lost(empty_database):
    result = subprocess.run(
        [sys.executable, "-m", "tests.migration_forward"],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": empty_database}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["counts"] == {
        "IdTag": 2, "Transaction": 1, "MeterValue": 3, "TransactionEvent": 1, "Reservation": 1, "UnmatchedStop": 1,
        "ChargerLocalList": 1, "InstalledChargingProfile": 1,
    }  # fmt: skip
    assert found["session"] == ["CP-MIGRATE", 1000, 13500, 12500]
    assert found["meter_values"] == ["1000", "1100", "1200"]
    assert found["child_of"] == "RFID-1"
    assert found["profile_limit"] == 16
    assert found["reservation_session"] == "1794512337"
    # The permission operators were given, and the admin's history, followed the model.
    assert found["alice_may_view_sessions"] is True
    assert found["log_entry_points_at"] == ["charging", "1794512337"]
