"""The case net: the one semantics of a workflow, run by the engine and explored by the proof
(docs/decisions/0001-case-net.md)."""
