"""Errors a user can fix, and what each says.

A `UserError` carries one sentence that says what went wrong and what to do;
the command line (`bilan/cli.py`) prints it on one line, without a traceback
(unless `--debug`), and exits non-zero. The library raises the subclass that
names the problem where it knows it best: a setting that does not parse
(`SettingsError`), a warehouse that cannot be opened (`DatabaseUnavailable`)
or that a reading command finds missing or behind the code (`WarehouseNotReady`),
a file that is not what a command expects (`BadInput`).
"""

from __future__ import annotations


class UserError(Exception):
    """A problem in what the user gave (a setting, a path, a code), not a bug."""


class SettingsError(UserError):
    """A `BILAN_*` setting (environment or `.env`) has a value that cannot be used."""


class DatabaseUnavailable(UserError):
    """`BILAN_DATABASE_URL` is not a database URL, or that database cannot be reached or written."""


class WarehouseNotReady(UserError):
    """A reading command (status, export, report) found no warehouse at
    `BILAN_DATABASE_URL`, or one whose schema, views or campaign are behind
    the code or the settings: reads never create or upgrade, they say which
    command does."""


class BadInput(UserError):
    """A file, folder or code given on the command line is not what the command expects."""


def settings_error(exc) -> SettingsError:
    """One sentence for a pydantic `ValidationError` of the settings: the
    variable, what it must be, and what was given."""
    problems = []
    for error in exc.errors():
        name = "BILAN_" + "_".join(str(part) for part in error.get("loc", ())).upper()
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        message = message[0].lower() + message[1:] if message else message
        given = error.get("input")
        shown = f" (got {given!r})" if isinstance(given, (str, int, float)) else ""
        problems.append(f"{name}: {message}{shown}")
    return SettingsError("; ".join(problems) + " — fix it in the environment or the .env file")
