"""Errors that end a run with one line for the user (never a traceback)."""

from __future__ import annotations


class BsmartError(Exception):
    """Base of every error the command line reports as one line."""


class ConfigError(BsmartError):
    """Something in the input file is wrong; names the file, block and key."""

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        self.file, self.where, self.detail = file, where, message
        prefix = ": ".join(p for p in (file, where) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ExpressionError(BsmartError):
    """An expression could not be parsed or evaluated."""


class CodeError(BsmartError):
    """A code failed on one point; the point becomes invalid, the scan goes on."""


class ScanError(BsmartError):
    """A scan cannot go on (e.g. no valid point at all); everything evaluated is kept."""
