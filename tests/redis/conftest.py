"""One real ``redis-server`` per session for the tests in this folder (see
``tests/support/redis.py``); each test keeps to its own key namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.redis import RedisServer, running_redis


@pytest.fixture(scope="session")
async def redis_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    async with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server
