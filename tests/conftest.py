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
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

from accounts.models import SCOPES, ApiKey
from accounts.services import organisation_get_or_create
from chargers.models import Charger
from chargers.services.registry import charger_register
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


def start_server(tmp: Path, port: int | None = None, **env: str) -> Server:
    """`daphne csms.asgi:application` on `port` (a free one by default), against the test database."""
    port = port or free_port()
    log = tmp / f"daphne-{port}.log"
    # Every test's chargers connect from 127.0.0.1 and many are refused on purpose: the suite's servers
    # do not lock that address out (tests/test_auth_lockout.py starts its own with a low limit).
    environment = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1",
                   "CSMS_AUTH_FAILURE_LIMIT": "1000000", **env}  # fmt: skip
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


@pytest.fixture(scope="session", autouse=True)
def flush_survives_a_deadlock():
    """The flush between tests runs while live servers may still write; PostgreSQL may then abort the
    TRUNCATE as a deadlock, which a second try, a moment later, does not meet."""
    from django.core.management.base import CommandError
    from django.core.management.commands import flush

    original = flush.Command.handle

    def handle(self, **options):
        for attempt in range(5):
            try:
                return original(self, **options)
            except CommandError as error:
                if attempt == 4 or "deadlock" not in str(error.__cause__).lower():
                    raise
                time.sleep(0.2)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(scope="session", autouse=True)
def no_sessions_left_on_the_test_database(django_db_setup, django_db_blocker):
    """Servers and workers keep their database connections, and PostgreSQL ends such a session a
    moment after its process has gone; threads of this process that counted rows keep theirs.
    Once every server has stopped, what is left is ended, so that the test database can be dropped."""
    yield
    if connection.vendor != "postgresql" or not _test_database_in_use():
        return
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")


def _test_database_in_use() -> bool:
    """Whether the session set up a test database: pytest-django creates none when no collected test
    needs one (say `-k deploy`), and the configured database itself may not even exist."""
    configured = connection.settings_dict
    return configured["NAME"] == configured["TEST"]["NAME"] or configured["NAME"].startswith(TEST_DATABASE_PREFIX)


@pytest.fixture
def transactional_db(django_db_serialized_rollback, transactional_db):
    """pytest-django's, with serialized rollback. A plain flush recreates the content types with new
    ids, while a live server caches the old ones (admin history points at them): restoring the
    serialized rows keeps their ids."""
    yield
    # A live server records a disconnect after the socket has closed; let it finish before the
    # flush, or its write races the TRUNCATE (a deadlock on PostgreSQL).
    deadline = time.monotonic() + 3
    while Charger.objects.exclude(channel_name="").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(scope="session")
def server(django_db_setup, tmp_path_factory):
    """One live server for the session; tests use `transactional_db` so it sees their data."""
    # Nothing written by the server on its own (message log, sweeps): it would race the flush between tests.
    live = start_server(
        tmp_path_factory.mktemp("server"), CSMS_COMMAND_TIMEOUT="5", CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false"
    )
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


@pytest.fixture(params=["ocpp2.0.1", "ocpp2.1"])
def ocpp2(request) -> str:
    """Each OCPP 2 subprotocol in turn: a test of 2.0.1's behaviour runs on a 2.1 charger too."""
    return request.param


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


# Background work: a server whose tasks and sweeps run the embedded way (in the server process) or the
# deployment way (a Celery worker and beat on Redis), with short intervals so that tests see sweeps run.
FAST = {
    "CSMS_COMMAND_TIMEOUT": "5",
    "CSMS_SWEEP_INTERVAL": "0.5",
    "CSMS_FIRMWARE_STATUS_WAIT": "2",
    "CSMS_FIRMWARE_JOB_DEADLINE": "30",
    "CSMS_DIAGNOSTICS_STATUS_WAIT": "30",
    "CSMS_DIAGNOSTICS_JOB_DEADLINE": "120",
    "CSMS_WEBHOOK_RETRY_DELAY": "1",
    "CSMS_WEBHOOK_MAX_ATTEMPTS": "3",
    "CSMS_WEBHOOK_TIMEOUT": "2",
    "CSMS_COST_UPDATE_INTERVAL": "1",
}
# The embedded pass's Celery broker; suites running side by side on one machine each name their own.
CELERY_REDIS_URL = os.environ.get("CSMS_TEST_CELERY_REDIS_URL", "redis://127.0.0.1:6379/14")


@dataclass
class CeleryWorker:
    redis_url: str
    processes: list[subprocess.Popen]
    logs: list[Path]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def start_celery(tmp: Path, *, beat: bool = True, **env: str) -> CeleryWorker:
    """`celery -A csms worker` (and `beat`) against the test database and Redis."""
    require_service("redis")
    redis_url = os.environ.get("REDIS_URL") or CELERY_REDIS_URL
    environment = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1",
                   **FAST, **env}  # fmt: skip
    celery = [sys.executable, "-m", "celery", "-A", "csms"]
    # Processes, not threads: a process's channels-redis layer lets one event loop at a time receive,
    # and each command a task sends waits for its answer on it.
    commands = [[*celery, "worker", "--purge", "--pool=prefork", "--concurrency=4", "--loglevel=INFO"]]
    if beat:
        commands.append([*celery, "beat", "--loglevel=INFO", f"--schedule={tmp / 'beat-schedule'}"])
    processes, logs = [], []
    for command in commands:
        log = tmp / f"celery-{command[5]}.log"
        processes.append(subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log.open("w"),
                                          stderr=subprocess.STDOUT))  # fmt: skip
        logs.append(log)
    worker = CeleryWorker(redis_url, processes, logs)
    deadline = time.time() + 30
    while "ready" not in logs[0].read_text():
        if time.time() > deadline or processes[0].poll() is not None:
            worker.stop()
            raise RuntimeError(f"celery worker did not start: {logs[0].read_text()}")
        time.sleep(0.2)
    return worker


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, tmp_path_factory):
    """A Celery worker and beat on Redis; fails (not skips) under CSMS_REQUIRE_SERVICES=1 without Redis."""
    worker = start_celery(tmp_path_factory.mktemp("celery"))
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def server_worker(request, django_db_setup):
    """What runs the `server` fixture's background tasks: the server itself on the embedded default, a Celery
    worker when the suite runs on Redis (REDIS_URL set, which the server inherits)."""
    if os.environ.get("REDIS_URL"):
        return request.getfixturevalue("celery_worker")
    return None


@pytest.fixture(scope="session", params=["embedded", "celery"])
def background(request, django_db_setup, tmp_path_factory):
    """A live server with its background work run one way or the other (see FAST)."""
    tmp = tmp_path_factory.mktemp(f"background-{request.param}")
    if request.param == "embedded":
        live = start_server(tmp, REDIS_URL="", **FAST)
    else:
        worker = request.getfixturevalue("celery_worker")
        live = start_server(tmp, REDIS_URL=worker.redis_url, **FAST)
    live.mode = request.param
    yield live
    live.stop()


@pytest.fixture
def bg_api(background, acme_key):
    """Acme's integrator, against the `background` server."""
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{background.http}/api/v1"
    return session


def eventually(check, timeout: float = 15, interval: float = 0.1):
    """The first truthy value of `check()`, polling for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"not true within {timeout} s"
            return value
        time.sleep(interval)
