"""The small queue a connection's messages wait in (csms/memory.py), and the in-memory channel layer on it."""

import asyncio

import pytest
from channels.exceptions import ChannelFull

from commands.channel_layers import SweepingInMemoryChannelLayer
from csms.memory import ConnectionQueue


def test_messages_come_out_in_order_and_a_getter_waits_for_the_next():
    async def scenario():
        queue = ConnectionQueue()
        queue.put_nowait(1)
        queue.put_nowait(2)
        waiting = asyncio.ensure_future(asyncio.gather(queue.get(), queue.get(), queue.get()))
        await asyncio.sleep(0)
        queue.put_nowait(3)
        return await asyncio.wait_for(waiting, 5), queue.empty()

    assert asyncio.run(scenario()) == ([1, 2, 3], True)


def test_a_full_queue_refuses_as_asyncio_queue_does():
    queue = ConnectionQueue(maxsize=2)
    queue.put_nowait("a")
    queue.put_nowait("b")
    assert queue.full() and queue.qsize() == 2
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait("c")
    assert queue.get_nowait() == "a"
    queue.get_nowait()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


def test_a_message_woken_for_a_cancelled_getter_goes_to_the_next_getter():
    async def scenario():
        queue = ConnectionQueue()
        first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
        await asyncio.sleep(0)
        queue.put_nowait("call")
        first.cancel()  # woken, not yet run
        return await asyncio.wait_for(second, 5), first.cancelled()

    assert asyncio.run(scenario()) == ("call", True)


def test_the_in_memory_layer_keeps_a_channels_capacity_and_forgets_a_drained_channel():
    async def scenario():
        layer = SweepingInMemoryChannelLayer(capacity=2)
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "ocpp.call", "n": 1})
        await layer.send(channel, {"type": "ocpp.call", "n": 2})
        with pytest.raises(ChannelFull):
            await layer.send(channel, {"type": "ocpp.call", "n": 3})
        received = [(await layer.receive(channel))["n"] for _ in range(2)]
        return received, channel in layer.channels

    assert asyncio.run(scenario()) == ([1, 2], False)
