"""The fenced code blocks of a markdown file, for the tests that run the docs.

A block is marked when the line before its fence (blank lines aside) is an
HTML comment ``<!-- example: <how>, <reason> -->``: the docs' own word on how
a block that cannot run here is checked.

>>> (block,) = markdown_blocks("Say:\\n\\n<!-- example: not run, needs X -->\\n  ```sh\\n  echo hi\\n  ```\\n", "a.md")
>>> block.lang, block.text, block.marker, block.where
('sh', 'echo hi\\n', 'not run, needs X', 'a.md:4')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = re.compile(r"^( *)```([\w-]*)\s*$")
MARKER = re.compile(r"^\s*<!-- example: (.*?) -->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts, its info string, its text (the
    fence's indentation removed), the prose line before it, and its marker."""

    file: str
    line: int
    lang: str
    text: str
    before: str
    marker: str | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def markdown_blocks(markdown: str, file: str) -> list[Block]:
    """Every fenced block, in order; an unclosed fence is an error."""
    lines = markdown.splitlines()
    blocks, number = [], 0
    while number < len(lines):
        opened = FENCE.match(lines[number])
        if not opened:
            number += 1
            continue
        indent, lang = len(opened.group(1)), opened.group(2)
        body, end = [], number + 1
        while end < len(lines) and not re.match(r"^ *```\s*$", lines[end]):
            body.append(lines[end][indent:] if lines[end][:indent].strip() == "" else lines[end])
            end += 1
        if end == len(lines):
            raise ValueError(f"{file}:{number + 1}: a code fence that is never closed")
        previous = [line for line in lines[:number] if line.strip()]
        marker = MARKER.match(previous[-1]) if previous else None
        prose = [line for line in previous if not MARKER.match(line)]
        blocks.append(Block(file, number + 1, lang, "\n".join(body) + "\n", prose[-1].strip() if prose else "",
                            marker.group(1).strip() if marker else None))
        number = end + 1
    return blocks
