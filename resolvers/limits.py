"""How much a caller may send in one write (ticketJSON and the typed input alike).

The body-size limit (413) is the web server's; these are finer: a write the ITSM would take but
that no legitimate caller sends (thousands of keys, a megabyte of text in one field) is refused
before it reaches the ITSM, naming the key and the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from connectors.errors import BadInput
from connectors.model import WriteRequest


@dataclass(frozen=True, slots=True)
class InputLimits:
    max_ticket_json_bytes: int = 65_536
    max_ticket_json_keys: int = 100
    max_string_length: int = 32_768

    def check_write(self, write: WriteRequest) -> None:
        if len(write.native) > self.max_ticket_json_keys:
            raise BadInput(
                f"ticketJSON has {len(write.native)} keys; at most {self.max_ticket_json_keys} "
                "are accepted"
            )
        try:
            size = len(orjson.dumps(dict(write.native)))
            orjson.dumps(dict(write.canonical))
        except orjson.JSONEncodeError:
            raise BadInput(
                "ticketJSON cannot be sent as JSON: it nests too deeply, holds an integer beyond "
                "64 bits or text that is not valid Unicode"
            ) from None
        if size > self.max_ticket_json_bytes:
            raise BadInput(
                f"ticketJSON is {size} bytes as JSON; at most {self.max_ticket_json_bytes} are "
                "accepted"
            )
        for where, values in (("ticketJSON", write.native), ("ticket", write.canonical)):
            for key, value in values.items():
                if len(key) > 100:
                    raise BadInput(f"{where} has a key of {len(key)} characters; at most 100")
                self.check_text(f"{where}.{key}", value)

    def check_text(self, name: str, value: object) -> None:
        if isinstance(value, str) and len(value) > self.max_string_length:
            raise BadInput(
                f"{name} is {len(value)} characters long; at most {self.max_string_length} are "
                "accepted"
            )
