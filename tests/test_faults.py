"""Faults: a node killed, Redis restarted, PostgreSQL stopped, a flooding charger, oversized
frames and slow handshakes. Nothing a charger was told is stored may be lost.

The node, Redis and PostgreSQL faults run on a private PostgreSQL cluster and a private
Redis (tests/private_services.py), never on the machine's shared ones.
"""

import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests
import websockets
from django.conf import settings

from chargers.services.registry import charger_register
from tests import private_services
from tests.conftest import ROOT, start_server
from tests.raw_charger import RawCharger

KILL_CHARGERS = [f"KILL-{n}" for n in range(1, 5)]
CHARGERS = [*KILL_CHARGERS, "REDIS-1", "PG-1"]
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Fault"}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def meter(transaction_id: int, value: int) -> dict:
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": now(), "sampledValue": [{"value": str(value)}]}],
    }


def start(connector: int = 1) -> dict:
    return {"connectorId": connector, "idTag": "TAG-1", "meterStart": 0, "timestamp": now()}


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    """A private PostgreSQL (migrated, with Acme's chargers) and a private Redis."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("node, Redis and PostgreSQL faults run on the PostgreSQL+Redis pass (DATABASE_URL=postgres://...)")
    private_services.require()
    postgres = private_services.PrivatePostgres()
    redis = private_services.PrivateRedis()
    try:
        private_services.manage(postgres.url, "migrate", "--noinput")
        key = private_services.seed(postgres.url, CHARGERS)
        yield SimpleNamespace(postgres=postgres, redis=redis, key=key, tmp=tmp_path_factory.mktemp("faults"))
    finally:
        redis.stop()
        postgres.remove()


def node(private):
    return start_server(
        private.tmp, DATABASE_URL=private.postgres.url, REDIS_URL=private.redis.url, CSMS_COMMAND_TIMEOUT="5"
    )


@pytest.fixture
def two_nodes(private):
    nodes = [node(private), node(private)]
    yield nodes
    for live in nodes:
        live.stop()


def command(private, live, charge_box_id: str) -> requests.Response:
    return requests.post(
        f"{live.http}/api/v1/chargers/{charge_box_id}/reset",
        json={"type": "Soft"},
        headers={"X-API-Key": private.key},
        timeout=15,
    )


async def answer_calls(cp: RawCharger) -> None:
    """The charger's side of commands: accept every CALL the CSMS sends."""
    try:
        async for text in cp.ws:
            frame = json.loads(text)
            if frame[0] == 2:
                await cp.ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
    except websockets.ConnectionClosed:
        pass


async def command_answered(private, live, cp: RawCharger, charge_box_id: str) -> requests.Response:
    responder = asyncio.create_task(answer_calls(cp))
    try:
        return await asyncio.to_thread(command, private, live, charge_box_id)
    finally:
        responder.cancel()


def unhandled_errors(*nodes) -> list[str]:
    return [line for live in nodes for line in live.log.read_text().splitlines() if "Traceback" in line]


# Node killed.


@pytest.mark.postgres
@pytest.mark.redis
def test_it_keeps_every_acknowledged_message_when_a_node_is_killed_and_chargers_move_to_the_other(private, two_nodes):
    first, second = two_nodes
    acknowledged: dict[str, list[int]] = {cp: [] for cp in KILL_CHARGERS}
    transactions: dict[str, int] = {}

    async def stream(charge_box_id: str) -> None:
        """Boot, start a transaction, then send meter values until the node dies under it."""
        cp = await RawCharger.connect(first.ws, charge_box_id)
        assert (await cp.call("BootNotification", BOOT))[0] == 3
        started = await cp.call("StartTransaction", start())
        transactions[charge_box_id] = started[2]["transactionId"]
        value = 0
        try:
            while True:
                value += 1
                answer = await cp.call("MeterValues", meter(transactions[charge_box_id], value))
                if answer[0] == 3:
                    acknowledged[charge_box_id].append(value)
        except (websockets.ConnectionClosed, TimeoutError):
            pass

    async def kill_while_streaming() -> None:
        streams = [asyncio.create_task(stream(cp)) for cp in KILL_CHARGERS]
        while sum(map(len, acknowledged.values())) < 100:
            await asyncio.sleep(0.05)
        first.process.kill()  # kill -9: no shutdown, no goodbye to the chargers
        await asyncio.wait_for(asyncio.gather(*streams), 10)

    asyncio.run(kill_while_streaming())

    async def reconnect_elsewhere() -> list[requests.Response]:
        """What a load balancer does: the same chargers, now on the surviving node."""
        replies = []
        for charge_box_id in KILL_CHARGERS:
            cp = await RawCharger.connect(second.ws, charge_box_id)
            assert (await cp.call("BootNotification", BOOT))[0] == 3
            replies.append(await command_answered(private, second, cp, charge_box_id))
            stop = {"transactionId": transactions[charge_box_id], "meterStop": 5000, "timestamp": now()}
            assert (await cp.call("StopTransaction", stop))[0] == 3
            await cp.close()
        return replies

    replies = asyncio.run(reconnect_elsewhere())
    assert [reply.status_code for reply in replies] == [200] * len(KILL_CHARGERS), [r.text for r in replies]

    for charge_box_id in KILL_CHARGERS:
        rows = private.postgres.query(
            "SELECT t.ocpp_id, t.meter_stop FROM chargers_transaction t JOIN chargers_charger c ON c.id = t.charger_id "
            "WHERE c.charge_box_id = %s",
            charge_box_id,
        )
        assert rows == [(str(transactions[charge_box_id]), 5000)]
        stored = private.postgres.query(
            "SELECT m.value FROM chargers_metervalue m JOIN chargers_charger c ON c.id = m.charger_id "
            "WHERE c.charge_box_id = %s",
            charge_box_id,
        )
        missing = set(acknowledged[charge_box_id]) - {int(value) for (value,) in stored}
        assert not missing, f"{charge_box_id}: acknowledged but not stored: {sorted(missing)}"
    assert not unhandled_errors(second)


# Redis restarted.


@pytest.mark.postgres
@pytest.mark.redis
def test_command_routing_recovers_by_itself_after_redis_restarts(private, two_nodes):
    first, second = two_nodes

    async def scenario() -> tuple[int, list[int], bool]:
        cp = await RawCharger.connect(first.ws, "REDIS-1")
        assert (await cp.call("BootNotification", BOOT))[0] == 3
        before = (await command_answered(private, second, cp, "REDIS-1")).status_code
        private.redis.stop()
        await asyncio.sleep(1)
        private.redis.start()
        after = []
        for _ in range(3):
            after.append((await command_answered(private, second, cp, "REDIS-1")).status_code)
        heartbeat = await cp.call("Heartbeat", {})
        await cp.close()
        return before, after, heartbeat[0] == 3

    before, after, still_connected = asyncio.run(scenario())
    assert before == 200
    assert after == [200, 200, 200]
    assert still_connected, "the charger's connection should survive a Redis restart"


# PostgreSQL stopped.


async def until_accepted(cp: RawCharger, action: str, payload: dict) -> tuple[list, int]:
    """Send a CALL again until it is answered with a CALLRESULT (at most 10 times); the answer and the tries."""
    tries = 0
    while tries < 10:
        tries += 1
        answer = await cp.call(action, payload)
        if answer[0] == 3:
            break
        await asyncio.sleep(0.2)
    return answer, tries


@pytest.mark.postgres
@pytest.mark.redis
def test_charger_messages_are_refused_while_postgres_is_down_and_kept_once_it_is_back(private):
    live = node(private)
    try:

        async def scenario() -> dict:
            cp = await RawCharger.connect(live.ws, "PG-1")
            assert (await cp.call("BootNotification", BOOT))[0] == 3
            transaction_id = (await cp.call("StartTransaction", start()))[2]["transactionId"]
            private.postgres.stop()
            try:
                during = [
                    await cp.call("MeterValues", meter(transaction_id, 111)),
                    await cp.call("StartTransaction", start(connector=2)),
                ]
            finally:
                private.postgres.start()
            # The charger retries what was not acknowledged, as a charger does.
            after = [
                await until_accepted(cp, "MeterValues", meter(transaction_id, 111)),
                await until_accepted(cp, "StartTransaction", start(connector=2)),
            ]
            await cp.close()
            return {"during": during, "after": after, "first": transaction_id}

        result = asyncio.run(scenario())
    finally:
        live.stop()
    assert [(frame[0], frame[2]) for frame in result["during"]] == [(4, "InternalError")] * 2
    # A worker whose connection died with the database reconnects and retries at once:
    # the charger's first retry after the restart is stored.
    assert [(frame[0], tries) for frame, tries in result["after"]] == [(3, 1)] * 2, result["after"]
    stored = private.postgres.query(
        "SELECT t.ocpp_id, t.connector_id FROM chargers_transaction t JOIN chargers_charger c ON c.id = t.charger_id "
        "WHERE c.charge_box_id = 'PG-1' ORDER BY t.connector_id"
    )
    assert stored == [(str(result["first"]), 1), (str(result["after"][1][0][2]["transactionId"]), 2)]
    values = private.postgres.query(
        "SELECT m.value FROM chargers_metervalue m JOIN chargers_charger c ON c.id = m.charger_id "
        "WHERE c.charge_box_id = 'PG-1'"
    )
    assert values == [("111",)]


# A flooding charger, oversized frames, slow handshakes: on the suite's own server, on both passes.


@pytest.fixture
def neighbour(acme):
    return charger_register(organisation=acme, charge_box_id="CP-QUIET")


async def flood(server, frames: int) -> dict:
    """Send `frames` Heartbeats without waiting, and count what comes back within a few seconds."""
    cp = await RawCharger.connect(server.ws, "CP-1")
    for n in range(frames):
        await cp.send_raw(json.dumps([2, f"f{n}", "Heartbeat", {}]))
    answers = {"results": 0, "errors": 0, "closed": None}
    try:
        while answers["results"] + answers["errors"] < frames:
            frame = await cp.recv(timeout=10)
            answers["results" if frame[0] == 3 else "errors"] += 1
    except websockets.ConnectionClosed as closed:
        answers["closed"] = closed.rcvd.code if closed.rcvd else None
    await cp.ws.close()
    return answers


def test_a_flooding_charger_does_not_slow_the_others(server, charger, neighbour):
    async def scenario() -> list[float]:
        quiet = await RawCharger.connect(server.ws, "CP-QUIET")
        await quiet.call("BootNotification", BOOT)
        flooding = asyncio.create_task(flood(server, 2000))
        latencies = []
        for _ in range(20):
            sent = time.monotonic()
            assert (await quiet.call("Heartbeat", {}))[0] == 3
            latencies.append(time.monotonic() - sent)
            await asyncio.sleep(0.05)
        await flooding
        await quiet.close()
        return sorted(latencies)

    latencies = asyncio.run(scenario())
    assert latencies[-2] < 0.5, f"a quiet charger waited {latencies[-2]:.2f} s while another flooded"


def test_a_flooding_charger_is_disconnected(tmp_path, charger):
    # A small allowance, so that the flood outruns it however fast this machine answers.
    strict = start_server(tmp_path, CSMS_FRAME_RATE="5", CSMS_FRAME_BURST="10", CSMS_FRAME_FLOOD_SECONDS="2")
    try:
        answers = asyncio.run(flood(strict, 2000))
    finally:
        strict.stop()
    assert answers["closed"] == 4008, answers
    assert answers["errors"] == 0, "frames within the allowance are answered, not refused"


def oversized(server) -> tuple[int | None, list]:
    """Send one frame twice CSMS_MAX_FRAME_BYTES long; the close code, then another charger's Heartbeat."""

    async def scenario() -> tuple[int | None, list]:
        cp = await RawCharger.connect(server.ws, "CP-1")
        await cp.send_raw(json.dumps([2, "big", "DataTransfer", {"vendorId": "V", "data": "x" * (2 * 65536)}]))
        code = None
        try:
            await cp.recv()
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        async with await RawCharger.connect(server.ws, "CP-QUIET") as other:
            return code, await other.call("Heartbeat", {})

    assert settings.CSMS_MAX_FRAME_BYTES < 2 * 65536
    return asyncio.run(scenario())


def test_an_oversized_frame_is_refused_and_others_still_connect(server, charger, neighbour):
    code, heartbeat = oversized(server)
    assert code is not None, "the connection should be closed"
    assert heartbeat[0] == 3


def test_an_oversized_frame_closes_the_connection_with_4009(server, charger, neighbour):
    # 1009 (message too big) is reserved to the WebSocket layer; applications close with 4000 + it.
    code, _ = oversized(server)
    assert code == 4009


def test_slow_and_silent_handshakes_do_not_keep_chargers_out(server, charger):
    stop = threading.Event()
    sockets = []

    def dribble(sock: socket.socket) -> None:
        """An HTTP upgrade one byte every half second, never finished."""
        request = b"GET /ocpp/CP-1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        for byte in request:
            if stop.wait(0.5):
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return

    for n in range(300):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sockets.append(sock)
        if n % 6 == 0:
            threading.Thread(target=dribble, args=(sock,), daemon=True).start()
    try:

        async def connect_and_boot() -> tuple[list, float]:
            started = time.monotonic()
            async with await RawCharger.connect(server.ws, "CP-1") as cp:
                return await cp.call("BootNotification", BOOT), time.monotonic() - started

        answer, took = asyncio.run(connect_and_boot())
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    assert answer[0] == 3
    assert took < 3
    assert server.process.poll() is None


# The deployment command.


WORKER_READY = re.compile(r"^\S+ worker\.1 +\|.*celery@\S+ ready\.", re.M)
BEAT_STARTED = re.compile(r"^\S+ beat\.1 +\|.*beat: Starting", re.M)


def free_port_pair() -> int:
    for _ in range(50):
        base = random.randint(20000, 40000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", base))
                b.bind(("127.0.0.1", base + 1))
            return base
        except OSError:
            continue
    raise RuntimeError("no two free consecutive ports")


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("deploy/run.sh exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.mark.postgres
@pytest.mark.redis
def test_the_deploy_script_starts_nodes_that_share_chargers_and_a_celery_worker_and_beat(private):
    base = free_port_pair()
    output = private.tmp / "deploy.log"
    process = subprocess.Popen(
        ["bash", str(ROOT / "deploy" / "run.sh"), "2"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": private.postgres.url,
            "REDIS_URL": private.redis.url,
            "CSMS_BASE_PORT": str(base),
            "CSMS_BEAT_SCHEDULE": str(private.tmp / "beat-schedule"),
            "PYTHON": sys.executable,
        },
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(base, process)
        wait_for_port(base + 1, process)
        first = SimpleNamespace(http=f"http://127.0.0.1:{base}")
        second_ws = f"ws://127.0.0.1:{base + 1}/ocpp"

        async def scenario() -> requests.Response:
            async with await RawCharger.connect(second_ws, "DEPLOY-1") as cp:
                assert (await cp.call("BootNotification", BOOT))[0] == 3
                return await command_answered(private, first, cp, "DEPLOY-1")

        private_services.seed(private.postgres.url, ["DEPLOY-1"])
        reply = asyncio.run(scenario())
        deadline = time.time() + 30
        while time.time() < deadline and not (
            WORKER_READY.search(output.read_text()) and BEAT_STARTED.search(output.read_text())
        ):
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    log = output.read_text()
    assert reply.status_code == 200, reply.text
    assert "web.1" in log and "web.2" in log
    assert WORKER_READY.search(log), log[-3000:]
    assert BEAT_STARTED.search(log), log[-3000:]


def test_a_command_while_redis_is_unreachable_is_a_503_not_a_crash(tmp_path, api, charger):
    from tests.conftest import free_port

    unreachable = start_server(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        charger.channel_name = "specific.elsewhere!consumer"  # held by another node, as far as the database knows
        charger.save()
        response = api.post(f"{unreachable.http}/api/v1/chargers/CP-1/reset", json={"type": "Soft"}, timeout=30)
    finally:
        unreachable.stop()
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "bus_unavailable"
