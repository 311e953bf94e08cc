"""A PostgreSQL cluster and a Redis server of a test's own, that it may stop, kill and restart.

The machine's PostgreSQL (5432) and Redis (6379) serve every other test and engineer;
fault tests never touch them. These run on free ports in a temp directory.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT, free_port

PG_BIN = Path(os.environ.get("CSMS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def available() -> str | None:
    """Why private services cannot run here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (set CSMS_PG_BIN)"
    if shutil.which("redis-server") is None:
        return "no redis-server on PATH"
    return None


def require() -> None:
    reason = available()
    if reason:
        if os.environ.get("CSMS_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"CSMS_REQUIRE_SERVICES is set but {reason}")
        pytest.skip(reason)


class PrivatePostgres:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="csms-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/csms"
        subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N"]),
            check=True,
            capture_output=True,
        )
        self.start()
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as db:
            db.execute("CREATE DATABASE csms")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.dir / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            capture_output=True,
        )

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.url) as db:
            return db.execute(sql, params).fetchall()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            if (
                subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip()
                == b"PONG"
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def manage(database_url: str, *args: str, **env: str) -> str:
    """`manage.py <args>` against a private database; its stdout."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed: {result.stderr}")
    return result.stdout


SEED = """
import json
from accounts.models import SCOPES, ApiKey
from accounts.services import organisation_get_or_create
from chargers.services.registry import charger_register
org = organisation_get_or_create(name="Acme")
for charge_box_id in {ids!r}:
    charger_register(organisation=org, charge_box_id=charge_box_id)
print(json.dumps({{"key": ApiKey.generate(organisation=org, scopes=list(SCOPES))[1]}}))
"""


def seed(database_url: str, charge_box_ids: list[str]) -> str:
    """Register the chargers with Acme in a private database; an API key of Acme's."""
    output = manage(database_url, "shell", "-c", SEED.format(ids=charge_box_ids))
    return json.loads(output.strip().splitlines()[-1])["key"]
