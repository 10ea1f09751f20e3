"""Idempotent create: a create retried with the same ``Idempotency-Key`` gets the first answer.

The first request with a key *claims* it (an atomic set-if-absent in the store), sends the create
and records how it ended; a retry finds that record instead of creating again:

- ``done``: the first answer (the canonical ``Ticket``) is returned again, however often asked.
- ``pending``: the first is still in flight; the retry polls until it ends, for at most the
  request deadline, then answers 409 "still in progress". A claim whose owner vanished (a crashed
  process) counts as ``unknown`` once its lease (the owner's deadline and a margin) has passed.
- ``unknown``: the first ended without a clear answer from the ITSM (``outcome_unknown``); it may
  have created a ticket, so retries get that error again and never create a second one.
- a definite failure (400, 401, 403, 404, 429, refused before sending) deletes the claim, so a
  retry tries again.

A key is scoped by the SmartOps caller (its user and client) and by the ITSM account (type,
instance, auth type, user or client, profile), and the stored *fingerprint* covers the whole
request, so the same key with another request is a 409, and two callers never share a key.

Callers get fair shares of the store: each may keep ``max_chars_per_caller`` of records within a
TTL (a new keyed create past it is 429, while replays of its existing keys still answer), and a
record is at most ``max_record_chars``: a larger first answer is kept as the ticket's ids, and a
replay answers those with every other field named as not kept (fetch the ticket for them).
Secrets never reach the store: the fingerprint is a hash over the request, the key and a hash of
the secrets, and the storage key is a hash too, so a copy of the store does not give away the
caller's key that an offline guess at a secret would need.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo

import orjson

from connectors.connection_keys import (
    AUTH_TYPE,
    CONNECTION_KEYS,
    INSTANCE_URL,
    ITSM_TYPE,
    SECRET_KEYS,
    TABLE,
)
from connectors.errors import (
    BadInput,
    Conflict,
    GatewayError,
    ItsmError,
    ItsmTimeout,
    RateLimited,
    Unavailable,
)
from connectors.fields import TicketField
from connectors.model import Ticket, WriteRequest
from resolvers.connections import ConnectionDetails
from resolvers.idempotency_records import Record
from resolvers.idempotency_store import HEADER, IdempotencyStore

log = logging.getLogger("itsm_gateway.idempotency")

MAX_KEY_LENGTH = 255

UNKNOWN_OUTCOME_MESSAGE = (
    "the first create with this Idempotency-Key ended without a clear answer from the ITSM; it "
    "may have created a ticket: check before creating again, or use a new key"
)


def parse_idempotency_key(text: str | None) -> str | None:
    """The caller's key, or ``None`` without one; 400 unless 1-255 printable ASCII characters."""
    if text is None:
        return None
    if not 1 <= len(text) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in text):
        raise BadInput(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
            "e.g. a UUID such as 3f2b8c1e-5d4a-4f7e-9b2c-1a0d6e8f7c35"
        )
    return text


# -- what a key stands for -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    """One create under a caller's key: where it is stored and what it must match."""

    key: str  # as the caller sent it, for messages
    storage_key: str  # hex digest of the caller, the account and the key
    fingerprint: str  # hex digest of everything that makes the request what it is
    owner: str = ""  # hex digest of the caller: whose share of the store the record takes

    @property
    def correlation_id(self) -> str:
        """What a keyed create writes into the ticket's ``correlationId``, to find it by when
        the ITSM's answer is lost: a digest of the storage key (so of the caller, the account
        and the key), 36 characters. Not the key: a correlation id is readable by anyone who
        reads the ticket, and a caller's key must not be replayable from it."""
        return "igw-" + _digest("correlation\0" + self.storage_key)[:32]

    @classmethod
    def for_create(
        cls,
        key: str,
        connection: ConnectionDetails,
        *,
        table: str,
        write: WriteRequest,
        fields: frozenset[TicketField],
        zone: tzinfo,
        caller: str = "",
    ) -> IdempotentCall:
        """``caller``: the SmartOps caller (``CallContext.caller``), whose keys are its own."""
        account = _account(connection)
        request = {
            "operation": "create",
            "key": key,
            "account": account,
            "secrets": _digest("\0".join(_secrets(connection))),
            "table": table,
            "native": dict(write.native),
            "canonical": dict(write.canonical),
            "fields": sorted(fields),
            "zone": str(zone),  # after parsing: "+05:30" and "+0530" are the same zone
        }
        return cls(
            key=key,
            storage_key=_digest(
                _canonical_json({"caller": caller, "account": account, "key": key})
            ),
            fingerprint=_digest(_canonical_json(request)),
            owner=_digest(caller)[:32],
        )


def _account(connection: ConnectionDetails) -> dict[str, str]:
    """Who the gateway is at which ITSM: the callers that share it share their keys' space.
    Every connection key that is neither a secret nor the table (which the request holds)."""
    return {
        key.name: _NORMALISED.get(key.name, _stripped)(connection.value(key))
        for key in CONNECTION_KEYS
        if not key.secret and key is not TABLE
    }


def _stripped(value: str | None) -> str:
    return (value or "").strip()


_NORMALISED: dict[str, Callable[[str | None], str]] = {
    ITSM_TYPE.name: lambda value: _stripped(value).lower(),
    INSTANCE_URL.name: lambda value: _base_url(_stripped(value)),
    AUTH_TYPE.name: lambda value: _stripped(value).lower(),
}


def _base_url(url: str) -> str:
    """Scheme and host are case-insensitive, a path (an ITSM served under one) is not."""
    scheme, _, rest = url.rstrip("/").partition("://")
    origin, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{origin.lower()}{slash}{path}"


def _secrets(connection: ConnectionDetails) -> tuple[str, ...]:
    return tuple(connection.value(key) or "" for key in SECRET_KEYS)


def _canonical_json(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


# -- the protocol around one create ----------------------------------------------------------


class Idempotency:
    """Runs a create at most once per key (see the module's docstring)."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        wait_seconds: float,
        lease_seconds: float,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        first_poll_seconds: float = 0.02,
        max_poll_seconds: float = 0.5,
        max_chars_per_caller: int = 8 * 1_048_576,
        max_record_chars: int = 65_536,
    ) -> None:
        """``wait_seconds``: how long a retry waits for a first create in flight (the request
        deadline). ``lease_seconds``: how long a claim may stay pending before it counts as
        unknown: the owner's deadline and a margin. ``clock`` is wall-clock time, comparable
        across the processes that share a store."""
        self._store = store
        self._wait = wait_seconds
        self._lease = lease_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._first_poll = first_poll_seconds
        self._max_poll = max_poll_seconds
        self._share = max_chars_per_caller
        self._max_record = max_record_chars

    async def run(
        self,
        call: IdempotentCall,
        create: Callable[[], Awaitable[Ticket]],
        *,
        settle: Callable[[], Awaitable[Ticket | None]] | None = None,
    ) -> Ticket:
        """``create`` once per key. ``settle``: when the create's outcome is unknown, asks the
        ITSM whether the ticket exists (by its correlation id): the ticket when it does (the
        create is answered and recorded as done), ``None`` when the ITSM answered that it does
        not (the key is released, so a retry creates, and the caller gets 503 ``Unavailable``:
        nothing was written). A look-up that fails leaves the outcome unknown, as without one.

        Pitfall: "not found" is final only if the create can no longer land. A create whose
        answer was lost in transit, or that the gateway's deadline cut short, may in principle
        still be running inside the ITSM when the look-up is answered; the look-up is sent
        after the create's call has ended, which is what the ITSMs here need (they commit a
        create before they answer it), and a cancelled request (a bug, a client gone) is never
        settled: it stays unknown."""
        claim = Record(
            "pending",
            call.fingerprint,
            owner=secrets.token_hex(16),
            lease_until=self._clock() + self._lease,
        )
        first = await self._claim_or_wait(call, claim)
        if first is not None:
            return first
        if await self._over_share(call):
            await self._release(call, claim)
            raise RateLimited(
                f"this caller's {HEADER} records fill its share of the gateway's store "
                f"({self._share:,} characters a day, "
                "ITSM_GATEWAY_IDEMPOTENCY_MAX_BYTES_PER_CALLER); "
                f"create without an {HEADER}, or later"
            )
        try:
            ticket = await create()
        except GatewayError as error:
            if not error.outcome_unknown:
                await self._release(call, claim)
                raise
            settled, found = await self._settled(error, settle)
            if not settled:
                await self._record(call, Record("unknown", call.fingerprint, status=error.status))
                raise
            if found is None:
                # Settled: nothing was written, which is what a 503 tells a client.
                await self._release(call, claim)
                raise Unavailable(
                    f"{error.message}; the ticket was not created (the ITSM has no ticket with "
                    f"this {HEADER}'s correlation id): sending the create again is safe"
                ) from None
            ticket = found
        except BaseException:
            # A bug or a cancelled request: the write may have been sent already.
            await self._record(call, Record("unknown", call.fingerprint, status=502))
            raise
        await self._record(call, self._kept(call, ticket))
        return ticket

    @staticmethod
    async def _settled(
        error: GatewayError, settle: Callable[[], Awaitable[Ticket | None]] | None
    ) -> tuple[bool, Ticket | None]:
        """``(True, the ticket or None)`` when the ITSM answered the look-up; ``(False, None)``
        when there is no answer to trust (no look-up, or it failed)."""
        if settle is None:
            return False, None
        try:
            found = await settle()
        except GatewayError as failed:
            log.info("could not settle a create of unknown outcome: %s", failed.message)
            return False, None
        log.info(
            "settled a create of unknown outcome (%s) by its correlation id: %s",
            error.status,
            "created" if found is not None else "not created",
        )
        return True, found

    async def _over_share(self, call: IdempotentCall) -> bool:
        try:
            return await self._store.usage(call.owner) >= self._share
        except GatewayError as error:
            log.warning("could not read a caller's share of the idempotency store: %s", error)
            return False  # the claim itself was stored: the store answers again

    def _kept(self, call: IdempotentCall, ticket: Ticket) -> Record:
        """The record of a created ticket, within ``max_record_chars``: whole, or its ids with
        every other field named as not kept."""
        whole = Record("done", call.fingerprint, ticket=ticket)
        if len(whole.to_json()) <= self._max_record:
            return whole
        ids = {TicketField.TICKET_NUMBER, TicketField.SYS_ID}
        why = (
            f"the first answer to {HEADER} {call.key} was larger than the gateway keeps for "
            f"replays ({self._max_record:,} characters); fetch the ticket for this field"
        )
        trimmed = Ticket(
            values={f: v for f, v in ticket.values.items() if f in ids},
            refused={f: why for f in ticket.values if f not in ids},
            untaken=ticket.untaken,
        )
        return Record("done", call.fingerprint, ticket=trimmed)

    async def _claim_or_wait(self, call: IdempotentCall, claim: Record) -> Ticket | None:
        """``None`` once this request holds the key; the first answer when there is one."""
        give_up_at = self._monotonic() + self._wait
        delay = self._first_poll
        mine = claim.to_json()
        while True:
            # Claiming again on every poll: a definite failure releases the key, and then the
            # next claim makes this request the one that tries.
            held_text = await self._store.claim(call.storage_key, mine)
            if held_text is None:
                return None
            held = Record.from_json(held_text)
            if held.fingerprint != call.fingerprint:
                raise Conflict(f"{HEADER} {call.key} was used with a different request")
            if held.state == "done" and held.ticket is not None:
                return held.ticket
            if held.state == "unknown":
                raise _unknown_outcome(held.status)
            if held.owner == claim.owner:
                # Our own claim, written by a store call whose answer was lost and retried.
                return None
            if held.lease_until <= self._clock():
                raise _unknown_outcome(504)  # its owner vanished mid-create
            remaining = give_up_at - self._monotonic()
            if remaining <= 0:
                raise Conflict(
                    f"a create with {HEADER} {call.key} is still in progress; retry with the "
                    "same key to get its answer",
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, self._max_poll)

    async def _record(self, call: IdempotentCall, record: Record) -> None:
        # Unrecorded, the claim stays pending and reads as unknown once its lease ends: never a
        # duplicate.
        text = record.to_json()
        await self._logged_if_failed(
            self._store.replace(call.storage_key, text),
            f"record the {record.state} outcome of idempotent create {call.storage_key[:12]}",
        )
        await self._logged_if_failed(
            self._store.charge(call.owner, len(text) + len(call.storage_key)),
            f"count idempotent create {call.storage_key[:12]} in its caller's share",
        )

    async def _release(self, call: IdempotentCall, claim: Record) -> None:
        await self._logged_if_failed(
            self._store.release(call.storage_key, claim.to_json()),
            f"release idempotent create {call.storage_key[:12]} after a definite failure",
        )

    @staticmethod
    async def _logged_if_failed(store_write: Awaitable[None], what: str) -> None:
        """A store write after the ITSM answered: its failure must not hide the ITSM's answer, so
        it is logged (``could not <what>``) and the request goes on."""
        try:
            await store_write
        except GatewayError as error:
            log.warning("could not %s: %s", what, error.message)


def _unknown_outcome(status: int) -> GatewayError:
    error: GatewayError
    if status == 504:
        error = ItsmTimeout(UNKNOWN_OUTCOME_MESSAGE)
    elif status == 503:
        error = Unavailable(UNKNOWN_OUTCOME_MESSAGE)
    else:
        error = ItsmError(UNKNOWN_OUTCOME_MESSAGE)
    error.outcome_unknown = True
    return error
