"""What no log line may carry, whoever logs it: credentials, and (in text lines) control
characters that would let a value forge a line of its own.

Our own code never logs a credential, but libraries do: aiohttp's server, refusing a malformed
request (a control byte, a bare line feed or a folded line in a header, a header over its size
limit), logs the exception with the offending header line quoted whole, bearer and offline tokens
included. So the filter here sits on the process's one log handler (``logs.configure_logging``)
and sees every record of every logger before it is written:

- a malformed-request record of aiohttp loses its traceback and its quote, keeping what was wrong
  ("Invalid header value char") and where from;
- every message, extra field and traceback text is scrubbed of what looks like a credential
  whatever its source: a JWT (access and offline tokens), an ``Authorization`` scheme and its
  value, and ``password=`` / ``token:`` / ``client_secret`` style pairs.

The patterns are deliberately broad: a log line with a harmless value masked costs nothing, one
with a token costs the token.
"""

from __future__ import annotations

import logging
import re

# Three base64url parts, the first and second JSON objects ("eyJ" is '{"' encoded).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SCHEME = re.compile(r"(?i)\b(Bearer|Basic|Digest|Negotiate|Token)(\s+)[A-Za-z0-9._~+/=-]{6,}")
_PAIR = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|"
    r"offline_token|api_?key|apikey|authorization|x-api-key)(\"?'?\s*[=:]\s*\"?'?)"
    r"(?!\*\*\*|(?:Bearer|Basic|Digest|Negotiate|Token)\s)[^\s\"'&,;)}\]]+"
)
MASK = "***"


def redact(text: str) -> str:
    """``text`` with everything that looks like a credential masked."""
    if not text:
        return text
    text = _JWT.sub(MASK, text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


# Everything below a space, and DEL: in a text line each would break or fake the line.
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)} | {
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
}


def escape_controls(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``)."""
    return text.translate(_CONTROL)


def _malformed_request(record: logging.LogRecord) -> str | None:
    """What was wrong, when ``record`` is aiohttp refusing a request it could not parse."""
    if not record.name.startswith("aiohttp") or not record.exc_info:
        return None
    from aiohttp.http_exceptions import HttpProcessingError  # only aiohttp's records need it

    error = record.exc_info[1]
    if not isinstance(error, HttpProcessingError):
        return None
    # aiohttp's message is a reason, a colon, then the raw line quoted: keep the reason only.
    reason = str(error.message or "").split(":", 1)[0].strip()
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__


class RedactingFilter(logging.Filter):
    """Masks credentials in every record (see the module docstring). Mutates the record: the
    handler it sits on is the only one."""

    def filter(self, record: logging.LogRecord) -> bool:
        malformed = _malformed_request(record)
        if malformed is not None:
            # The client's mistake, not the server's: a warning, not aiohttp's error.
            record.msg = "refused a malformed request (%s)"
            record.args = (malformed,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = None
            record.exc_text = None
            return True
        try:
            message = record.getMessage()
        except Exception:  # a library's bad arguments: logging itself would report them
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        extras = [(k, v) for k, v in vars(record).items() if isinstance(v, str)]
        for key, value in extras:
            if key not in _EXTRA_SKIP and (clean := redact(value)) != value:
                setattr(record, key, clean)
        return True


_EXTRA_SKIP = frozenset({"msg", "exc_text", "name", "levelname", "pathname", "filename"})
