"""The channel layer the command bus rides on, as deployed (channels-redis)."""

import os

import pytest
from channels.layers import get_channel_layer
from channels_redis.utils import create_pool

from commands.bus import CommandTimeout, Requester, command_send
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
