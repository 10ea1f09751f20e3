"""Running an adapter's independent calls together: calls that do not depend on each other run
concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar, overload

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@overload
async def together(
    first: Awaitable[A] | None, second: Awaitable[B] | None, /
) -> tuple[A | None, B | None]: ...


@overload
async def together(
    first: Awaitable[A], second: Awaitable[B] | None, third: Awaitable[C] | None, /
) -> tuple[A, B | None, C | None]: ...


async def together(*jobs: Awaitable[Any] | None) -> tuple[Any, ...]:
    """Run the jobs concurrently; ``None`` stands for a job not needed, and its result is
    ``None``. All of them finish before the first error (in argument order) is raised, so no
    call is left running."""
    running = [job for job in jobs if job is not None]
    outcomes = iter(await asyncio.gather(*running, return_exceptions=True))
    results: list[Any] = []
    for job in jobs:
        outcome = None if job is None else next(outcomes)
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return tuple(results)
