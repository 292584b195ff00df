"""Exceptions raised by the library. No click here: cli.py turns them into exit codes."""

from __future__ import annotations

# Error lists are capped so that a file with a million bad cells still gives a readable message.
MAX_REPORTED = 20


class KfollowError(Exception):
    """Input kfollow cannot use. Carries every problem found, one line each."""

    exit_code = 3

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class LoadError(KfollowError):
    """A ledger file could not be read or holds values that are not what its column means."""


class ConfigError(KfollowError):
    """kfollow.toml is unreadable or names something that does not exist. Exit 2 (SPEC §7,
    issue 13): the configuration is part of how kfollow is asked, as its options are."""

    exit_code = 2


class MappingError(KfollowError):
    """Accounts that map to no row of the table."""


class OptionError(KfollowError):
    """An option value that does not fit the data (e.g. a --year with no rows): a usage error."""

    exit_code = 2


def capped(lines: list[str], total: int | None = None, what: str = "more") -> list[str]:
    """The first MAX_REPORTED lines, plus one that says how many were left out."""
    total = len(lines) if total is None else total
    shown = lines[:MAX_REPORTED]
    if total > len(shown):
        shown.append(f"… and {total - len(shown)} {what}")
    return shown


# An error message quotes at most this much of the input: a damaged file (an unbalanced
# quote, a run of NULs) would otherwise print megabytes in one line.
QUOTE_LIMIT = 200


def shown(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Input text for an error message: quoted, control characters escaped, at most `limit`
    characters of it (and how long it was, when cut)."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)".replace(",", " ")


def shown_code(text: object) -> str:
    """A code of the ledger (konto, ansvar) for a message: as it is where it is short and
    printable, else quoted and cut as shown() does."""
    value = str(text)
    return value if value.isprintable() and len(value) <= QUOTE_LIMIT else shown(value)
