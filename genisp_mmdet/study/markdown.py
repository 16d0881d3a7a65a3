"""Markdown tables and the generated blocks of README.md and docs/."""
from __future__ import annotations

from typing import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; cells are written with ``str``."""
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)


def markers(name: str):
    """The comment lines that delimit the generated block ``name``."""
    return f'<!-- {name}:start -->', f'<!-- {name}:end -->'


def splice(path: str, name: str, text: str) -> None:
    """Replace what ``path`` holds between the markers of block ``name``
    with ``text``.

    Raises:
        ValueError: the file lacks the markers (nothing is written).
    """
    start, end = markers(name)
    with open(path) as f:
        content = f.read()
    if start not in content or end not in content:
        raise ValueError(f'{path}: no {start} ... {end} block')
    head, rest = content.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(path, 'w') as f:
        f.write(f'{head}{start}\n{text.rstrip()}\n{end}{tail}')
