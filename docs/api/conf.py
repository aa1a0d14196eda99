"""Sphinx configuration for onething's API reference (built offline: no inventories fetched)."""

from __future__ import annotations

project = "onething"
author = "onething developers"
copyright = "2026, onething developers"  # noqa: A001 - Sphinx's name for it
extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
html_theme = "alabaster"
language = "en"
exclude_patterns = ["_build"]
suppress_warnings: list[str] = []
