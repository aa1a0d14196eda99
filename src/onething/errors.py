"""The root of every error onething raises on purpose (a located, explained refusal)."""

from __future__ import annotations


class OnethingError(Exception):
    """Base of every error the library raises on purpose."""
