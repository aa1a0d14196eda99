"""The engine's precise exceptions: each says what happened and what to do."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from onething.errors import InvalidArgument, OnethingError, _masked

__all__ = ["ActionRefused", "AlreadyDelivered", "CaseEnded", "Conflict", "DeployRefused",
           "IdempotencyMismatch", "InvalidArgument", "NotAuthorized", "OnethingError",
           "Problem", "SubmissionRejected", "UnknownCase", "UnknownWorkflow", "Unsound"]


@attrs.frozen
class Problem:
    """One thing wrong with a submission: which field or material, what, and what to do."""

    name: str
    message: str
    hint: str = ""

    def render(self) -> str:
        return f"{self.name}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class SubmissionRejected(OnethingError):
    """The form was not accepted; ``problems`` lists every problem at once (一次告知)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.render()}" for p in self.problems)
        super().__init__(f"the submission has {len(self.problems)} problem(s):\n{lines}")


class ActionRefused(OnethingError):
    """An action that is not possible for this case now, or not for this actor."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f"; {hint}" if hint else ""))
        self.message = _masked(message)
        self.hint = _masked(hint)


class IdempotencyMismatch(ActionRefused):
    """An idempotency key reused for a request with different arguments."""


class NotAuthorized(ActionRefused):
    """The actor may not perform this action on this case."""


class CaseEnded(ActionRefused):
    """The case already has its one delivery; nothing about it may change."""


class UnknownCase(OnethingError, KeyError):
    """No case has this id."""

    def __str__(self) -> str:
        return _masked(f"no case with id {self.args[0]!r}")


class UnknownWorkflow(OnethingError, KeyError):
    """No deployed workflow has this id (and version)."""

    def __str__(self) -> str:
        return _masked(str(self.args[0]))


class DeployRefused(OnethingError):
    """A workflow that may not be deployed (changed content under an existing version)."""


class Unsound(DeployRefused):
    """The workflow is not sound; ``report`` holds the violations and their traces."""

    def __init__(self, report: object) -> None:
        self.report = report
        lines = [report.summary(), *(v.render() for v in report.errors)]
        super().__init__("\n".join(lines))


class Conflict(OnethingError):
    """Another action changed the case first (optimistic concurrency)."""


class AlreadyDelivered(Conflict):
    """The store refused a second delivery for one case (UNIQUE constraint)."""
