"""The checked workflow definition: frozen values, every node with its source location."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from onething.language.clock_rules import ClockRules as ClockRules
from onething.language.clock_rules import Rung as Rung
from onething.language.clock_rules import TimeLimit as TimeLimit
from onething.language.conditions.nodes import And, Compare
from onething.language.handling import Handling
from onething.language.location import UNKNOWN, Location
from onething.language.step_keys import NamedOutcome, Opens, SendBack, SignOff, Silence
from onething.workdays import Duration

LANGUAGE_VERSION = 1
FIELD_TYPES = ("string", "int", "decimal", "bool", "date", "enum", "id_card", "phone", "uscc",
               "list")
DELIVERY_METHODS = ("window", "mail", "electronic")


class Outcome(StrEnum):
    """What a department decides on its step."""

    APPROVE = "approve"
    REFUSE = "refuse"
    REQUEST_CORRECTION = "request_correction"


#: outcomes that may carry a ``goto:`` jump
JUMP_OUTCOMES = (Outcome.APPROVE.value, Outcome.REFUSE.value)


@attrs.frozen
class Condition:
    """A ``when``/``required_if`` condition: its text, parsed form and location."""

    text: str
    expr: Any  # onething.language.conditions.Expr
    location: Location = UNKNOWN

    def __str__(self) -> str:
        return self.text


@attrs.frozen
class GreenChannel:
    """绿色通道: which cases get priority, and the milestones each of their steps must show.

    ``milestones`` are counted from a step's assignment, e.g. the "137" method: arrange within
    1 WD, feed back within 3, show staged progress within 7; a missed one escalates.
    """

    when: Condition
    milestones: tuple[tuple[str, Duration], ...] = ()
    source: str = ""
    location: Location = UNKNOWN


@attrs.frozen
class Field:
    """One field of the single application form (一表申请)."""

    name: str
    type: str
    required: bool = False
    default: Any = None
    required_if: Condition | None = None
    values: tuple[str, ...] | None = None
    label: str = ""
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    personal: bool = False
    location: Location = UNKNOWN
    #: a ``list`` field's items: one field named ``item`` (a list of values) or the fields of
    #: each item (a list of small records)
    items: tuple[Field, ...] = ()
    #: a ``list`` field's record items: True when each item is a mapping of ``items``
    records: bool = False
    min_items: int = 0
    max_items: int = 0

    @property
    def nullable(self) -> bool:
        """True when the field may be absent once the form is submitted."""
        return not self.required and self.default is None


@attrs.frozen
class Material:
    """A supporting document; ``deferrable`` allows 容缺受理 with a promise limit.

    With ``required_if`` the material is required only when the condition holds on the
    submitted form (``required`` is then False), and may be promised only then."""

    name: str
    required: bool = True
    deferrable: Duration | None = None
    label: str = ""
    location: Location = UNKNOWN
    required_if: Condition | None = None


@attrs.frozen
class Form:
    """The one form: fields and materials, in declaration order."""

    fields: tuple[Field, ...] = ()
    materials: tuple[Material, ...] = ()
    location: Location = UNKNOWN

    def field(self, name: str) -> Field | None:
        """The field called ``name`` (``KeyError`` if there is none)."""
        return next((f for f in self.fields if f.name == name), None)

    def material(self, name: str) -> Material | None:
        """The material called ``name`` (``KeyError`` if there is none)."""
        return next((m for m in self.materials if m.name == name), None)

    @property
    def names(self) -> frozenset[str]:
        """Every field and material name."""
        return frozenset(f.name for f in self.fields) | {m.name for m in self.materials}


@attrs.frozen
class Commitment:
    """告知承诺制: the step may approve on the applicant's written commitment.

    ``when`` limits who may commit (e.g. no record of a false commitment); a later
    verification is due within ``verify_within`` of the approval. A failed verification
    revokes the approval: before the delivery it ends the case as the item's refusal, after
    it a linked revocation case is opened (the delivered case never changes).
    """

    when: Condition | None = None
    verify_within: Duration | None = None
    source: str = ""
    location: Location = UNKNOWN


@attrs.frozen
class Step:
    """One department's procedure (事项) inside the bundle."""

    id: str
    department: str
    title: str = ""
    reads: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    time_limit: TimeLimit | None = None
    optional: bool = False
    when: Condition | None = None
    goto: tuple[tuple[str, str], ...] = ()
    fee_waived: bool = False
    commitment: Commitment | None = None
    silence: Silence | None = None
    sign_off: SignOff | None = None
    send_back: SendBack | None = None
    #: decisions of the step's own beyond approve and refuse, by name in document order
    outcomes: tuple[NamedOutcome, ...] = ()
    #: fields the department sets with every decision that goes on (later conditions read
    #: them); never the applicant's
    sets: tuple[Field, ...] = ()
    #: the list field the step decides item by item (one decision per vehicle, per employee)
    foreach: str | None = None
    #: the child cases the step opens and waits for (子流程), if any
    opens: Opens | None = None
    source: str = ""
    location: Location = UNKNOWN
    key_locations: dict[str, Location] = attrs.field(factory=dict, eq=False, hash=False)

    @property
    def signers(self) -> tuple[str, ...]:
        """The departments that act on this step: its own, or every one that signs it."""
        if self.sign_off is not None and self.sign_off.by:
            return self.sign_off.by
        return (self.department,)

    def jump(self, outcome: str) -> str | None:
        """The step id an outcome jumps to, if it has a ``goto:``."""
        return dict(self.goto).get(outcome)

    @property
    def jumps(self) -> tuple[tuple[str, str], ...]:
        """Every (outcome, step) this step's decisions jump to: ``goto`` and named outcomes."""
        return self.goto + tuple((o.name, o.goto) for o in self.outcomes if o.goto)

    def jump_location(self, outcome: str) -> Location:
        """Where the jump on ``outcome`` is written: its ``goto:`` entry, or the named
        outcome that carries it."""
        named = self.outcome(outcome)
        if named is not None and outcome not in dict(self.goto):
            return named.location
        return self.key_locations.get(f"goto:{outcome}", self.where("goto"))

    def outcome(self, name: str) -> NamedOutcome | None:
        """The named outcome ``name`` of this step, if it has one."""
        return next((o for o in self.outcomes if o.name == name), None)

    def where(self, key: str) -> Location:
        """The location of one of this step's keys (falls back to the step's)."""
        return self.key_locations.get(key, self.location)


@attrs.frozen
class StepSequence:
    """Blocks run one after the other."""

    items: tuple[Block, ...] = ()
    location: Location = UNKNOWN


@attrs.frozen
class Parallel:
    """All branches run at once; the block ends when every branch has finished.

    ``corrections`` is ``each`` (every step asks the applicant on its own) or ``together``
    (联合审图, 多评合一: the corrections the block's steps ask are sent as one notice once no
    step of the block is still deciding, and one answer resumes every step that asked)."""

    branches: tuple[StepSequence, ...] = ()
    location: Location = UNKNOWN
    corrections: str = "each"


@attrs.frozen
class Branch:
    """One arm of a choice; ``when`` is None for ``otherwise``."""

    when: Condition | None
    body: StepSequence
    location: Location = UNKNOWN


@attrs.frozen
class Choice:
    """Ordered ``when`` arms: the first whose condition holds is taken."""

    branches: tuple[Branch, ...] = ()
    location: Location = UNKNOWN


@attrs.frozen
class Stage:
    """A named stage (阶段) of a long procedure: its own lead department and limit.

    A stage runs its blocks in order, like a sequence; it exists so that limits can be
    committed to, and analysed, stage by stage (工程建设项目 four stages).
    """

    id: str
    lead: str
    body: StepSequence
    title: str = ""
    time_limit: TimeLimit | None = None
    source: str = ""
    location: Location = UNKNOWN


Block = Step | Parallel | Choice | Stage


@attrs.frozen
class DeliveryPlan:
    """The one delivery (统一出件): what is bundled and how it may be sent."""

    bundle: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("window",)
    fee_waived: bool = True
    reads: tuple[str, ...] = ()
    location: Location = UNKNOWN


@attrs.frozen
class Workflow:
    """A whole 一件事 bundle, as loaded and checked."""

    id: str
    version: int
    title: str
    lead: str
    form: Form
    steps: StepSequence
    delivery: DeliveryPlan
    time_limit: TimeLimit | None = None
    source: str = ""
    path: str = "<string>"
    content_hash: str = ""
    location: Location = UNKNOWN
    text: str = attrs.field(default="", eq=False, repr=False)
    clock: ClockRules = attrs.field(factory=ClockRules)
    escalation: tuple[Rung, ...] = ()
    green_channel: GreenChannel | None = None
    handling: Handling = attrs.field(factory=Handling)
    #: where intake is declared (the ``lead:`` key, the window that accepts the case): what a
    #: finding about acceptance, intake refusal or withdrawal points at
    intake: Location = UNKNOWN
    #: display names of departments (``departments:``), id and name, in document order: what
    #: people read where the id is ASCII (``market_regulation``: 市场监管局)
    department_titles: tuple[tuple[str, str], ...] = ()
    _by_id: dict[str, Step] = attrs.field(
        default=attrs.Factory(lambda self: _steps_by_id(self.steps), takes_self=True),
        init=False, eq=False, repr=False, hash=False)
    #: for each step inside a ``corrections: together`` block, the steps of that block (the
    #: outermost such block)
    correction_groups: dict[str, tuple[str, ...]] = attrs.field(
        default=attrs.Factory(lambda self: _correction_groups(self.steps), takes_self=True),
        init=False, eq=False, repr=False, hash=False)
    #: the steps decided by several signers (``sign_off:``), by id
    signed_steps: frozenset[str] = attrs.field(
        default=attrs.Factory(lambda self: frozenset(s.id for s in iter_steps(self.steps)
                                                     if s.sign_off is not None),
                              takes_self=True),
        init=False, eq=False, repr=False, hash=False)
    #: the steps decided by a round: several signers (``sign_off:``) or item by item
    #: (``foreach:``), by id
    round_steps: frozenset[str] = attrs.field(
        default=attrs.Factory(lambda self: self.signed_steps | {
            s.id for s in iter_steps(self.steps) if s.foreach is not None and s.opens is None},
            takes_self=True),
        init=False, eq=False, repr=False, hash=False)
    #: the steps that open child cases (``opens:``), by id
    opening_steps: tuple[str, ...] = attrs.field(
        default=attrs.Factory(lambda self: tuple(s.id for s in iter_steps(self.steps)
                                                 if s.opens is not None), takes_self=True),
        init=False, eq=False, repr=False, hash=False)
    #: the steps deemed approved when their limit passes (``silence:``), by id
    silent_steps: tuple[str, ...] = attrs.field(
        default=attrs.Factory(lambda self: tuple(s.id for s in iter_steps(self.steps)
                                                 if s.silence is not None), takes_self=True),
        init=False, eq=False, repr=False, hash=False)

    #: the fields steps set (``sets:``), by name, with the step that sets each
    set_fields: dict[str, tuple[Field, str]] = attrs.field(
        default=attrs.Factory(lambda self: {f.name: (f, s.id) for s in iter_steps(self.steps)
                                            for f in s.sets}, takes_self=True),
        init=False, eq=False, repr=False, hash=False)
    #: for each step with ``send_back:``, each step it may send back to with the steps that
    #: are done again then (that step and those after it in its branch; with ``others:
    #: redo`` every other branch's steps too)
    rework: dict[str, dict[str, tuple[str, ...]]] = attrs.field(
        default=attrs.Factory(lambda self: _rework(self.steps), takes_self=True),
        init=False, eq=False, repr=False, hash=False)

    @property
    def condition_fields(self) -> dict[str, Field]:
        """Every field a condition may read: the form's, and those steps set."""
        fields = {f.name: f for f in self.form.fields}
        fields.update((name, field) for name, (field, _) in self.set_fields.items())
        return fields

    def list_given(self, step: Step) -> Condition | None:
        """For a step done item by item over an optional list, that the list was given (an
        empty list is not given, and the step is skipped); else None."""
        listed = self.form.field(step.foreach) if step.foreach else None
        if listed is None or not listed.nullable:
            return None
        return Condition(f"{listed.name} != null", Compare(listed.name, "!=", None),
                         step.where("foreach"))

    def step_condition(self, step: Step) -> Condition | None:
        """When ``step`` is done rather than skipped: its ``when`` and, for a step done item
        by item over an optional list, that the list was given."""
        given = self.list_given(step)
        if given is None or step.when is None:
            return given or step.when
        return Condition(f"({step.when.text}) and {given.text}",
                         And((step.when.expr, given.expr)), step.when.location)

    def iter_steps(self) -> Iterator[Step]:
        """Every step, in document order."""
        yield from iter_steps(self.steps)

    def step(self, step_id: str) -> Step:
        """The step with this id (``KeyError`` if there is none)."""
        return self._by_id[step_id]

    def find_step(self, step_id: str) -> Step | None:
        """The step with this id, or ``None`` if there is none."""
        return self._by_id.get(step_id)

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department with a step, in order of first appearance."""
        seen = dict.fromkeys([self.lead, *(s.department for s in self.iter_steps())])
        return tuple(seen)

    @property
    def all_departments(self) -> tuple[str, ...]:
        """Every department the workflow names, in order of first appearance: the lead, each
        stage's lead, each step's department and the departments that sign it, and under
        joint handling the government whose head extends the case's limit."""
        named = [self.lead]
        for item in _blocks(self.steps):
            if isinstance(item, Stage):
                named.append(item.lead)
            elif isinstance(item, Step):
                named += [item.department, *item.signers]
        if self.handling.joint:
            named.append(self.handling.government)
        return tuple(dict.fromkeys(named))

    def step_title(self, step_id: str) -> str:
        """The title of step ``step_id``, else its id (also for a step this version lacks: a
        case of an older version read on this one)."""
        found = self._by_id.get(step_id)
        return (found.title if found is not None else "") or step_id

    def department_title(self, department: str) -> str:
        """The display name of ``department`` (``departments:``), else its id."""
        return dict(self.department_titles).get(department, department)


def iter_steps(block: Block | StepSequence) -> Iterator[Step]:
    """Every step inside ``block``, in document order."""
    if isinstance(block, Step):
        yield block
    elif isinstance(block, StepSequence):
        for item in block.items:
            yield from iter_steps(item)
    elif isinstance(block, Parallel):
        for branch in block.branches:
            yield from iter_steps(branch)
    elif isinstance(block, Choice):
        for arm in block.branches:
            yield from iter_steps(arm.body)
    elif isinstance(block, Stage):
        yield from iter_steps(block.body)


def _blocks(block: object) -> Iterator[object]:
    """``block`` and every block inside it, in document order."""
    yield block
    for child in _children(block):
        yield from _blocks(child)


def _steps_by_id(steps: StepSequence) -> dict[str, Step]:
    return {s.id: s for s in reversed(list(iter_steps(steps)))}  # the first of a repeated id


def _correction_groups(block: Block | StepSequence) -> dict[str, tuple[str, ...]]:
    """Each step of a ``corrections: together`` block, with the steps of the block."""
    groups: dict[str, tuple[str, ...]] = {}

    def visit(item: object) -> None:
        if isinstance(item, Parallel) and item.corrections == "together":
            steps = tuple(s.id for s in iter_steps(item))
            for step in steps:
                groups.setdefault(step, steps)
        for child in _children(item):
            visit(child)

    visit(block)
    return groups


def send_back_block(seq: StepSequence, index: int) -> Parallel | None:
    """The parallel block the step at ``seq.items[index]`` sends back into: the block right
    before it in the same list (None if there is none)."""
    before = seq.items[index - 1] if index > 0 else None
    return before if isinstance(before, Parallel) else None


def branch_of(block: Parallel, step_id: str) -> tuple[int, int] | None:
    """Where ``step_id`` stands at the top of one of ``block``'s branches: (branch, position)."""
    for b, branch in enumerate(block.branches):
        for i, item in enumerate(branch.items):
            if isinstance(item, Step) and item.id == step_id:
                return b, i
    return None


def sequences(block: object) -> Iterator[StepSequence]:
    """Every list of blocks inside ``block`` (itself first, when it is one)."""
    if isinstance(block, StepSequence):
        yield block
    for child in _children(block):
        yield from sequences(child)


def _rework(block: Block | StepSequence) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for seq in sequences(block):
        for index, sender in enumerate(seq.items):
            parallel = send_back_block(seq, index)
            if not isinstance(sender, Step) or sender.send_back is None or parallel is None:
                continue
            targets: dict[str, tuple[str, ...]] = {}
            for target in sender.send_back.to:
                place = branch_of(parallel, target)
                if place is None:
                    continue
                b, i = place
                again = [s.id for it in parallel.branches[b].items[i:] for s in iter_steps(it)]
                if sender.send_back.others == "redo":
                    again += [s.id for o, other in enumerate(parallel.branches) if o != b
                              for s in iter_steps(other)]
                targets[target] = tuple(again)
            out[sender.id] = targets
    return out


def _children(item: object) -> tuple[object, ...]:
    if isinstance(item, StepSequence):
        return item.items
    if isinstance(item, Parallel):
        return item.branches
    if isinstance(item, Choice):
        return tuple(arm.body for arm in item.branches)
    if isinstance(item, Stage):
        return (item.body,)
    return ()
