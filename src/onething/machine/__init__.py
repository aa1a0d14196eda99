"""Compiling a case net into one reusable ``transitions`` machine per workflow version."""
