"""The engine: the service that runs cases over a store — submit, act, time, follow-ups,
versions, erasure — behind the :class:`~onething.engine.engine.Engine` facade."""
