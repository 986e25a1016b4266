"""Errors that end a run with one line for the user (never a traceback)."""

from __future__ import annotations


def describe(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line, at most ``limit`` characters of message (a foreign
    exception, e.g. raised by a user's code, reported as a point's error or a one-line error)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:limit]}"


class BsmartError(Exception):
    """Base of every error the command line reports as one line."""

    def __str__(self) -> str:
        # values quoted from the input may hold newlines; the report stays one line
        return " ".join(super().__str__().split("\n"))


class ConfigError(BsmartError):
    """Something in the input file is wrong; names the file, block and key."""

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        self.file, self.where, self.detail = file, where, message
        prefix = ": ".join(p for p in (file, where) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)

    def in_file(self, file: str) -> "ConfigError":
        """The same error, naming ``file`` when it did not name one (raised below the config)."""
        return self if self.file else ConfigError(self.detail, file=file, where=self.where)


class ExpressionError(BsmartError):
    """An expression could not be parsed or evaluated."""


class UnknownNameError(ExpressionError):
    """An expression uses a name that is not defined when it is evaluated."""


class CodeError(BsmartError):
    """A code failed on one point; the point becomes invalid, the scan goes on."""

    partial: dict[str, float] | None = None  # observables computed before the failure


class ScanError(BsmartError):
    """A scan cannot go on (e.g. no valid point at all); everything evaluated is kept."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a run; ``resume`` is the command that continues it."""

    def __init__(self, resume: str):
        super().__init__(resume)
        self.resume = resume
