"""The HTTP spine every connector shares: one call path from a request to a gateway error.

- ``client``: ``VendorClient``, the call itself (headers, body, send, map the answer, flag an
  unknown write outcome, scrub secrets), and ``call_or_raise`` for a call outside a client;
- ``retries``: the retry and limit engine (``Resilience``, ``ResiliencePolicy``), per instance;
- ``breaker``: the circuit breaker of one instance;
- ``outcomes``: what one attempt's outcome means (``judge``), and the flagging of a write whose
  outcome is unknown (``mark_outcome_unknown``, ``flag_if_applied``);
- ``observer``: ``Target`` (who a call goes to) and ``ResilienceObserver`` (metrics, traces);
- ``answers``: secret scrubbing, the instance's name, and the mapping of the common answers
  (429 with ``Retry-After``, 401/403, 404, other refusals, non-JSON or HTML on a 2xx, no answer
  at all) in ``VendorAnswers``;
- ``concurrency``: running an adapter's independent calls together.

What a vendor supplies (its own folder, ``connectors/<vendor>/``), and nothing more:

1. ``answers.py``: a ``VendorAnswers`` subclass: ``quote`` (where its error bodies carry a
   message), ``not_json_advice`` and ``credentials_advice`` (its advice text), and, only where
   its wording differs, ``refusal`` (what a 401/403/4xx refusal says: ServiceNow's 403
   ``AccessDenied``) or ``not_json_error`` (RT's redirect to its login page);
2. ``client.py``: a ``VendorClient[T]`` subclass declaring ``vendor`` (its name in messages:
   "Jira" at acme.atlassian.net), ``itsm_type`` (the metrics label), ``api_path`` (from the
   instance URL to its API), ``answers`` and ``fixed_headers`` (RT's ``User-Agent``), and
   implementing ``success`` (what a 2xx means: a ``result`` wrapper, ``None`` for an empty
   204); ``look_up_base`` only when its calls go elsewhere than the instance (Jira's OAuth);
3. its authentication: a static header the connector passes with the extra headers, or a
   ``RequestAuth`` (a credential fetched per call, dropped on a 401: ServiceNow's OAuth);
4. the connector, its mapping and its writes, which call ``request(method, path, operation=...)``
   and never touch ``httpx`` answers themselves.
"""

from connectors.http.answers import (
    Scrubber,
    VendorAnswers,
    host_of,
    not_json,
    scrub_body,
    scrubbed,
    transport_error,
)
from connectors.http.breaker import Admission, CircuitBreaker
from connectors.http.client import (
    RequestAuth,
    VendorClient,
    call_or_raise,
    target_key,
    with_query,
)
from connectors.http.concurrency import together
from connectors.http.observer import ResilienceObserver, Target
from connectors.http.outcomes import (
    IDEMPOTENT_METHODS,
    AttemptVerdict,
    Health,
    UnreadableAnswer,
    flag_if_applied,
    is_json,
    judge,
    mark_outcome_unknown,
    outcome_unknown,
    retry_after_seconds,
)
from connectors.http.retries import Resilience, ResiliencePolicy

__all__ = [
    "IDEMPOTENT_METHODS",
    "Admission",
    "AttemptVerdict",
    "CircuitBreaker",
    "Health",
    "RequestAuth",
    "Resilience",
    "ResilienceObserver",
    "ResiliencePolicy",
    "Scrubber",
    "Target",
    "UnreadableAnswer",
    "VendorAnswers",
    "VendorClient",
    "call_or_raise",
    "flag_if_applied",
    "host_of",
    "is_json",
    "judge",
    "mark_outcome_unknown",
    "not_json",
    "outcome_unknown",
    "retry_after_seconds",
    "scrub_body",
    "scrubbed",
    "target_key",
    "together",
    "transport_error",
    "with_query",
]
