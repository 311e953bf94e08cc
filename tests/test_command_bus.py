"""The command bus as callers see it: offline, timeout, disconnect, one CALL at a time, late answers,
rate limits and many slow chargers at once. Chargers here are raw OCPP peers the test drives frame by frame."""

import asyncio
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

from chargers.services.registry import charger_register
from commands.models import Command
from tests.conftest import start_server
from tests.raw_charger import RawCharger

TIMEOUT = 2.0
# The most database connections the server keeps (PostgreSQL): fewer than the commands the
# tests below keep waiting at once.
POOL_SIZE = 4


@pytest.fixture(scope="module")
def bus_server(django_db_setup, tmp_path_factory):
    live = start_server(
        tmp_path_factory.mktemp("bus"), CSMS_COMMAND_TIMEOUT=str(TIMEOUT), CSMS_DB_POOL_SIZE=str(POOL_SIZE)
    )
    requests.get(f"{live.http}/api/v1/commands")  # the first request loads the URLconf and the API
    yield live
    live.stop()


@pytest.fixture
def http(bus_server, acme_key):
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
    session.base = f"{bus_server.http}/api/v1"
    return session


class Timed:
    """An HTTP command sent from a thread, so that the test can play the charger meanwhile."""

    pool = ThreadPoolExecutor(max_workers=64)

    def __init__(self, http, charge_box_id: str, path: str = "reset", body: dict | None = None):
        self.started = time.monotonic()
        self.future = asyncio.get_running_loop().run_in_executor(
            self.pool, self._post, http, charge_box_id, path, {"type": "Soft"} if body is None else body
        )

    def _post(self, http, charge_box_id, path, body):
        response = http.post(f"{http.base}/chargers/{charge_box_id}/{path}", json=body)
        return response, time.monotonic() - self.started

    async def result(self) -> tuple[requests.Response, float]:
        return await self.future


async def next_call(cp: RawCharger, timeout: float = 5) -> list:
    frame = await cp.recv(timeout)
    assert frame[0] == 2, frame
    return frame


async def answer(cp: RawCharger, call: list, payload: dict) -> None:
    await cp.send_raw(json.dumps([3, call[1], payload]))


async def answer_every_call(cp: RawCharger, delay: float = 0.0, payload: dict | None = None) -> None:
    """Answer each CALL after `delay` seconds, several at once if the server sent several."""

    async def later(call):
        await asyncio.sleep(delay)
        await answer(cp, call, payload or {"status": "Accepted"})

    while True:
        call = await cp.recv(3600)
        if call[0] == 2:
            asyncio.get_running_loop().create_task(later(call))


def database_connections() -> int | None:
    """How many connections the test database has now (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_an_offline_charger_fails_at_once(http, charger):
    started = time.monotonic()
    response = http.post(f"{http.base}/chargers/CP-1/reset", json={"type": "Soft"})
    elapsed = time.monotonic() - started
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "charge_point_offline"
    assert elapsed < 0.5
    assert Command.objects.get().status == "offline"


def test_a_charger_that_never_answers_times_out_after_the_command_timeout(bus_server, http, charger):
    async def scenario():
        async with await RawCharger.connect(bus_server.ws, "CP-1") as cp:
            request = Timed(http, "CP-1")
            await next_call(cp)
            return await request.result()

    response, elapsed = asyncio.run(scenario())
    assert response.status_code == 408
    assert response.json()["error"]["code"] == "timeout"
    assert TIMEOUT <= elapsed < TIMEOUT + 1
    row = Command.objects.get()
    assert row.status == "timeout" and row.sent_at is not None and row.answered_at is None


def test_a_charger_disconnecting_mid_call_fails_the_call_at_once(bus_server, http, charger):
    async def scenario():
        cp = await RawCharger.connect(bus_server.ws, "CP-1")
        request = Timed(http, "CP-1")
        await next_call(cp)
        closed = time.monotonic()
        await cp.close()
        response, _ = await request.result()
        return response, time.monotonic() - closed

    response, after_close = asyncio.run(scenario())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "charge_point_offline"
    assert "disconnected" in response.json()["error"]["message"]
    assert after_close < 1.0
    row = Command.objects.get()
    assert (row.status, row.error_description) == ("offline", "charger disconnected during the call")


@pytest.fixture
def command_writes(transactional_db):
    """Every UPDATE of a Command row as the database saw it: (status, sent_at), oldest first."""
    table = "test_command_writes"
    if connection.vendor == "postgresql":
        setup = [
            f"CREATE TABLE {table} (n serial, status text, sent_at timestamptz)",
            f"CREATE FUNCTION {table}_add() RETURNS trigger AS $$ BEGIN INSERT INTO {table} (status, sent_at) "
            "VALUES (NEW.status, NEW.sent_at); RETURN NEW; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {table}_add AFTER UPDATE ON commands_command FOR EACH ROW EXECUTE FUNCTION {table}_add()",
        ]
        teardown = [f"DROP TABLE {table}", f"DROP FUNCTION {table}_add() CASCADE"]
    else:
        setup = [
            f"CREATE TABLE {table} (n integer primary key, status text, sent_at text)",
            f"CREATE TRIGGER {table}_add AFTER UPDATE ON commands_command BEGIN "
            f"INSERT INTO {table} (status, sent_at) VALUES (NEW.status, NEW.sent_at); END",
        ]
        teardown = [f"DROP TRIGGER {table}_add", f"DROP TABLE {table}"]
    with connection.cursor() as cursor:
        for sql in setup:
            cursor.execute(sql)

    def writes() -> list[tuple[str, bool]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT status, sent_at FROM {table} ORDER BY n")
            return [(status, sent_at is not None) for status, sent_at in cursor.fetchall()]

    yield writes
    with connection.cursor() as cursor:
        for sql in teardown:
            cursor.execute(sql)


def test_a_promptly_answered_command_is_written_once_after_its_creation(bus_server, http, charger, command_writes):
    async def scenario():
        async with await RawCharger.connect(bus_server.ws, "CP-1") as cp:
            reset = Timed(http, "CP-1")
            await answer(cp, await next_call(cp), {"status": "Accepted"})
            return (await reset.result())[0]

    response = asyncio.run(scenario())
    assert response.status_code == 200
    # Pending to answered in one UPDATE, the time the CALL went out included: no "sent" write before it.
    assert command_writes() == [("answered", True)]
    row = Command.objects.get()
    assert row.created_at <= row.sent_at <= row.answered_at


def test_a_command_the_charger_takes_its_time_over_shows_as_sent_meanwhile(server, acme_key, charger, command_writes):
    # The suite's main server: a 5 s command timeout leaves the charger time to answer once it shows as sent.
    http = requests.Session()
    http.headers["X-API-Key"] = acme_key
    http.base = f"{server.http}/api/v1"

    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            reset = Timed(http, "CP-1")
            call = await next_call(cp)
            deadline = time.monotonic() + 3
            while not await asyncio.to_thread(Command.objects.filter(status="sent").exists):
                assert time.monotonic() < deadline, "never shown as sent"
                await asyncio.sleep(0.05)
            sent_at = await asyncio.to_thread(lambda: Command.objects.get().sent_at)
            await answer(cp, call, {"status": "Accepted"})
            return (await reset.result())[0], sent_at

    response, sent_at = asyncio.run(scenario())
    assert response.status_code == 200
    assert command_writes() == [("sent", True), ("answered", True)]
    row = Command.objects.get()
    assert row.status == "answered" and row.sent_at == sent_at
    assert (row.answered_at - row.sent_at).total_seconds() >= 1.0  # SENT_RECORD_AFTER


def test_only_one_call_is_outstanding_per_charger_the_next_waits_its_turn(bus_server, http, charger):
    async def scenario():
        async with await RawCharger.connect(bus_server.ws, "CP-1") as cp:
            first = Timed(http, "CP-1", "reset", {"type": "Soft"})
            second = Timed(http, "CP-1", "reset", {"type": "Hard"})
            call = await next_call(cp)
            with pytest.raises(TimeoutError):
                await cp.recv(0.7)  # nothing else while the first CALL is unanswered
            await answer(cp, call, {"status": "Accepted"})
            following = await next_call(cp)
            assert following[1] != call[1]
            await answer(cp, following, {"status": "Rejected"})
            return [call[3], following[3]], (await first.result())[0], (await second.result())[0]

    payloads, first, second = asyncio.run(scenario())
    assert first.status_code == second.status_code == 200
    answers = {first.json()["response"]["status"], second.json()["response"]["status"]}
    assert answers == {"Accepted", "Rejected"}
    assert sorted(p["type"] for p in payloads) == ["Hard", "Soft"]


def test_a_command_waiting_for_its_turn_times_out_on_its_own_clock(bus_server, http, charger):
    async def scenario():
        async with await RawCharger.connect(bus_server.ws, "CP-1") as cp:
            first = Timed(http, "CP-1")
            await next_call(cp)
            await asyncio.sleep(0.5)
            second = Timed(http, "CP-1", "cache/clear", {})
            # The first times out and frees the slot; the second is sent then, and is not answered either.
            sent_second = await next_call(cp, timeout=TIMEOUT + 1)
            return sent_second, await first.result(), await second.result()

    sent_second, (first, first_elapsed), (second, second_elapsed) = asyncio.run(scenario())
    assert sent_second[2] == "ClearCache"
    assert first.status_code == second.status_code == 408
    assert TIMEOUT <= first_elapsed < TIMEOUT + 0.5
    assert TIMEOUT <= second_elapsed < TIMEOUT + 0.5  # its own timeout, counted from its own request


def test_a_late_answer_is_recorded_on_its_own_command_not_taken_for_the_next(bus_server, http, charger):
    async def scenario():
        async with await RawCharger.connect(bus_server.ws, "CP-1") as cp:
            reset = Timed(http, "CP-1")
            late = await next_call(cp)
            timed_out, _ = await reset.result()
            clear = Timed(http, "CP-1", "cache/clear", {})
            current = await next_call(cp)
            await answer(cp, late, {"status": "Rejected"})  # the answer to the call that timed out
            await asyncio.sleep(0.2)
            await answer(cp, current, {"status": "Accepted"})
            answered, _ = await clear.result()
            return late, current, timed_out, answered

    late, current, timed_out, answered = asyncio.run(scenario())
    assert timed_out.status_code == 408
    assert answered.status_code == 200
    assert answered.json()["commandId"] == current[1]
    assert answered.json()["status"] == "Accepted"
    late_row = Command.objects.get(pk=late[1])
    assert (late_row.action, late_row.status, late_row.response) == ("Reset", "timeout", None)
    assert late_row.late_response == {"status": "Rejected"} and late_row.late_at is not None
    current_row = Command.objects.get(pk=current[1])
    assert (current_row.action, current_row.status) == ("ClearCache", "answered")
    assert (current_row.response, current_row.late_response) == ({"status": "Accepted"}, None)


def test_more_than_the_rate_limit_per_second_to_one_charger_gets_429(bus_server, http, charger):
    async def scenario():
        async with await RawCharger.connect(bus_server.ws, "CP-1") as cp:
            answering = asyncio.get_running_loop().create_task(answer_every_call(cp))
            started = time.time()
            requests_ = [Timed(http, "CP-1") for _ in range(30)]
            results = [await r.result() for r in requests_]
            finished = time.time()
            answering.cancel()
            return results, started, finished

    results, started, finished = asyncio.run(scenario())
    codes = [response.status_code for response, _ in results]
    assert set(codes) <= {200, 429}
    assert codes.count(429) > 0
    assert all(r.json()["error"]["code"] == "rate_limited" for r, _ in results if r.status_code == 429)
    windows = int(finished) - int(started) + 1  # the limit counts per clock second
    assert codes.count(200) <= 10 * windows
    assert Command.objects.count() == codes.count(200)  # refused commands were never sent


def test_fifty_commands_to_fifty_slow_chargers_take_about_one_answer_time(bus_server, http, acme, capsys):
    answer_time = 1.0
    ids = [f"SLOW-{n:02d}" for n in range(50)]
    for charge_box_id in ids:
        charger_register(organisation=acme, charge_box_id=charge_box_id)

    async def scenario():
        chargers = [await RawCharger.connect(bus_server.ws, charge_box_id) for charge_box_id in ids]
        loop = asyncio.get_running_loop()
        answering = [loop.create_task(answer_every_call(cp, delay=answer_time)) for cp in chargers]
        started = time.monotonic()
        requests_ = [Timed(http, charge_box_id) for charge_box_id in ids]
        results = [await r.result() for r in requests_]
        elapsed = time.monotonic() - started
        for task in answering:
            task.cancel()
        for cp in chargers:
            await cp.close()
        return results, elapsed

    results, elapsed = asyncio.run(scenario())
    assert [response.status_code for response, _ in results] == [200] * 50
    each = sorted(e for _, e in results)
    with capsys.disabled():
        print(
            f"\n50 commands to 50 chargers answering after {answer_time:g} s: {elapsed:.2f} s "
            f"(fastest {each[0]:.2f} s, slowest {each[-1]:.2f} s)"
        )
    # One at a time would take 50 s; the margin is for a busy, two-core test machine.
    assert elapsed < answer_time * 5


def test_a_command_round_trip_adds_little_to_the_chargers_answer_time(bus_server, http, acme, capsys):
    ids = [f"FAST-{n}" for n in range(10)]
    for charge_box_id in ids:
        charger_register(organisation=acme, charge_box_id=charge_box_id)

    async def scenario():
        chargers = [await RawCharger.connect(bus_server.ws, charge_box_id) for charge_box_id in ids]
        answering = [asyncio.get_running_loop().create_task(answer_every_call(cp)) for cp in chargers]
        times = []
        for n in range(100):
            response, elapsed = await Timed(http, ids[n % len(ids)]).result()
            assert response.status_code == 200, response.text
            times.append(elapsed * 1000)
        for task in answering:
            task.cancel()
        return sorted(times)

    times = asyncio.run(scenario())
    p50, p99 = statistics.median(times), times[98]
    with capsys.disabled():
        print(f"\nAPI command round trip, charger answering at once: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    assert p50 < 250


@pytest.mark.postgres
def test_commands_waiting_for_their_chargers_hold_no_database_connection(bus_server, http, acme):
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL connections: runs on the PostgreSQL pass")
    ids = [f"MUTE-{n:02d}" for n in range(30)]
    for charge_box_id in ids:
        charger_register(organisation=acme, charge_box_id=charge_box_id)

    def all_waiting() -> bool:
        return Command.objects.filter(status="sent").count() == len(ids)

    async def scenario():
        chargers = [await RawCharger.connect(bus_server.ws, charge_box_id) for charge_box_id in ids]
        # Other live servers of the suite hold their own (persistent) connections: count from here.
        before = await asyncio.to_thread(database_connections)
        requests_ = [Timed(http, charge_box_id) for charge_box_id in ids]
        while not await asyncio.to_thread(all_waiting):
            await asyncio.sleep(0.02)
        connections = await asyncio.to_thread(database_connections) - before
        results = [await r.result() for r in requests_]
        for cp in chargers:
            await cp.close()
        return connections, results

    connections, results = asyncio.run(scenario())
    assert [response.status_code for response, _ in results] == [408] * len(ids)
    # 30 commands are waiting and hold no connection: the server's stay within its pool.
    assert connections <= POOL_SIZE


def test_requests_one_after_another_reuse_their_redis_connections(bus_server, http, acme):
    if not settings.REDIS_URL:
        pytest.skip("counts Redis connections: runs on the PostgreSQL and Redis pass")
    charger_register(organisation=acme, charge_box_id="REUSE-01")
    redis_server = redis.Redis.from_url(settings.REDIS_URL)

    def opened() -> int:
        return redis_server.info("stats")["total_connections_received"]

    async def scenario():
        cp = await RawCharger.connect(bus_server.ws, "REUSE-01")
        before = await asyncio.to_thread(opened)
        for _ in range(20):
            request = Timed(http, "REUSE-01")
            call = await next_call(cp)
            await answer(cp, call, {"status": "Accepted"})
            response, _ = await request.result()
            assert response.status_code == 200
            await asyncio.sleep(0.1)  # within the charger's command rate limit
        after = await asyncio.to_thread(opened)
        await cp.close()
        return after - before

    # Each command counts its rate on Redis: a new connection for each was 20 or more.
    assert asyncio.run(scenario()) < 10


def test_a_server_stops_on_sigterm_while_a_command_waits_for_its_charger(tmp_path, acme, acme_key):
    charger_register(organisation=acme, charge_box_id="MUTE-STOP")
    live = start_server(tmp_path, CSMS_COMMAND_TIMEOUT="30", CSMS_SHUTDOWN_GRACE="6", CSMS_SHUTDOWN_CLOSE_WINDOW="1")
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{live.http}/api/v1"

    async def scenario():
        cp = await RawCharger.connect(live.ws, "MUTE-STOP")
        request = Timed(session, "MUTE-STOP")
        await next_call(cp)  # the command now waits for an answer that never comes
        live.process.terminate()
        stopped = await asyncio.to_thread(live.process.wait, 10)
        # Past the grace, the command is cut: answered 503 with Retry-After, not dropped with the server.
        response, _ = await request.result()
        assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
        assert response.json()["error"]["code"] == "unavailable"
        return stopped

    try:
        assert asyncio.run(scenario()) is not None
    finally:
        live.stop()
