"""The one exception that means bad input: the command prints its message and exits 2.

>>> require_extra("json", "a doctest", "duckdb").__name__
'json'
>>> require_extra("no_such_module.sub", "pii-guard demo", "duckdb")
Traceback (most recent call last):
...
pii_guard.lineage.errors.InputError: pii-guard demo needs no_such_module, which pii-guard installs only with an extra: pip install 'pii-guard[duckdb]'.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class InputError(Exception):
    """The manifest, catalog or arguments cannot be used; the message says what to do."""


def require_extra(module: str, needed_by: str, extra: str, alternatives: str = "") -> ModuleType:
    """`module` imported; when it is not installed, InputError naming the
    extra of pii-guard that installs it (the command itself needs none).
    `alternatives`: said after the pip line, e.g. other extras that also do."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module != missing and not module.startswith(missing + "."):
            raise  # something inside the installed module is broken: not a missing extra
        raise InputError(f"{needed_by} needs {missing}, which pii-guard installs only with an extra: "
                         f"pip install 'pii-guard[{extra}]'{alternatives}.") from None
