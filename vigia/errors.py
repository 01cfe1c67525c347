"""Errors meant for the user: shown as one line, with a non-zero exit code."""


class UserError(Exception):
    """Bad input or an impossible request; the message is one line in the user's language."""
