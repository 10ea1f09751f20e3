"""GraphQL over HTTP as its specification has it (https://graphql.github.io/graphql-over-http/):
which media type answers, and with which status.

- ``Accept: application/graphql-response+json`` (anywhere in the list, with a non-zero ``q``
  not lower than ``application/json``'s) is answered with that media type, and its status says
  whether GraphQL executed: a request error (the document does not parse or validate, a variable
  does not coerce, a limit refuses it) is 400, or the status its error carries
  (``extensions.statusCode``, 4xx or 5xx); once execution ran it is 200, whatever failed inside,
  the failures being in ``errors`` beside the ``data`` that was answered. (The one exception is
  the one the spec allows for a whole request refused: a caller without the role the operation
  needs is 401/403 and its answer has no ``data``, as when the middleware refuses it.)
- Anything else (``application/json``, ``*/*``, no ``Accept``) is answered
  ``application/json``, with the statuses old clients know: 200 for any GraphQL result, 401/403
  for an authentication or authorisation refusal.
- Under both, a request error answers no ``data`` key at all: ``data`` is there only when
  execution started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def answer_media_type(accept: str | None) -> str:
    """The media type to answer a request whose ``Accept`` header is ``accept``."""
    wanted = _qualities(accept or "")
    graphql_response = wanted.get(GRAPHQL_RESPONSE, 0.0)
    if graphql_response > 0 and graphql_response >= wanted.get(JSON, 0.0):
        return GRAPHQL_RESPONSE
    return JSON


def _qualities(accept: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        media_type, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[media_type.lower()] = max(quality, qualities.get(media_type.lower(), 0.0))
    return qualities


def is_request_error(result: ExecutionResult) -> bool:
    """Whether GraphQL refused the request before executing it: strawberry's
    ``PreExecutionError`` (parse, validation, a refusal of the document's limits), or
    graphql-core's answer to variables that do not coerce (``data`` null, errors with no path;
    an execution error always has the path of its field)."""
    if isinstance(result, PreExecutionError):
        return True
    errors: Sequence[GraphQLError] = result.errors or ()
    return result.data is None and bool(errors) and all(not error.path for error in errors)


def request_error_status(answer: Mapping[str, Any]) -> int:
    """The status of an answer without ``data``: its first error's ``statusCode`` when that is
    4xx or 5xx, else 400."""
    for error in answer.get("errors") or ():
        status = (error.get("extensions") or {}).get("statusCode")
        if isinstance(status, int) and 400 <= status < 600:
            return status
        break
    return 400
