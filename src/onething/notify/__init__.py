"""Telling the outside world: status events as CloudEvents 1.0 envelopes
(:mod:`~onething.notify.envelope`), signed like Standard Webhooks with a pluggable MAC
(:mod:`~onething.notify.signing`), and the channels that carry them — a webhook, SMS through
a gateway, the log (:mod:`~onething.notify.channels`)."""
