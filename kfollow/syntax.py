"""The written forms of a filter (DIM=PREFIX[,PREFIX…]) and of a drill-down (DIM[:N]), read
in one place for the command line (cli), kfollow.toml's check (mapping) and [report]
(chapter). No pandas at import: the command line reads them before anything is loaded."""

from __future__ import annotations

from collections.abc import Iterable


def parse_filter(text: str) -> tuple[str, tuple[str, ...]] | None:
    """'verksamhet=289,28' -> ('verksamhet', ('289', '28')); None where it is not so written."""
    name, sep, prefixes = text.partition("=")
    parts = tuple(p.strip() for p in prefixes.split(",") if p.strip())
    if not sep or not name.strip() or not parts:
        return None
    return name.strip(), parts


def parse_by(text: str, dimensions: Iterable[str]) -> tuple[str, int | None] | None:
    """'konto:3' -> ('konto', 3), 'ansvar' -> ('ansvar', None): konto or one of `dimensions`,
    and the code's first N characters; None where it is not so written."""
    dim, sep, width = text.partition(":")
    dim = dim.strip().lower()
    if dim not in ("konto", *dimensions) or (sep and not (width.strip().isdigit() and int(width) > 0)):
        return None
    return dim, int(width) if sep else None
