"""Signing a webhook like Standard Webhooks 1.0: the headers ``webhook-id`` (the event id),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``<label>,<base64 MAC>``, the
MAC of ``id.timestamp.body`` under the shared secret). The MAC is pluggable: HMAC-SHA256
(label ``v1``, the standard's) by default, HMAC-SM3 (label ``v1-sm3``, an extension: 国密, which
government clouds ask for) with :data:`HMAC_SM3`. A receiver checks with :func:`verify`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

import attrs

from onething.errors import InvalidArgument

#: Standard Webhooks secrets are written ``whsec_<base64>``
SECRET_PREFIX = "whsec_"
#: how far a timestamp may be from now before a receiver refuses it (seconds)
TOLERANCE = 5 * 60


@attrs.frozen
class Mac:
    """A message authentication code: its label in the signature header and the function
    ``(key, message) -> tag``."""

    label: str
    compute: Callable[[bytes, bytes], bytes]


def _hmac(digest: str) -> Callable[[bytes, bytes], bytes]:
    def compute(key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, digest).digest()
    return compute


def sm3_available() -> bool:
    """Whether this Python's OpenSSL has SM3."""
    return "sm3" in hashlib.algorithms_available


HMAC_SHA256 = Mac("v1", _hmac("sha256"))
HMAC_SM3 = Mac("v1-sm3", _hmac("sm3"))


def secret_bytes(secret: str | bytes) -> bytes:
    """The key of a secret given as ``whsec_<base64>`` or as raw bytes."""
    if isinstance(secret, bytes):
        key = secret
    elif secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except ValueError:
            raise InvalidArgument("a webhook secret whsec_... is not base64",
                                  "give the secret exactly as issued") from None
    else:
        raise InvalidArgument("a webhook secret is whsec_<base64> or bytes",
                              "generate one: whsec_ + base64 of 32 random bytes")
    if len(key) < 16:
        raise InvalidArgument("a webhook secret of fewer than 16 bytes is too weak",
                              "use 32 random bytes")
    return key


def sign(secret: str | bytes, message_id: str, timestamp: int, payload: bytes,
         mac: Mac = HMAC_SHA256) -> dict[str, str]:
    """The three headers of a signed webhook."""
    if mac is HMAC_SM3 and not sm3_available():
        raise InvalidArgument("this Python's OpenSSL has no SM3",
                              "use an OpenSSL 1.1.1+ build with SM3, or HMAC-SHA256")
    signed = f"{message_id}.{timestamp}.".encode() + payload
    tag = base64.b64encode(mac.compute(secret_bytes(secret), signed)).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": f"{mac.label},{tag}"}


def verify(secret: str | bytes, headers: Mapping[str, str], payload: bytes,
           mac: Mac = HMAC_SHA256, now: float | None = None) -> bool:
    """Whether ``headers`` sign ``payload`` with ``secret`` (one of the signatures in the
    header matches, and the timestamp is within :data:`TOLERANCE` of now)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        given = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE:
        return False
    expected = sign(secret, message_id, timestamp, payload, mac)["webhook-signature"]
    return any(hmac.compare_digest(expected, candidate) for candidate in given)
