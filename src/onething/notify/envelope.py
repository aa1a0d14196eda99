"""A status event as a CloudEvents 1.0 envelope (structured mode, JSON): the event's id is its
``id`` (the idempotency key of every hand-over), ``type`` is ``onething.case.<type>``,
``subject`` the case number, ``time`` the moment of the change in Asia/Shanghai; ``data``
holds the 办件状态 code with its names, the case's workflow, step and department, the event's
sequence number in its case, and the event's own data — nothing personal."""

from __future__ import annotations

import json
from typing import Any

from onething.cases.status import CODES, TYPE_PREFIX, StatusEvent

#: the CloudEvents version these envelopes follow
SPEC_VERSION = "1.0"
#: the ``source`` when the host names none
DEFAULT_SOURCE = "urn:onething"


def envelope(event: StatusEvent, source: str = DEFAULT_SOURCE) -> dict[str, Any]:
    """The CloudEvents envelope of ``event``."""
    code = event.code
    return {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "source": source,
        "type": TYPE_PREFIX + event.type,
        "subject": event.case_id,
        "time": event.at.isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "case": event.case_id,
            "seq": event.seq,
            "status": event.type,
            "code": code,
            "code_name": CODES[code][0] if code is not None else None,
            "code_name_en": CODES[code][1] if code is not None else None,
            "workflow": event.workflow_id,
            "workflow_version": event.workflow_version,
            "step": event.step,
            "department": event.department,
            **({"details": event.data} if event.data else {}),
        },
    }


def body(event: StatusEvent, source: str = DEFAULT_SOURCE) -> bytes:
    """The envelope as the bytes a webhook posts (UTF-8 JSON, keys in a fixed order)."""
    return json.dumps(envelope(event, source), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
