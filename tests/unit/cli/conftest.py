"""Fixtures for the ``ktrade`` unit tests (defined in ``cli_support``)."""

from tests.unit.cli.cli_support import home, ktrade

__all__ = ["home", "ktrade"]
