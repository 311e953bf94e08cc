"""Scale-out: two daphne processes sharing PostgreSQL and Redis. A charger connected to one is
commanded through the API of the other, and from the shell with send_command."""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from commands.models import Command
from tests.conftest import ROOT, database_url, require_service, start_server
from tests.ocpp_rpc import RpcCharger


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module")
def two_servers(django_db_setup, tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip("two processes share the database: this runs on the PostgreSQL pass (DATABASE_URL=postgres://...)")
    require_service("postgres")
    require_service("redis")
    tmp = tmp_path_factory.mktemp("scale-out")
    servers = [start_server(tmp, REDIS_URL=redis_url(), CSMS_COMMAND_TIMEOUT="5") for _ in range(2)]
    for server in servers:
        requests.get(f"{server.http}/api/v1/commands")  # load the API before timing anything
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def apis(two_servers, acme_key):
    sessions = []
    for server in two_servers:
        session = requests.Session()
        session.headers["X-API-Key"] = acme_key
        session.base = f"{server.http}/api/v1"
        sessions.append(session)
    return sessions


@pytest.fixture
def cp_on_first(two_servers, charger):
    with RpcCharger(two_servers[0].ws, "CP-1") as rpc:
        yield rpc


def send_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url(), **env}
    return subprocess.run(
        [sys.executable, "manage.py", "send_command", *args],
        cwd=ROOT,
        env={k: v for k, v in environment.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.node
def test_a_command_through_one_process_reaches_a_charger_connected_to_the_other(apis, cp_on_first):
    _, second = apis
    cp_on_first.respond("Reset", {"status": "Accepted"})
    response = second.post(f"{second.base}/chargers/CP-1/reset", json={"type": "Hard"})
    call = cp_on_first.next_call()
    assert (call["action"], call["payload"]) == ("Reset", {"type": "Hard"})
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Hard reset accepted by charger"
    assert response.json()["commandId"] == call["messageId"]
    assert Command.objects.get(pk=call["messageId"]).status == "answered"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.node
def test_a_callerror_from_a_charger_on_the_other_process_is_a_502(apis, cp_on_first):
    _, second = apis
    cp_on_first.respond("GetConfiguration", error={"code": "NotSupported", "message": "no keys here"})
    response = second.post(f"{second.base}/chargers/CP-1/commands", json={"action": "GetConfiguration", "payload": {}})
    assert response.status_code == 502
    assert "NotSupported" in response.json()["error"]["message"]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.node
def test_a_charger_disconnecting_from_the_other_process_mid_call_fails_the_call_at_once(apis, cp_on_first):
    _, second = apis
    cp_on_first.respond("Reset", {"status": "Accepted"}, delay_ms=4000)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(second.post, f"{second.base}/chargers/CP-1/reset", json={"type": "Soft"})
        cp_on_first.next_call()
        closed = time.monotonic()
        cp_on_first.process.kill()
        response = pending.result()
    assert response.status_code == 422
    assert time.monotonic() - closed < 2


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.node
def test_the_rate_limit_per_charger_holds_across_processes(apis, cp_on_first):
    started = time.time()
    with ThreadPoolExecutor(24) as pool:
        replies = list(
            pool.map(lambda n: apis[n % 2].post(f"{apis[n % 2].base}/chargers/CP-1/cache/clear", json={}), range(24))
        )
    finished = time.time()
    codes = [reply.status_code for reply in replies]
    assert set(codes) <= {200, 429} and 429 in codes
    assert codes.count(200) <= 10 * (int(finished) - int(started) + 1)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.node
def test_send_command_from_the_shell_reaches_the_charger_through_redis(two_servers, cp_on_first):
    result = send_command("CP-1", "GetConfiguration", '{"key": ["HeartbeatInterval"]}', REDIS_URL=redis_url())
    assert result.returncode == 0, result.stderr
    call = cp_on_first.next_call()
    assert (call["action"], call["payload"]) == ("GetConfiguration", {"key": ["HeartbeatInterval"]})
    answer = json.loads(result.stdout)
    assert answer["configurationKey"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    row = Command.objects.get(pk=answer["commandId"])
    assert (row.source, row.status) == ("cli", "answered")
    assert row.requested_by.startswith("manage.py send_command")


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.node
def test_send_command_from_the_shell_reports_a_timeout_and_fails(two_servers, cp_on_first):
    cp_on_first.respond("ClearCache", {"status": "Accepted"}, delay_ms=3000)
    result = send_command("CP-1", "ClearCache", "--timeout", "1", REDIS_URL=redis_url())
    assert result.returncode == 1
    assert "timeout" in result.stderr


def test_send_command_without_redis_explains_that_it_needs_it(transactional_db):
    result = send_command("CP-1", "Reset", '{"type": "Soft"}', REDIS_URL=None)
    assert result.returncode == 1
    assert "REDIS_URL" in result.stderr
    assert "send_command" in send_command("--help").stdout
