"""Placeholder: filled with the tests that kill this module's survivors (docs/mutation.md)."""
