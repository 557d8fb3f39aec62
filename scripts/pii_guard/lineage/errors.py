"""The one exception that means bad input: the command prints its message and exits 2."""


class InputError(Exception):
    """The manifest, catalog or arguments cannot be used; the message says what to do."""
