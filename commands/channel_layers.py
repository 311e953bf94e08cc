"""The channel layers the command bus rides on: in-memory (embedded default) and Redis (deployed).

The Redis layer is channels-redis with two changes, both on the hot path of every command and
every fleet event:

- A send is one round trip (a Lua script) instead of four.
- A process reads the messages for its own channels ("specific.<process>.<loop>!<channel>") with
  one reader task per event loop, popping them in batches, and hands each to whoever waits on its
  channel. channels-redis reads them one at a time, four round trips each, under a lock that every
  waiting consumer queues on: on a busy event loop each round trip waits for a turn of the loop,
  and at 100 commands/s the queue of messages grew by the second.

The wire format (a sorted set of serialized messages per process, scored by send time) is
channels-redis's own, so groups and sends from other processes work unchanged.
"""

import asyncio
import collections
import copy
import logging
import time
import uuid
import weakref
from collections.abc import Callable

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from csms.memory import ConnectionQueue

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
POOL_CONNECTIONS = 100
POOL_WAIT = 20.0
# A send retries for about two seconds, enough for Redis to restart; a read waits for as long as it takes.
SEND_RETRIES = (0.1, 0.3, 0.6, 1.0)
READ_BACKOFF_MAX = 2.0
# The most messages one read pops off a process's queue.
READ_BATCH = 100

# Drop expired messages, refuse a full channel, add the message and keep the key for `expiry`.
SEND_SCRIPT = AsyncScript(
    None,
    b"""
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
""",
)


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """The in-memory layer of the embedded default, sweeping expired messages once a second.

    Channels' own sweeps every channel of the process on every group send and receive: with a
    thousand chargers connected, each fleet event walked a thousand queues.
    """

    SWEEP_INTERVAL = 1.0
    _next_sweep = 0.0

    # Channels' own send and receive, with a ConnectionQueue per channel instead of an asyncio.Queue
    # (made on every call, kept while someone waits): each connected charger waits on its channel.
    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        queue = self._queue(channel)
        try:
            queue.put_nowait((time.time() + self.expiry, copy.deepcopy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty():
                self.channels.pop(channel, None)
        return message

    def _queue(self, channel: str) -> ConnectionQueue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = ConnectionQueue(maxsize=self.get_capacity(channel))
        return queue

    def _clean_expired(self):
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_INTERVAL
            super()._clean_expired()


class _Inboxes:
    """One event loop's process-local channels: messages read for them, and who waits on them."""

    def __init__(self, capacity: Callable[[str], int]):
        self.token = uuid.uuid4().hex[:8]  # this loop's part of its channels' names
        self.capacity = capacity
        self.messages: dict[str, collections.deque] = {}  # channel -> (read at, message)
        self.waiters: dict[str, collections.deque] = {}  # channel -> futures
        self.readers: dict[str, asyncio.Task] = {}  # the process's queue (non-local name) -> its reader

    def deliver(self, channel: str, message: dict, *, first: bool = False) -> None:
        """To the channel's first live waiter, else kept for its next receive (`first`: before the others)."""
        waiters = self.waiters.get(channel)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(message)
                return
        queued = self.messages.setdefault(channel, collections.deque())
        if len(queued) >= self.capacity(channel):
            # The channel's capacity, as in Redis: a consumer that does not keep up loses its oldest.
            queued.popleft()
            log.warning("channel %s is full: its oldest message is dropped", channel)
        if first:
            queued.appendleft((time.monotonic(), message))
        else:
            queued.append((time.monotonic(), message))

    def take(self, channel: str) -> dict | None:
        queued = self.messages.get(channel)
        if not queued:
            return None
        message = queued.popleft()[1]
        if not queued:
            del self.messages[channel]
        return message

    def forget_unread(self, older_than: float) -> None:
        """Drop messages nobody received within the layer's expiry (e.g. for a consumer that is gone)."""
        cutoff = time.monotonic() - older_than
        for channel in [channel for channel, queued in self.messages.items() if queued[0][0] < cutoff]:
            queued = self.messages[channel]
            while queued and queued[0][0] < cutoff:
                queued.popleft()
            if not queued:
                del self.messages[channel]

    def waiting(self) -> bool:
        return any(self.waiters.values())


class ResilientRedisChannelLayer(RedisChannelLayer):
    """channels-redis with one-round-trip sends and batched reads, surviving a Redis restart.

    Without the retries, a lost Redis connection raised out of the receive loop of every consumer
    in the process: every charger's socket was closed with 1011 and the whole fleet reconnected at
    once. Here a reader keeps retrying until Redis is back (messages in flight are lost; their
    commands time out), and a send retries over a pooled connection that Redis closed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._inboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Inboxes] = weakref.WeakKeyDictionary()

    def create_pool(self, index):
        """A pool of POOL_CONNECTIONS connections in which a command waits for a free one (up to
        POOL_WAIT seconds) when all are busy. redis-py's own pool raises MaxConnectionsError instead,
        past its default of 100 connections (redis-py 8, as requirements.txt pins it): in a reconnect
        storm, each admission telling the charger's previous channel that it was replaced, a node's
        sends failed by the hundred and took admitted chargers' connections down with them."""
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:  # Sentinel: channels-redis's own pool
            return super().create_pool(index)
        host.setdefault("max_connections", POOL_CONNECTIONS)
        return BlockingConnectionPool.from_url(address, timeout=POOL_WAIT, **host)

    def _loop_inboxes(self) -> _Inboxes:
        loop = asyncio.get_running_loop()
        inboxes = self._inboxes.get(loop)
        if inboxes is None:
            inboxes = self._inboxes[loop] = _Inboxes(self.get_capacity)
        return inboxes

    async def new_channel(self, prefix="specific"):
        # One queue per event loop: two loops of one process never read each other's messages.
        return f"{prefix}.{self.client_prefix}.{self._loop_inboxes().token}!{uuid.uuid4().hex}"

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        assert "__asgi_channel__" not in message
        key_channel = channel
        if "!" in channel:
            message = {**message, "__asgi_channel__": channel}
            key_channel = self.non_local_name(channel)
        # Serialized once: a retry after a lost reply adds the same member again, not a second message.
        member = self.serialize(message)
        for pause in (*SEND_RETRIES, None):
            try:
                return await self._send_once(key_channel, member, self.get_capacity(channel))
            except REDIS_DOWN as error:
                if pause is None:
                    raise
                log.warning("channel layer send failed (%s); retrying in %.1f s", error, pause)
                await asyncio.sleep(pause)

    async def _send_once(self, key_channel: str, member: bytes, capacity: int) -> None:
        now = time.time()
        added = await SEND_SCRIPT(
            keys=[self.prefix + key_channel],
            args=[int(now) - int(self.expiry), capacity, now, member, int(self.expiry)],
            client=self.connection(self.consistent_hash(key_channel)),
        )
        if not added:
            raise ChannelFull()

    async def receive(self, channel):
        assert self.require_valid_channel_name(channel)
        if "!" not in channel:
            return await self._receive_shared(channel)
        inboxes = self._loop_inboxes()
        message = inboxes.take(channel)
        if message is not None:
            return message
        queue = self.non_local_name(channel)
        reader = inboxes.readers.get(queue)
        if reader is None or reader.done():
            inboxes.readers[queue] = asyncio.ensure_future(self._read(inboxes, queue))
        waiter = asyncio.get_running_loop().create_future()
        inboxes.waiters.setdefault(channel, collections.deque()).append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                inboxes.deliver(channel, waiter.result(), first=True)  # delivered as the receiver was cancelled
            raise
        finally:
            waiters = inboxes.waiters.get(channel)
            if waiters is not None:
                if waiter in waiters:
                    waiters.remove(waiter)
                if not waiters:
                    del inboxes.waiters[channel]

    async def _receive_shared(self, channel):
        pause = 0.1
        while True:
            try:
                return await super().receive(channel)
            except REDIS_DOWN as error:
                log.warning("channel layer receive failed (%s); retrying in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, READ_BACKOFF_MAX)

    async def _read(self, inboxes: _Inboxes, queue: str) -> None:
        """Pop this loop's messages off `queue` and deliver them, while anyone on this loop waits.

        Blocks in Redis when the queue is empty; pops up to READ_BATCH at once when it is not.
        """
        try:
            await self._read_until_idle(inboxes, queue)
        finally:
            # Also when the loop ends (a short-lived one cancels its tasks): nothing keeps the loop alive.
            inboxes.readers.pop(queue, None)

    async def _read_until_idle(self, inboxes: _Inboxes, queue: str) -> None:
        key = self.prefix + queue
        index = self.consistent_hash(queue)
        blocking, pause, swept = True, 0.1, time.monotonic()
        while True:
            try:
                connection = self.connection(index)
                if blocking:
                    popped = await connection.bzpopmin(key, timeout=self.brpop_timeout)
                    batch = [popped[1:]] if popped else []
                    blocking = not batch
                else:
                    batch = await connection.zpopmin(key, READ_BATCH)
                    blocking = len(batch) < READ_BATCH
                pause = 0.1
            except Exception as error:  # Redis down, or refusing (a failover's READONLY): every consumer waits on this
                log.warning("channel layer read failed (%r); retrying in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, READ_BACKOFF_MAX)
                continue
            for member, _score in batch:
                try:
                    message = self.deserialize(member)
                    channels = message.pop("__asgi_channel__")  # a group send names all its channels in this process
                except Exception:
                    log.exception("unreadable channel layer message dropped")
                    continue
                for channel in channels if isinstance(channels, list) else [channels]:
                    inboxes.deliver(channel, message)
            if time.monotonic() - swept > self.expiry:
                swept = time.monotonic()
                inboxes.forget_unread(self.expiry)
            if not batch and not inboxes.waiting():
                return

    async def flush(self):
        for inboxes in list(self._inboxes.values()):
            # Each on its own loop's thread: receivers pending there end as cancelled.
            for future in [*inboxes.readers.values(), *(w for waiters in inboxes.waiters.values() for w in waiters)]:
                future.get_loop().call_soon_threadsafe(future.cancel)
        self._inboxes = weakref.WeakKeyDictionary()
        await super().flush()
