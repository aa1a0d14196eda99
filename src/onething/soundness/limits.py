"""Bounds on the proof (its own module, so that the command line reads them without loading
the checker)."""

#: the most states the proof visits before it answers "undecided" (\`onething check --budget\`)
DEFAULT_BUDGET = 1_000_000
