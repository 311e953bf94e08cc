"""SIGTERM to a live daphne node serving chargers with commands in flight: every API call is answered,
no frame answered to a charger is lost, sockets close with a close frame, and the process exits in time."""

import asyncio
import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import websockets

from chargers.models import Connector
from chargers.services.registry import charger_register, charger_supply_update
from charging.models import Transaction
from commands.models import Command
from csms import celery
from ocpp_ws.models import OcppMessage
from smart_charging.services.sites import site_create
from tests.conftest import start_server
from tests.raw_charger import RawCharger

GRACE = 12
CHARGERS = 4
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "One"}
STATUS = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}


def test_sigterm_answers_every_call_keeps_every_answered_frame_and_exits_within_the_grace(tmp_path, acme, acme_key):
    names = [f"CP-{n}" for n in range(CHARGERS)]
    for name in names:
        charger_register(organisation=acme, charge_box_id=name)
    live = start_server(tmp_path, CSMS_SHUTDOWN_GRACE=str(GRACE), CSMS_SHUTDOWN_CLOSE_WINDOW="1",
                        CSMS_COMMAND_TIMEOUT="8", CSMS_MESSAGE_LOG="all", CSMS_EMBEDDED_BEAT="false")  # fmt: skip
    headers = {"X-API-Key": acme_key}

    def reset(name: str) -> requests.Response:
        return requests.post(f"{live.http}/api/v1/chargers/{name}/reset", json={"type": "Soft"}, headers=headers,
                             timeout=30)  # fmt: skip

    async def scenario():
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(CHARGERS + 2)
        chargers = [await RawCharger.connect(live.ws, name) for name in names]
        for cp in chargers:
            assert (await cp.call("BootNotification", BOOT))[0] == 3
        commands = [loop.run_in_executor(pool, reset, name) for name in names]
        calls = [await cp.recv() for cp in chargers]  # every charger holds its Reset: the commands are in flight
        assert {call[2] for call in calls} == {"Reset"}
        live.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        await asyncio.sleep(0.5)
        # Draining: not ready, new API calls and new chargers go elsewhere, the chargers here are still served.
        ready = await loop.run_in_executor(pool, lambda: requests.get(f"{live.http}/readyz", timeout=5))
        refused = await loop.run_in_executor(pool, reset, names[0])
        try:
            await RawCharger.connect(live.ws, "CP-NEW")
            newcomer = None
        except websockets.InvalidStatus as denied:
            newcomer = denied.response.status_code, denied.response.headers.get("Retry-After")
        statuses = [await cp.call("StatusNotification", STATUS) for cp in chargers]
        for cp, call in zip(chargers, calls, strict=True):
            await cp.send_raw(json.dumps([3, call[1], {"status": "Accepted"}]))
        replies = await asyncio.gather(*commands)
        for cp in chargers:
            await asyncio.wait_for(cp.ws.wait_closed(), GRACE)
        pool.shutdown()
        return signalled, ready, refused, newcomer, statuses, replies, [cp.ws.close_code for cp in chargers]

    signalled, ready, refused, newcomer, statuses, replies, close_codes = asyncio.run(scenario())
    exit_code = live.process.wait(GRACE + 5)
    exited_after = time.monotonic() - signalled

    assert (ready.status_code, list(ready.json()["failed"])) == (503, ["draining"])
    assert (refused.status_code, refused.headers["Retry-After"]) == (503, "5")
    assert refused.json()["error"]["code"] == "unavailable"
    assert newcomer == (503, "5")  # not 403: nothing is wrong with its credentials, it should come back (elsewhere)
    assert [frame[0] for frame in statuses] == [3] * CHARGERS
    assert [reply.status_code for reply in replies] == [200] * CHARGERS, [reply.text for reply in replies]
    assert close_codes == [1012] * CHARGERS
    assert exit_code == 0 and exited_after < GRACE, (exit_code, exited_after, live.log.read_text()[-3000:])
    # Nothing answered was lost: the statuses, the commands' outcomes and the message log behind them.
    assert Connector.objects.filter(charger__charge_box_id__in=names, status="Available").count() == CHARGERS
    assert Command.objects.filter(action="Reset", status="answered").count() == CHARGERS
    logged = OcppMessage.objects.filter(action="StatusNotification", direction="out", message_type=3).count()
    assert logged == CHARGERS
    assert OcppMessage.objects.filter(action="Reset", direction="in", message_type=3).count() == CHARGERS


def test_sigterm_while_a_background_task_waits_for_a_charger_exits_within_the_grace(tmp_path, acme):
    # Embedded: the task runs in the node itself, sending the charger its share of the site, which it never answers.
    charger = charger_register(organisation=acme, charge_box_id="CP-SITE")
    site = site_create(organisation=acme, name="Depot", capacity_limit=32, capacity_unit="A")
    charger_supply_update(charger=charger, site=site)
    live = start_server(tmp_path, REDIS_URL="", CSMS_SHUTDOWN_GRACE=str(GRACE), CSMS_SHUTDOWN_CLOSE_WINDOW="0",
                        CSMS_COMMAND_TIMEOUT="60", CSMS_EMBEDDED_BEAT="false")  # fmt: skip

    async def scenario():
        async with await RawCharger.connect(live.ws, "CP-SITE") as cp:
            await cp.call("BootNotification", BOOT)
            started = await cp.call("StartTransaction", {"connectorId": 1, "idTag": "TAG", "meterStart": 0,
                                                          "timestamp": "2026-01-01T00:00:00Z"})  # fmt: skip
            assert started[0] == 3
            call = await cp.recv(timeout=10)  # the task's SetChargingProfile, left unanswered
            assert call[2] == "SetChargingProfile"
            live.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            await asyncio.wait_for(cp.ws.wait_closed(), GRACE)
            return signalled

    signalled = asyncio.run(scenario())
    exit_code = live.process.wait(GRACE + 5)
    assert exit_code == 0 and time.monotonic() - signalled < GRACE, (exit_code, live.log.read_text()[-3000:])
    assert Transaction.objects.filter(charger=charger).count() == 1


def test_the_embedded_tasks_run_on_threads_the_interpreter_does_not_wait_for_at_exit(transactional_db, monkeypatch):
    # The loop's own executor threads are joined at exit: one waiting for a charger's answer on the loop
    # that SIGTERM stopped held the process for ever.
    ran_on = []

    @celery.app.task(name="tests.thread_of_the_task")
    def thread_of_the_task():
        ran_on.append(threading.current_thread())

    async def enqueued():
        monkeypatch.setattr(celery, "_loop", asyncio.get_running_loop())
        celery._on_loop("tests.thread_of_the_task", (), {})
        while not ran_on:
            await asyncio.sleep(0.01)

    asyncio.run(asyncio.wait_for(enqueued(), 10))
    assert ran_on[0].daemon and ran_on[0] is not threading.main_thread()
