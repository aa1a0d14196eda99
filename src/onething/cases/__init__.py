"""The case domain: records, clocks, timers, forms, notices and who may do what — no store, no
engine, no I/O."""
