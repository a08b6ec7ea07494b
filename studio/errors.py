"""Errors the command line reports as one line (exit 2): kept apart from `studio.cli` so that modules it
calls raise the same class whether the CLI runs as ``emostudio`` or ``python -m studio.cli``."""


EXIT_USER = 2  #: a user error: one line on stderr
EXIT_UNAVAILABLE = 1  #: a backend or extra that is not installed


class UserError(Exception):
    """Raised by sub-commands for bad arguments; printed as one line, exit 2."""
