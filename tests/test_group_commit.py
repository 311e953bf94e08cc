"""The frame workers' database work (ocpp_ws/group_commit.py)."""

import asyncio

import pytest
from django.db import connection

from ocpp_ws.group_commit import GroupCommit


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def refused() -> None:
    raise ValueError("a frame its handler refuses")


@pytest.mark.postgres
def test_a_refused_frame_leaves_the_workers_own_connection_open(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the workers' own connections (outside the pool) are PostgreSQL's")
    commit = GroupCommit(workers=1)

    async def scenario() -> tuple[int, int]:
        before = await commit.run(backend_pid)
        with pytest.raises(ValueError):
            await commit.run(refused)
        return before, await commit.run(backend_pid)

    before, after = asyncio.run(scenario())
    assert after == before  # the same PostgreSQL backend: no reconnection for a frame's own error
