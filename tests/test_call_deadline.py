"""A charger's answer that arrives in the same turn of the event loop as its command's deadline is
the answer, not a timeout. In process: the consumer's CALL slot with a fake socket and database."""

import asyncio
import time

from ocpp_ws import consumer as consumer_module
from ocpp_ws.consumer import ChargerConsumer
from ocpp_ws.framing import CALLRESULT, Frame
from ocpp_ws.versions import VERSIONS

TIMEOUT = 0.2


def test_an_answer_in_the_same_turn_as_the_deadline_is_kept(monkeypatch):
    recorded = []

    async def run(function, /, **kwargs):
        recorded.append(function.__name__)

    monkeypatch.setattr(consumer_module.frames_db, "run", run)

    async def scenario():
        loop = asyncio.get_running_loop()
        charger = ChargerConsumer.__new__(ChargerConsumer)
        charger.loop, charger.connected, charger.pending, charger.call_slot = loop, True, {}, asyncio.Lock()
        charger.version = VERSIONS["ocpp1.6"]  # a connected charger's, which its frames are counted under

        async def send(text):
            # The answer comes just before the deadline, but the loop is busy (another charger's
            # work) until both are due: they run in one turn, the answer first.
            answer = Frame(kind=CALLRESULT, unique_id="c-1", payload={"status": "Accepted"})
            loop.call_at(loop.time() + TIMEOUT - 0.05, lambda: charger.pending["c-1"].set_result(answer))
            loop.call_soon(time.sleep, TIMEOUT + 0.1)

        charger.send = send
        return await charger.call("c-1", "Reset", {"type": "Soft"}, TIMEOUT)

    reply = asyncio.run(scenario())
    assert reply["outcome"] == "answered" and reply["response"] == {"status": "Accepted"}
    assert recorded == ["answered"]
