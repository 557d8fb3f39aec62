"""Counts in messages and reports, with the noun agreeing: "1 violation", "2 violations"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` followed by `singular` when it is 1, else by `plural` (the singular and an s unless given).

    >>> counted(1, "violation"), counted(2, "violation"), counted(0, "model")
    ('1 violation', '2 violations', '0 models')
    >>> counted(1, "stored relation holds", "stored relations hold")
    '1 stored relation holds'
    """
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
