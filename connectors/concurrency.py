"""Running an adapter's independent calls together (docs/contract.md#canonical-fields: calls that do
not depend on each other run concurrently)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def together(*jobs: Awaitable[T] | None) -> list[T | None]:
    """Run the jobs concurrently; ``None`` stands for a job not needed. All of them finish
    before the first error (in argument order) is raised, so no call is left running."""
    running = [job for job in jobs if job is not None]
    outcomes = iter(await asyncio.gather(*running, return_exceptions=True))
    results: list[T | None] = []
    for job in jobs:
        outcome = None if job is None else next(outcomes)
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return results
