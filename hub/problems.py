"""Refusals a person reads: a message-catalogue key with its values, worded by the interface.

Pure: domain code raises `Problem("att.form_bad_times", field="start")`; the dashboard and the error
pages turn the key into words in the reader's language (hub/dashboard/locale/README.md).
"""

from __future__ import annotations

from typing import ClassVar


class Problem(Exception):
    """A refusal with a catalogue key, its values and the HTTP status that fits it."""

    status: ClassVar[int] = 409

    def __init__(self, key: str, /, field: str | None = None, **values: object) -> None:
        """`key` names the words; `field` the form field it concerns; `values` fill them."""
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        super().__init__(f"{key} ({shown})" if shown else key)
        self.key = key
        self.field = field
        self.values = values

    @classmethod
    def like(cls, other: Problem) -> Problem:
        """The same refusal (key, field, values) with this class's status."""
        made = cls(other.key, field=other.field)
        made.values = dict(other.values)
        made.args = other.args
        return made


class NotFoundProblem(Problem):
    """Something asked for does not exist (404)."""

    status = 404


class ForbiddenProblem(Problem):
    """The operator's role may not do this (403)."""

    status = 403


class InvalidProblem(Problem):
    """A value of a form or request makes no sense (422)."""

    status = 422


class TooLargeProblem(Problem):
    """What was sent is larger than the hub takes (413)."""

    status = 413


class UnavailableProblem(Problem):
    """The hub cannot do this until it is set up (a key, a service): 503."""

    status = 503
