"""The channel layer the command bus rides on, as deployed (channels-redis)."""

import asyncio
import os
import uuid
from collections import Counter

import pytest
import redis.asyncio
from channels.layers import get_channel_layer
from channels_redis.utils import create_pool

from commands.bus import CommandTimeout, Requester, command_send
from commands.channel_layers import ResilientRedisChannelLayer
from tests.conftest import require_service

pytestmark = [pytest.mark.redis]


@pytest.fixture
def redis_layer():
    require_service("redis")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the Redis channel layer is configured on the PostgreSQL and Redis pass (REDIS_URL)")
    return get_channel_layer()


def test_a_redis_connection_waits_longer_than_the_layers_blocking_pop(redis_layer):
    # channels-redis blocks up to brpop_timeout in Redis; a client read timeout no longer
    # than that races it, and the loser crashes the consumer holding a charger's socket.
    for host in redis_layer.hosts:
        pool = create_pool(host)
        timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout
        assert timeout is None or timeout > redis_layer.brpop_timeout + 1


def test_a_command_to_a_process_that_died_times_out_cleanly(redis_layer, charger):
    charger.channel_name = redis_layer.client_prefix + "!gone"  # a consumer of a process that died
    charger.save()
    with pytest.raises(CommandTimeout):
        command_send(charger=charger, action="ClearCache", payload={}, requester=Requester("cli"), timeout=6)


# The layer itself, on a prefix of its own: runs wherever Redis is reachable.


@pytest.fixture
def layer():
    require_service("redis")
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    return ResilientRedisChannelLayer(hosts=[url], prefix=f"test-{uuid.uuid4().hex[:8]}:", capacity=500, expiry=30)


class CountedCommands:
    """The Redis commands the layer issues, by name."""

    def __init__(self, monkeypatch):
        self.names = Counter()
        original = redis.asyncio.Redis.execute_command

        async def counted(client, *args, **options):
            self.names[str(args[0]).upper()] += 1
            return await original(client, *args, **options)

        monkeypatch.setattr(redis.asyncio.Redis, "execute_command", counted)


def test_a_send_is_one_redis_command(layer, monkeypatch):
    async def scenario():
        channel = await layer.new_channel()
        commands = CountedCommands(monkeypatch)
        await layer.send(channel, {"type": "ocpp.reply", "n": 1})
        sent = sum(commands.names.values())
        received = await asyncio.wait_for(layer.receive(channel), 5)
        await layer.flush()
        return sent, received

    sent, received = asyncio.run(scenario())
    assert sent == 1  # channels-redis: ZREMRANGEBYSCORE, ZCOUNT, ZADD, EXPIRE
    assert received == {"type": "ocpp.reply", "n": 1}


def test_a_burst_of_messages_is_read_in_batches_each_to_its_channel(layer, monkeypatch):
    async def scenario():
        channels = [await layer.new_channel() for _ in range(250)]
        for number, channel in enumerate(channels):
            await layer.send(channel, {"type": "ocpp.reply", "n": number})
        commands = CountedCommands(monkeypatch)
        # Received in the reverse order of arrival: each message waits for its own receiver.
        received = [await asyncio.wait_for(layer.receive(channel), 5) for channel in reversed(channels)]
        reads = commands.names["ZPOPMIN"] + commands.names["BZPOPMIN"]
        await layer.flush()
        return received, reads

    received, reads = asyncio.run(scenario())
    assert [message["n"] for message in received] == list(reversed(range(250)))
    assert reads <= 5  # channels-redis: four commands per message, one message at a time


def test_a_group_send_reaches_every_channel_of_the_process_in_the_group(layer):
    async def scenario():
        first, second = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("fleet", first)
        await layer.group_add("fleet", second)
        await layer.group_send("fleet", {"type": "fleet.event", "kind": "status"})
        received = [await asyncio.wait_for(layer.receive(channel), 5) for channel in (first, second)]
        await layer.flush()
        return received

    assert asyncio.run(scenario()) == [{"type": "fleet.event", "kind": "status"}] * 2


def test_a_cancelled_receive_leaves_the_next_message_to_the_next_receive(layer):
    async def scenario():
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.1)
        waiting.cancel()
        await layer.send(channel, {"type": "ocpp.call", "n": 2})
        received = await asyncio.wait_for(layer.receive(channel), 5)
        await layer.flush()
        return received

    assert asyncio.run(scenario()) == {"type": "ocpp.call", "n": 2}


def test_an_unreadable_message_is_dropped_and_the_next_one_still_arrives(layer):
    async def scenario():
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.1)
        connection = layer.connection(0)
        await connection.zadd(layer.prefix + layer.non_local_name(channel), {b"not a message": 0})
        await layer.send(channel, {"type": "ocpp.call", "n": 3})
        received = await asyncio.wait_for(waiting, 5)
        await layer.flush()
        return received

    assert asyncio.run(scenario()) == {"type": "ocpp.call", "n": 3}


def test_messages_nobody_receives_are_kept_up_to_the_channels_capacity(layer):
    async def scenario():
        channel, other = await layer.new_channel(), await layer.new_channel()
        listening = asyncio.ensure_future(layer.receive(other))  # the process reads its queue meanwhile
        for number in range(layer.capacity + 20):
            await layer.send(channel, {"type": "ocpp.call", "n": number})
            if number % 100 == 0:
                await asyncio.sleep(0.01)  # the reader takes them out of Redis as they come
        await asyncio.sleep(0.5)
        first = await asyncio.wait_for(layer.receive(channel), 5)
        kept = len(layer._loop_inboxes().messages.get(channel, ())) + 1
        listening.cancel()
        await layer.flush()
        return first, kept

    first, kept = asyncio.run(scenario())
    assert kept == layer.capacity
    assert first["n"] >= 20  # the oldest were dropped


def test_a_message_delivered_to_a_cancelled_receiver_goes_to_the_next_one_waiting(layer):
    async def scenario():
        channel = await layer.new_channel()
        first = asyncio.ensure_future(layer.receive(channel))
        second = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.1)
        layer._loop_inboxes().deliver(channel, {"type": "ocpp.call", "n": 4})
        first.cancel()  # after the message reached it, before it ran
        received = await asyncio.wait_for(second, 5)
        await layer.flush()
        return received

    assert asyncio.run(scenario()) == {"type": "ocpp.call", "n": 4}


def test_a_burst_of_sends_beyond_the_pool_waits_for_connections_instead_of_failing(layer, caplog):
    # A reconnect storm's admissions each tell the charger's previous channel it was replaced: hundreds of
    # sends at once from one process, more than the pool's connections. A send that found them all busy
    # failed (redis-py's MaxConnectionsError), was retried after a pause, and failed the admission when
    # the retries did too.
    async def burst() -> None:
        # Redis slow to answer (a busy machine): every send holds its connection meanwhile.
        admin = redis.asyncio.Redis.from_url(layer.hosts[0]["address"])
        await admin.execute_command("CLIENT", "PAUSE", 300, "WRITE")
        await admin.aclose()
        await asyncio.gather(*(layer.send(f"burst-{n}", {"type": "ocpp.replaced"}) for n in range(400)))
        received = [await layer.receive(f"burst-{n}") for n in range(400)]
        assert {message["type"] for message in received} == {"ocpp.replaced"}

    asyncio.run(burst())
    assert [record.getMessage() for record in caplog.records if "send failed" in record.getMessage()] == []
