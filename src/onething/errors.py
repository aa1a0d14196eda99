"""Every error onething raises on purpose, in one module.

Each error derives from :class:`OnethingError` and from the builtin it refines, so a caller may
catch either (``except ValueError`` still catches a bad value). Every message is masked when the
error is made: an identity or mobile phone number quoted in it (from a value, an actor id, a
reason) is shown as ``430*************34``, so a host that logs exceptions logs no personal
number.

Submission problems (:class:`Problem`, :class:`ValueProblem`, :class:`SubmissionRejected`) and
action refusals (:class:`ActionRefused` and its subclasses) also carry a
:class:`~onething.messages.Message`: a stable ``code``, its ``kind``, the ``subject`` it is
about and the ``params`` its text quotes, and ``text(lang)`` gives the message in Chinese (the
default) or English from the catalogs (docs/messages.md). ``str()`` and ``.message`` stay the
English text they always were.

============================  ===================  ================================================
error                         refines              raised when
============================  ===================  ================================================
``InvalidArgument``           ``ValueError``       a value passed to the library that it cannot use
``ValueProblem``              ``ValueError``       a form value that cannot be used (with a hint)
``DurationError``             ``ValueError``       a time limit (``20 WD``) that cannot be read
``CalendarError``             ``ValueError``       a due date that cannot be computed
``ProvisionalCalendarError``  ``ValueError``       strict mode met a year without official data
``OverridesError``            ``ValueError``       a calendar override table that cannot be read
``ConditionSyntaxError``      ``ValueError``       a condition that cannot be parsed
``TooManyCells``              ``ValueError``       conditions with too many cases to enumerate
``YamlRefused``               ``ValueError``       a file the YAML reader will not read
``WorkflowInvalid``           ``ValueError``       a workflow with errors (every diagnostic)
``SilentLoop``                ``RuntimeError``     a malformed net whose silent moves never end
``AbstractionError``          ``ValueError``       a net the WF-net abstraction cannot express
``NotAWorkflowNet``           ``ValueError``       an abstraction that is not a workflow net
``DeployRefused``             ``ValueError``       a workflow that may not be deployed
``Unsound``                   ``ValueError``       a workflow the proof refutes (with its report)
``UnknownWorkflow``           ``KeyError``         no deployed workflow has this id (and version)
``UnknownCase``               ``KeyError``         no case has this id
``SubmissionRejected``        ``ValueError``       a form refused, with every problem at once
``ActionRefused``             ``RuntimeError``     an action not possible for this case now
``NotAuthorized``             ``PermissionError``  the actor may not do this to this case
``CaseEnded``                 ``RuntimeError``     the case has its one delivery already
``ErasureRefused``            ``RuntimeError``     personal data that may not be erased (yet)
``IdempotencyMismatch``       ``RuntimeError``     a key reused for a different request
``Conflict``                  ``RuntimeError``     another action changed the case first
``AlreadyDelivered``          ``RuntimeError``     the store refused a second delivery
``StoreBusy``                 ``OSError``          the database stayed busy through every retry
``StoreUnavailable``          ``OSError``          the database cannot be opened or reached
``StoreCorrupt``              ``ValueError``       the database is not one onething can read
============================  ===================  ================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from onething.messages import Message


class _Rendered(Protocol):
    """Anything with a one-line rendering (a located diagnostic, a violation)."""

    def render(self) -> str: ...


class _Verdict(Protocol):
    """The proof's report, as :class:`Unsound` reads it."""

    @property
    def errors(self) -> Sequence[_Rendered]: ...

    def summary(self) -> str: ...

__all__ = [
    "AbstractionError", "ActionRefused", "AlreadyDelivered", "CalendarError", "CaseEnded",
    "ConditionSyntaxError", "Conflict", "DeployRefused", "DurationError", "ErasureRefused",
    "IdempotencyMismatch", "InvalidArgument", "NotAWorkflowNet", "NotAuthorized",
    "OnethingError", "OverridesError", "Problem", "ProvisionalCalendarError", "SilentLoop",
    "StoreBusy", "StoreCorrupt", "StoreUnavailable", "SubmissionRejected", "TooManyCells",
    "UnknownCase", "UnknownWorkflow", "Unsound", "ValueProblem", "VersionChanged",
    "WorkflowInvalid", "YamlRefused",
]


_T = TypeVar("_T")


@overload
def masked(value: str) -> str: ...


@overload
def masked(value: _T) -> _T: ...


def masked(value: object) -> object:
    """``value`` with identity and phone numbers masked when it is text."""
    if isinstance(value, str):
        from onething.privacy.masking import mask_text

        return mask_text(value)
    return value


class OnethingError(Exception):
    """Base of every error the library raises on purpose; its text is masked."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(masked(a) for a in args))

    def __str__(self) -> str:
        return str(masked(super().__str__()))


class _Coded:
    """An error that carries a catalog message (``ui``): its code, kind, subject and
    parameters, and its text in Chinese or English. An error made without a code gets its
    class's generic one, which quotes the English message as ``detail``."""

    #: the code of an error made without one
    default_code: ClassVar[str] = ""
    ui: Message

    def _coded(self, message: str, code: str | None, subject: str,
               params: Mapping[str, object] | None) -> None:
        from onething.messages import Message

        given = dict(params or {})
        if code is None:
            given.setdefault("detail", message)
        self.ui = Message(code or self.default_code, subject, given)

    @property
    def code(self) -> str:
        """The stable code (docs/messages.md), e.g. ``refused.step.not_department``."""
        return self.ui.code

    @property
    def kind(self) -> str:
        """What it is about: ``field``, ``material``, ``step`` or ``case``."""
        return self.ui.kind

    @property
    def subject(self) -> str:
        """The name of the field or material, the step's id or the case's id."""
        return self.ui.subject

    @property
    def params(self) -> Mapping[str, Any]:
        """What the message quotes, by name (masked)."""
        return self.ui.params

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (``zh``, the default, or ``en``), masked."""
        return self.ui.text(lang)


class _Explained(OnethingError):
    """An error with a ``message`` and a ``hint`` (what to do), both masked."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f"; {hint}" if hint else ""))
        self.message: str = masked(message)
        self.hint: str = masked(hint)


# -- values and arguments ---------------------------------------------------------------------


class InvalidArgument(_Explained, ValueError):
    """A value passed to the library that it cannot use (a naive time, an empty idempotency
    key, a form that is not a mapping, ...); ``hint`` says what to pass instead."""


class ValueProblem(_Coded, OnethingError, ValueError):
    """A submitted value that cannot be used; ``.message`` says why, ``.hint`` how to fix it,
    ``code`` and ``params`` what a UI shows (the field it is about is the subject of the
    :class:`Problem` made of it). Never quotes a personal value."""

    default_code = "submission.field.refused"

    def __init__(self, message: str, hint: str = "", *, code: str | None = None,
                 subject: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message: str = masked(message)
        self.hint: str = masked(hint)
        self._coded(self.message, code, subject, params)


# -- working days -------------------------------------------------------------------------------


class DurationError(OnethingError, ValueError):
    """A duration string that cannot be read; the message says what is accepted."""


class CalendarError(OnethingError, ValueError):
    """A calendar computation or configuration that cannot be carried out."""


class ProvisionalCalendarError(CalendarError):
    """Strict mode: the result would depend on a year without official holiday data."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(
            "refusing a provisional result (strict calendar): " + "; ".join(self.reasons)
        )


class OverridesError(CalendarError):
    """An override table that cannot be read; the message names the file and the entry."""


# -- the workflow language ----------------------------------------------------------------------


class ConditionSyntaxError(OnethingError, ValueError):
    """A condition that cannot be parsed; ``offset`` is 0-based within the condition text."""

    def __init__(self, message: str, offset: int, hint: str = "") -> None:
        super().__init__(message)
        self.message: str = masked(message)
        self.offset = offset
        self.hint: str = masked(hint)


class TooManyCells(OnethingError, ValueError):
    """The conditions mention too many fields and constants to enumerate their cases."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} combinations of field values exceed the limit of {limit}")
        self.count = count
        self.limit = limit


class YamlRefused(OnethingError, ValueError):
    """The document is not YAML the loader will read; carries one located diagnostic."""

    def __init__(self, diagnostic: _Rendered) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


class WorkflowInvalid(OnethingError, ValueError):
    """A workflow with errors; ``diagnostics`` holds every one of them, located."""

    def __init__(self, diagnostics: Iterable[_Rendered]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


# -- nets and proofs ----------------------------------------------------------------------------


class SilentLoop(OnethingError, RuntimeError):
    """Silent transitions kept firing without end (a malformed net)."""


class AbstractionError(OnethingError, ValueError):
    """The case net has something the WF-net abstraction cannot express."""


class NotAWorkflowNet(OnethingError, ValueError):
    """The abstraction is not a workflow net; ``problems`` says why, one line each."""

    def __init__(self, name: str, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the control flow of {name} is not a workflow net "
                         f"(one source, one sink, every node on a path between them):\n{lines}")


class DeployRefused(OnethingError, ValueError):
    """A workflow that may not be deployed (changed content under an existing version)."""


class Unsound(DeployRefused):
    """The workflow is not sound; ``report`` holds the violations and their traces."""

    def __init__(self, report: _Verdict) -> None:
        self.report = report
        lines = [report.summary(), *(v.render() for v in report.errors)]
        super().__init__("\n".join(lines))


# -- cases ----------------------------------------------------------------------------------------


class UnknownWorkflow(OnethingError, KeyError):
    """No deployed workflow has this id (and version)."""

    def __str__(self) -> str:
        return str(masked(str(self.args[0])))


class UnknownCase(OnethingError, KeyError):
    """No case has this id."""

    def __str__(self) -> str:
        return str(masked(f"no case with id {self.args[0]!r}"))


class Problem(NamedTuple):
    """One thing wrong with a submission: which field or material, what, and what to do, and
    ``ui``, the catalog message (code, kind, parameters) a UI shows. Made with :meth:`of` or
    :meth:`of_value`. (A named tuple: this module stays free of imports, so that every entry
    point can load it at once.)"""

    name: str
    message: str
    hint: str = ""
    ui: Message | None = None

    @classmethod
    def of(cls, name: str, message: str, hint: str = "", *, code: str,
           params: Mapping[str, object] | None = None) -> Problem:
        """The problem with ``name``, its catalog message ``code`` and ``params``."""
        from onething.messages import Message

        return cls(name, message, hint, Message(code, name, dict(params or {})))

    @classmethod
    def of_value(cls, name: str, problem: ValueProblem, label: str = "") -> Problem:
        """The problem with ``name`` (whose label on the form is ``label``) that a refused
        value of it has."""
        from onething.messages import Message

        ui = problem.ui
        params = {**ui.params, "label": label} if label else ui.params
        return cls(name, problem.message, problem.hint, Message(ui.code, name, params))

    def coded(self) -> Message:
        """The catalog message (a generic one quoting ``message`` when made without)."""
        if self.ui is not None:
            return self.ui
        from onething.messages import Message

        return Message(ValueProblem.default_code, self.name, {"detail": self.message})

    @property
    def code(self) -> str:
        """The stable code, e.g. ``submission.field.required``."""
        return self.coded().code

    @property
    def kind(self) -> str:
        """``field`` or ``material`` (``case`` for the submission as a whole)."""
        return self.coded().kind

    @property
    def subject(self) -> str:
        """The field's or material's name."""
        return self.coded().subject

    @property
    def params(self) -> Mapping[str, Any]:
        """What the message quotes, by name (masked)."""
        return self.coded().params

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (``zh``, the default, or ``en``)."""
        return self.coded().text(lang)

    def to_json(self) -> dict[str, Any]:
        """``{"name", "message", "hint"}`` and the catalog message's ``code``, ``kind``,
        ``subject``, ``params`` and ``text`` (``{"zh": ..., "en": ...}``)."""
        return {"name": self.name, "message": self.message, "hint": self.hint,
                **self.coded().to_json()}

    def render(self) -> str:
        """``name: message (hint)``."""
        return f"{self.name}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class SubmissionRejected(_Coded, OnethingError, ValueError):
    """The form was not accepted; ``problems`` lists every problem at once (一次告知)."""

    default_code = "submission.case.rejected"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.render()}" for p in self.problems)
        super().__init__(f"the submission has {len(self.problems)} problem(s):\n{lines}")
        self._coded("", self.default_code, "", {"count": len(self.problems)})

    def text(self, lang: str | None = None) -> str:
        """Every problem in ``lang``, one a line, under a line that counts them."""
        return "\n".join([self.ui.text(lang), *(f"  - {p.text(lang)}" for p in self.problems)])


class ActionRefused(_Coded, _Explained, RuntimeError):
    """An action that is not possible for this case now, or not for this actor; ``code``,
    ``subject`` and ``params`` say which refusal it is (docs/messages.md)."""

    default_code = "refused.case.refused"

    def __init__(self, message: str, hint: str = "", *, code: str | None = None,
                 subject: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, hint)
        self._coded(self.message, code, subject, params)


class IdempotencyMismatch(ActionRefused):
    """An idempotency key reused for a request with different arguments."""


class NotAuthorized(ActionRefused, PermissionError):
    """The actor may not perform this action on this case."""

    default_code = "refused.case.not_authorized"


class CaseEnded(ActionRefused):
    """The case already has its one delivery; nothing about it may change."""


class ErasureRefused(ActionRefused):
    """A case whose personal data may not be erased (yet): not delivered, or still within
    its retention period, or the actor may not erase."""


class Conflict(OnethingError, RuntimeError):
    """Another action changed the case first (optimistic concurrency)."""


class VersionChanged(_Coded, Conflict):
    """The case is no longer at the version the request was made on (HTTP ``If-Match``):
    someone changed it since it was read. Nothing was written; read it again."""

    def __init__(self, case_id: str, expected: int, current: int) -> None:
        super().__init__(f"case {case_id} is at version {current}, not {expected}: it changed "
                         "since it was read; read it again")
        self.expected, self.current = expected, current
        self._coded(str(self), "refused.case.version_changed", case_id,
                    {"expected": expected, "current": current})


class AlreadyDelivered(Conflict):
    """The store refused a second delivery for one case (UNIQUE constraint)."""


# -- stores ----------------------------------------------------------------------------------------


class StoreBusy(OnethingError, OSError):
    """The database stayed busy (another writer held its lock, or it kept refusing to
    serialize this transaction) through every retry of the store's budget.

    Nothing of the request was written: it may simply be made again. The database's own
    errors ("database is locked", serialization failures, lock timeouts) never reach a caller;
    they are retried and, when the budget runs out, end in this error.
    """


class StoreUnavailable(OnethingError, OSError):
    """The database cannot be opened or reached: a missing file or directory (commands that
    read cases never create one), no permission, a read-only file, a server that does not
    answer. Nothing was written."""


class StoreCorrupt(OnethingError, ValueError):
    """The database is not one onething can read: another program's file, random or truncated
    bytes, a schema written by a newer onething, or a record that does not decode. Nothing was
    written; the message names the file or database and what to do."""
