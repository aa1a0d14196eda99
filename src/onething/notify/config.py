"""The channels a worker hands status events to, read from a deployment's file (YAML or JSON):
one entry per subscription name, a webhook or the log. Secrets stay out of the file: an entry
names the environment variable that holds its ``whsec_`` secret.

.. code-block:: yaml

    province:                      # the subscription's name
      webhook: https://gov.example/onething/events
      secret_env: PROVINCE_WEBHOOK_SECRET
      mac: hmac-sm3                # or hmac-sha256, the default
      source: urn:onething:xiangxiang
    audit:
      log: true
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from onething.errors import InvalidArgument
from onething.notify.channels import EventChannel, LogChannel, WebhookChannel
from onething.notify.envelope import DEFAULT_SOURCE
from onething.notify.signing import HMAC_SHA256, HMAC_SM3

MACS = {"hmac-sha256": HMAC_SHA256, "hmac-sm3": HMAC_SM3}


def channels_from(path: str | Path,
                  environ: Mapping[str, str] | None = None) -> dict[str, EventChannel]:
    """The channels the file at ``path`` configures (:class:`InvalidArgument` naming the file
    and the entry when it cannot be used)."""
    import yaml

    where = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidArgument(f"{where}: cannot read the channels file ({type(exc).__name__})",
                              "give a YAML or JSON file of channels") from None
    if not isinstance(data, dict) or not data:
        raise InvalidArgument(f"{where}: the channels file is a mapping of subscription "
                              "names to channels", "see docs/events.md, 'Channels'")
    env = os.environ if environ is None else environ
    return {str(name): _channel(f"{where}: {name}", entry, env)
            for name, entry in data.items()}


def _channel(where: str, entry: Any, env: Mapping[str, str]) -> EventChannel:
    if not isinstance(entry, dict):
        raise InvalidArgument(f"{where}: a channel is a mapping (webhook: URL, or log: true)")
    unknown = sorted(set(entry) - {"webhook", "secret_env", "mac", "source", "log"})
    if unknown:
        raise InvalidArgument(f"{where}: unknown key {unknown[0]!r}",
                              "webhook, secret_env, mac, source or log")
    if entry.get("log") is True and "webhook" not in entry:
        return LogChannel()
    url, variable = entry.get("webhook"), entry.get("secret_env")
    if not isinstance(url, str) or not isinstance(variable, str):
        raise InvalidArgument(f"{where}: a webhook needs webhook: URL and secret_env: NAME",
                              "or log: true")
    secret = env.get(variable)
    if not secret:
        raise InvalidArgument(f"{where}: the environment variable {variable} holds no secret",
                              "set it to the whsec_... secret shared with the receiver")
    mac = MACS.get(str(entry.get("mac", "hmac-sha256")))
    if mac is None:
        raise InvalidArgument(f"{where}: mac is one of {', '.join(MACS)}")
    try:
        return WebhookChannel(url, secret, mac, str(entry.get("source", DEFAULT_SOURCE)))
    except InvalidArgument as exc:
        raise InvalidArgument(f"{where}: {exc.message}", exc.hint) from None
