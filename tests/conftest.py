"""Shared fixtures: a real daphne server in a subprocess, and the people and chargers tests talk about."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db import connection

from accounts.models import SCOPES, ApiKey
from chargers.services.registry import charger_register, organisation_get_or_create
from tests import services

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The test database as a DATABASE_URL, for server processes the tests start."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(tmp: Path, **env: str) -> Server:
    """`daphne csms.asgi:application` on a free port, against the test database."""
    port = free_port()
    log = tmp / f"daphne-{port}.log"
    environment = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "csms.asgi:application"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Server(process, port, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"daphne did not start: {log.read_text()}")


@pytest.fixture(scope="session")
def server(django_db_setup, tmp_path_factory):
    """One live server for the session; tests use `transactional_db` so it sees their data."""
    live = start_server(tmp_path_factory.mktemp("server"), CSMS_COMMAND_TIMEOUT="5")
    yield live
    live.stop()


def require_service(name: str) -> None:
    if not services.reachable(name):
        if services.required():
            pytest.fail(f"CSMS_REQUIRE_SERVICES is set but {name} is not reachable")
        pytest.skip(f"{name} is not reachable")


@pytest.fixture
def acme(transactional_db):
    return organisation_get_or_create(name="Acme")


@pytest.fixture
def globex(transactional_db):
    return organisation_get_or_create(name="Globex")


@pytest.fixture
def acme_key(acme) -> str:
    return ApiKey.generate(organisation=acme, scopes=list(SCOPES))[1]


@pytest.fixture
def charger(acme):
    return charger_register(organisation=acme, charge_box_id="CP-1", name="Bay 1", location="Depot")


@pytest.fixture
def locked_charger(acme):
    return charger_register(organisation=acme, charge_box_id="CP-LOCKED", password="s3cret-password")


@pytest.fixture
def api(server, acme_key):
    """A requests session for Acme's integrator, against the live server."""
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{server.http}/api/v1"
    return session


@pytest.fixture(scope="session")
def celery_worker(server, tmp_path_factory):
    """A Celery worker against the test database and Redis, when REDIS_URL sends tasks to a broker.

    Without REDIS_URL the server runs tasks in-process and no worker is needed (yields None)."""
    if not os.environ.get("REDIS_URL"):
        yield None
        return
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    environment = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "csms", "worker", "--pool", "threads", "--concurrency", "4",
         "--loglevel", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.time() + 30
    while "ready" not in log.read_text():
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            raise RuntimeError(f"the Celery worker did not start: {log.read_text()}")
        time.sleep(0.2)
    yield process
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
