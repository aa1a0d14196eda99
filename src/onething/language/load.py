"""YAML text -> :class:`~onething.language.model.Workflow`, reporting every problem at once.

The reader never stops at the first problem: each one is recorded as a located
:class:`~onething.language.location.Diagnostic` and reading goes on with what can be salvaged, so
that one run of ``onething check`` lists everything a file's author must fix.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import yaml

from onething.errors import DurationError, ValueProblem, WorkflowInvalid, YamlRefused
from onething.language import conditions as exprs
from onething.language import handling as law
from onething.language import sources, time_check
from onething.language.checks import check_workflow
from onething.language.location import Diagnostic, Location, Severity
from onething.language.model import (
    DELIVERY_METHODS,
    FIELD_TYPES,
    LANGUAGE_VERSION,
    Block,
    Branch,
    Choice,
    ClockRules,
    Commitment,
    Condition,
    DeliveryPlan,
    Field,
    Form,
    GreenChannel,
    Material,
    Parallel,
    Rung,
    Stage,
    Step,
    StepSequence,
    TimeLimit,
    Workflow,
)
from onething.language.rewrite import normalise_literals
from onething.language.step_keys import (
    RESERVED_OUTCOMES,
    SET_FIELD_TYPES,
    WAITS_FOR,
    NamedOutcome,
    Opens,
    SendBack,
    SignOff,
    Silence,
)
from onething.language.values import clean_value
from onething.language.yamlsource import (
    DEFAULT_LIMITS,
    Limits,
    SourceLines,
    compose,
    node_location,
    scalar_start,
)
from onething.workdays import Duration, Unit

STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: step ids that name clocks of their own: the case's limit and the delivery's (art. 44)
RESERVED_STEP_IDS = frozenset({"case", "delivery"})
WORKFLOW_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: what a mapping of named entries reads each entry into (a field, a material)
_Entry = TypeVar("_Entry")

WORKFLOW_KEYS = {
    "onething": True, "id": True, "version": True, "title": True, "lead": True, "form": True,
    "steps": True, "delivery": True, "time_limit": False, "source": False, "description": False,
    "clock": False, "escalation": False, "green_channel": False, "handling": False,
    "departments": False,
}
HANDLING_KEYS = {"mode": True, "government": False, "source": False}
STEP_KEYS = {
    "id": True, "department": True, "title": False, "reads": False, "produces": False,
    "time_limit": False, "optional": False, "when": False, "goto": False, "fee": False,
    "source": False, "description": False, "commitment": False, "silence": False,
    "sign_off": False, "send_back": False, "outcomes": False, "sets": False, "foreach": False,
    "opens": False,
}
OPENS_KEYS = {"workflow": True, "version": False, "form": False, "waits_for": False,
              "source": False}
#: what ``opens: {form: ...}`` fills a child's field or material from: a field or material of
#: this case, or the item (``item``) or one of its fields (``item.plate``)
OPENS_SOURCE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|item\.[A-Za-z_][A-Za-z0-9_]*)$")
#: how a parallel block asks for corrections: each step on its own, or one notice together
CORRECTIONS = ("each", "together")
SIGN_OFF_KEYS = {"by": False, "experts": False, "need": True, "source": False}
#: the most experts on one panel, and the fewest signers a joint step has
MAX_EXPERTS = 50
NAMED_OUTCOME_KEYS = {"goto": False, "title": False, "source": False}
SEND_BACK_KEYS = {"to": True, "others": False, "source": False}
#: what becomes of the other branches when one is sent back: kept, or done again
SEND_BACK_OTHERS = ("keep", "redo")
SILENCE_KEYS = {"outcome": True, "source": False}
SILENCE_OUTCOMES = ("approve",)
COMMITMENT_KEYS = {"when": False, "verify_within": False, "source": False}
FIELD_KEYS = {
    "type": True, "required": False, "default": False, "required_if": False, "values": False,
    "label": False, "min": False, "max": False, "personal": False, "source": False,
    "item": False, "min_items": False, "max_items": False,
}
#: keys only a ``list`` field takes, and keys a list field does not take
LIST_ONLY_KEYS = ("item", "min_items", "max_items")
NOT_FOR_LISTS = ("values", "min", "max", "default")
#: the most items a list field may hold (``max_items``): each is decided on its own
MAX_LIST_ITEMS = 500
MATERIAL_KEYS = {"required": False, "required_if": False, "deferrable": False, "label": False,
                 "source": False}
LIMIT_KEYS = {"committed": False, "statutory": False, "source": False}
DELIVERY_KEYS = {
    "bundle": True, "methods": False, "fee": False, "reads": False, "source": False,
}
FORM_KEYS = {"fields": False, "materials": False}
STAGE_KEYS = {"id": True, "lead": True, "steps": True, "title": False, "time_limit": False,
              "source": False, "description": False}
CLOCK_KEYS = {"count_from": False, "correction": False, "answer_correction_within": False,
              "intake_notice_within": False, "answer_intake_correction_within": False,
              "warn_before": False, "extension": False,
              "case_extension": False, "deliver_within": False, "source": False}
GREEN_KEYS = {"when": True, "milestones": False, "source": False}
RUNG_KEYS = {"action": True, "after": False, "to": False, "source": False}
COUNT_FROM = ("next_day", "same_day")
CORRECTION_MODES = ("restart", "pause")
ARM_KEYS = {"when": False, "then": False, "otherwise": False}
FEES = ("waived", "charged")
YAML_BOOL_WORDS = {"on", "off", "yes", "no", "y", "n", "true", "false"}
MAX_CONDITION_DEPTH = 50
CONDITION_HINT = "a condition compares a form field with a value, e.g. delivery_method == 'mail'"


@attrs.frozen
class LoadResult:
    """What loading produced: the workflow (None when invalid) and every diagnostic."""

    workflow: Workflow | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that are errors."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that are warnings."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """Whether the workflow loaded without errors."""
        return self.workflow is not None

    def unwrap(self) -> Workflow:
        """The workflow, or :class:`WorkflowInvalid` listing every error."""
        if self.workflow is None:
            raise WorkflowInvalid(self.errors)
        return self.workflow


def load(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Workflow:
    """Load and check one workflow file; raise :class:`WorkflowInvalid` on any error."""
    return read(path, limits).unwrap()


def read(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Load one workflow file and return the workflow (if valid) with all diagnostics."""
    name = str(path)
    try:
        with Path(path).open("rb") as source:
            # never more than the limit (and one byte to tell that it is over) in memory
            raw = source.read(limits.max_bytes + 1)
            size = len(raw)
            if size > limits.max_bytes:
                source.seek(0, 2)
                size = source.tell()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        diag = Diagnostic(
            "unreadable", f"cannot read the file: {reason}", Location(name, 0, 0),
            "check the path and that the file is readable",
        )
        return LoadResult(None, (diag,))
    if size > limits.max_bytes:
        diag = Diagnostic(
            "too-large", f"the file is {size:,} bytes; the limit is {limits.max_bytes:,}",
            Location(name, 1, 1), "split the workflow or raise Limits.max_bytes",
        )
        return LoadResult(None, (diag,))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", "replace")
        where = SourceLines(before).location(name, len(before))
        diag = Diagnostic(
            "encoding", f"the file is not UTF-8 (byte {exc.start}: 0x{raw[exc.start]:02x})",
            where, "save the file as UTF-8 (GBK or GB 18030 text must be converted)",
        )
        return LoadResult(None, (diag,))
    return parse(text, name, limits)


#: what a newer release judges of a workflow's limits against the law; a definition already
#: deployed keeps reading with these as warnings (the engine holds extensions to the law's
#: bounds itself), so an upgrade never strands a running case
LAW_JUDGED = frozenset({"limit-unmet", "joint-limit", "extension-limit"})


def parse(text: str, path: str = "<string>", limits: Limits = DEFAULT_LIMITS, *,
          deployed: bool = False) -> LoadResult:
    """Read workflow YAML held in a string; ``deployed``: the text of a definition already
    deployed, on which the judgements of :data:`LAW_JUDGED` are warnings."""
    try:
        root = compose(text, path, limits)
    except YamlRefused as refused:
        # the YAML reader (onething.errors cannot name the class) refuses with a Diagnostic
        assert isinstance(refused.diagnostic, Diagnostic)
        return LoadResult(None, (refused.diagnostic,))
    reader = _Reader(path, text)
    workflow = reader.workflow(root, text)
    reader.diagnostics.extend(sources.check(root, path, text))
    if workflow is not None:
        reader.diagnostics.extend(
            check_workflow(workflow, reader.item_locations, broken=reader.broken)
        )
        if not any(d.severity is Severity.ERROR for d in reader.diagnostics):
            reader.diagnostics.extend(time_check.check(workflow))
    if deployed:
        reader.diagnostics = [attrs.evolve(d, severity=Severity.WARNING)
                              if d.code in LAW_JUDGED else d for d in reader.diagnostics]
    diagnostics = tuple(sorted(reader.diagnostics, key=lambda d: d.location))
    if any(d.severity is Severity.ERROR for d in diagnostics):
        workflow = None
    elif workflow is not None:
        workflow = normalise_literals(workflow)
    return LoadResult(workflow, diagnostics)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choice, or listing the choices."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(options) if options else ""


_Entries = dict[str, tuple[yaml.Node, yaml.Node]]
_UNCONSTRUCTABLE = (ValueError, KeyError, AttributeError, TypeError, OverflowError, yaml.YAMLError)


class _Reader:
    """Turns located YAML nodes into model objects, collecting diagnostics."""

    def __init__(self, path: str, text: str = "") -> None:
        self.path = path
        self.text = text
        self.lines = SourceLines(text)
        self.diagnostics: list[Diagnostic] = []
        #: where list entries are, for the cross-reference checks: "bundle:seal_set" and the like
        self.item_locations: dict[str, Location] = {}
        # one constructor per read: a shared one would keep every node it ever saw
        self.constructor = yaml.constructor.SafeConstructor()
        #: names of fields, materials and produced items whose definition had errors, so that
        #: the cross-reference checks do not report them again as missing
        self.broken: set[str] = set()

    # -- reporting ---------------------------------------------------------------------------

    def loc(self, node: yaml.Node) -> Location:
        return node_location(self.path, node)

    def error(self, code: str, message: str, where: yaml.Node | Location, hint: str = "") -> None:
        loc = where if isinstance(where, Location) else self.loc(where)
        self.diagnostics.append(Diagnostic(code, message, loc, hint))

    # -- generic shapes ----------------------------------------------------------------------

    def mapping(self, node: yaml.Node, what: str, keys: dict[str, bool]) -> _Entries | None:
        if not isinstance(node, yaml.MappingNode):
            self.error("bad-type", f"{what} must be a mapping of keys to values", node,
                       f"write {what} as 'key: value' lines")
            return None
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, what)
            if key is None:
                continue
            if key in entries:
                first = self.loc(entries[key][0])
                self.error("duplicate-key", f"{what} has the key '{key}' twice", key_node,
                           f"the first '{key}' is at line {first.line}; keep one")
                continue
            if key not in keys:
                self.error("unknown-key", f"{what} has no key '{key}'", key_node,
                           did_you_mean(key, keys))
                continue
            entries[key] = (key_node, value_node)
        for key, required in keys.items():
            if required and key not in entries:
                self.error("missing-key", f"{what} needs the key '{key}'", node,
                           f"add '{key}:' to {what}")
        return entries

    def _key(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error("bad-type", f"a key of {what} must be a plain word", node,
                       "write the key as a word followed by ':'")
            return None
        if node.tag.endswith(":bool") and node.value.lower() in YAML_BOOL_WORDS:
            hint = f"quote the key ('{node.value}':) if you meant the word"
            if what == "a step":
                hint = f"jumps are written 'goto: {{approve: step_id}}'; {hint}"
            self.error(
                "yaml-boolean-key",
                f"the key '{node.value}' in {what} is read by YAML as a boolean, not a word",
                node,
                hint,
            )
            return None
        key: str = node.value  # a scalar's value is its text
        return key

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self.constructor.construct_object(node)
        except _UNCONSTRUCTABLE:
            # e.g. the date 2024-02-30, '!!int abc' or an integer of 5,000 digits: keep the
            # text, and let the check of the value report it
            return node.value

    def string(self, node: yaml.Node, what: str, pattern: re.Pattern[str] | None = None,
               example: str = "") -> str | None:
        value = self.scalar(node)
        if not isinstance(node, yaml.ScalarNode) or value is None or isinstance(value, bool):
            self.error("bad-type", f"{what} must be a text value", node,
                       f"e.g. {example}" if example else "write one line of text")
            return None
        text = str(value)
        if pattern is not None and not pattern.match(text):
            self.error("bad-value", f"{what} '{text}' is not a valid name", node,
                       f"use lower-case letters, digits and '_', e.g. {example or 'seal_set'}")
            return None
        return text

    def integer(self, node: yaml.Node, what: str, minimum: int = 0) -> int | None:
        value = self.scalar(node)
        if not isinstance(value, int) or isinstance(value, bool):
            self.error("bad-type", f"{what} must be a whole number", node,
                       f"write digits only, e.g. {max(minimum, 1)}")
            return None
        if value < minimum:
            self.error("bad-value", f"{what} must be at least {minimum}", node,
                       f"e.g. {max(minimum, 1)}")
            return None
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        value = self.scalar(node)
        if not isinstance(value, bool):
            self.error("bad-type", f"{what} must be true or false", node,
                       "write true or false, unquoted")
            return None
        return value

    def names(self, node: yaml.Node, what: str, pattern: re.Pattern[str] = NAME,
              locations: dict[str, Location] | None = None, prefix: str = "") -> tuple[str, ...]:
        """A list of names; ``locations`` gets each one's location as ``prefix:name``."""
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is not None:
            self.error("bad-type", f"{what} must be a list", node,
                       f"write [{node.value}] for a single item")
            return ()
        if not isinstance(node, yaml.SequenceNode):
            if not (isinstance(node, yaml.ScalarNode) and self.scalar(node) is None):
                self.error("bad-type", f"{what} must be a list", node,
                           "write the names in brackets, e.g. [company_name, legal_person_id]")
            return ()
        out: list[str] = []
        for item in node.value:
            name = self.string(item, f"an entry of {what}", pattern)
            if name is None:
                continue
            if name in out:
                self.error("duplicate-entry", f"{what} lists '{name}' twice", item,
                           "list each name once")
                continue
            out.append(name)
            if locations is not None:
                locations[f"{prefix}:{name}"] = self.loc(item)
        return tuple(out)

    def duration(self, node: yaml.Node, what: str) -> Duration | None:
        try:
            return Duration.parse(self.scalar(node))
        except DurationError as exc:
            self.error("bad-duration", f"{what}: {exc}", node,
                       "write an amount and a unit: 20 WD, 0.5 WD, 10 ND, 4 WH or 2 NH")
            return None

    def condition(self, node: yaml.Node, what: str) -> Condition | None:
        value = self.scalar(node)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = value
        else:
            self.error("bad-type", f"{what} must be a condition written as text", node,
                       "e.g. when: \"delivery_method == 'mail'\"")
            return None
        loc = self.loc(node)
        if isinstance(value, str) and isinstance(node, yaml.ScalarNode):
            first = self.lines.location(self.path, scalar_start(node, self.text))
            loc = self.lines.in_value(first, text, 0)
        try:
            parsed = exprs.parse(text)
        except exprs.ConditionSyntaxError as exc:
            self.error("bad-expression", f"{what}: {exc.message}",
                       self.lines.in_value(loc, text, exc.offset), exc.hint or CONDITION_HINT)
            return None
        except ValueError as exc:  # e.g. int() of more than 4,300 digits
            self.error("bad-expression", f"{what}: {_unreadable(exc)}", loc, CONDITION_HINT)
            return None
        except RecursionError:
            parsed = None
        if parsed is None or _depth(parsed) > MAX_CONDITION_DEPTH:
            self.error("bad-expression", f"{what}: the condition nests too deeply", loc,
                       f"keep 'not' and parentheses under {MAX_CONDITION_DEPTH} levels deep")
            return None
        return Condition(text, parsed, loc)

    def time_limit(self, node: yaml.Node, what: str) -> TimeLimit | None:
        entries = self.mapping(node, what, LIMIT_KEYS)
        if entries is None:
            return None
        values: dict[str, Any] = {}
        for key in ("committed", "statutory"):
            if key in entries:
                values[key] = self.duration(entries[key][1], f"the {key} limit")
        if "source" in entries:
            values["source"] = self.source_text(entries["source"][1])
        return TimeLimit(location=self.loc(node), **values)

    def source_text(self, node: yaml.Node) -> str:
        """A ``source:`` of numbers: one text, or a text per number (``{statutory: ...}``);
        what each says of its numbers is checked by :mod:`onething.language.sources`."""
        if not isinstance(node, yaml.MappingNode):
            return self.string(node, "source") or ""
        texts = []
        for key_node, value_node in node.value:
            key, text = self.scalar(key_node), self.string(value_node, "a source")
            if text is not None:
                texts.append(f"{key}: {text}")
        return "; ".join(texts)

    def handling(self, node: yaml.Node) -> law.Handling | None:
        """``handling: {mode: single | joint, government: <id>, source: ...}``."""
        entries = self.mapping(node, "the handling", HANDLING_KEYS)
        if entries is None or "mode" not in entries:
            return None
        mode = self.string(entries["mode"][1], "the handling mode", STEP_ID, "joint")
        if mode is not None and mode not in law.MODES:
            self.error("bad-value", f"the handling mode must be one of: {', '.join(law.MODES)}",
                       entries["mode"][1], did_you_mean(mode, law.MODES))
            return None
        government = self.string(entries["government"][1], "the government", STEP_ID,
                                 "xiangxiang") if "government" in entries else None
        source = self.source_text(entries["source"][1]) if "source" in entries else ""
        if mode == "joint" and not source.strip():
            self.error("handling-source", "joint handling changes which limits govern; it "
                       "needs its source", node, "add source: \"statute: 行政许可法 art. 26, "
                       "42(2); local: <the rule that makes this a joint handling>\"")
        if mode is None:
            return None
        return law.Handling(mode, government or law.DEFAULT_GOVERNMENT, source,
                            self.loc(node))

    def law_bounds(self, handling: law.Handling | None, limit: TimeLimit | None,
                   clock: ClockRules | None) -> TimeLimit | None:
        """The bounds 行政许可法 arts. 42 and 44 set on extensions, the delivery period and,
        under joint handling, the case's statutory limit (at most 45 WD, 45 WD when not
        given, which is returned)."""
        handling = handling or law.Handling()
        joint = handling.joint
        for key, value in (("extension", clock.extension if clock else None),
                           ("case_extension", clock.case_extension if clock else None)):
            if clock is not None and value is not None and value.unit is not Unit.WD:
                self.error("extension-limit", f"'{key}: {value}': extensions are counted in "
                           "working days (行政许可法 art. 42, 82)", clock.location,
                           f"write {key} in WD, e.g. {key}: 10 WD")
        if clock is not None and clock.case_extension is not None \
                and clock.case_extension.unit is Unit.WD:
            bound = handling.case_extension
            amount = clock.case_extension
            if amount.amount > bound.amount:
                self.error("extension-limit", f"the case's extension of {amount} is more than "
                           f"行政许可法 art. 42 allows {'joint' if joint else 'one organ'}: "
                           f"{bound}", clock.location,
                           "joint handling (handling: {mode: joint}) allows 15 WD, approved "
                           "by the head of the government" if not joint else
                           f"write case_extension: {bound} or less")
        if clock is not None and clock.extension.unit is Unit.WD \
                and clock.extension.amount > law.SINGLE_EXTENSION.amount:
            self.error("extension-limit", f"a step's extension of {clock.extension} is more "
                       f"than 行政许可法 art. 42 allows: {law.SINGLE_EXTENSION}", clock.location,
                       f"write extension: {law.SINGLE_EXTENSION} or less")
        if clock is not None and (clock.deliver_within.unit is not Unit.WD
                                  or clock.deliver_within.amount > law.DELIVERY.amount):
            self.error("delivery-limit", f"'deliver_within: {clock.deliver_within}': the result "
                       f"is issued and served within {law.DELIVERY} of the decision at most "
                       "(行政许可法 art. 44, 82)", clock.location,
                       f"write deliver_within: {law.DELIVERY} or less (a local rule may be "
                       "quicker)")
        if not joint:
            return limit
        statutory = limit.statutory if limit is not None else None
        if statutory is None:
            return attrs.evolve(limit or TimeLimit(location=handling.location),
                                statutory=law.JOINT_LIMIT)
        where = limit.location if limit is not None else handling.location
        if statutory.unit is not Unit.WD:
            self.error("joint-limit", f"under joint handling the case's statutory limit is "
                       f"counted in working days (行政许可法 art. 42(2), 82), not {statutory}",
                       where, f"write statutory: {law.JOINT_LIMIT} or less")
        elif statutory.amount > law.JOINT_LIMIT.amount:
            self.error("joint-limit", f"under joint handling the case's statutory limit is at "
                       f"most {law.JOINT_LIMIT} (行政许可法 art. 42(2)), not {statutory}", where,
                       f"write statutory: {law.JOINT_LIMIT} or less; the 15 WD extension is "
                       "approved case by case")
        return limit

    def each(self, node: yaml.Node, what: str, read: Callable[[yaml.Node], Any]) -> list[Any]:
        if not isinstance(node, yaml.SequenceNode):
            self.error("bad-type", f"{what} must be a list", node, "start each entry with '- '")
            return []
        return [r for r in (read(item) for item in node.value) if r is not None]

    # -- the workflow ------------------------------------------------------------------------

    def workflow(self, root: yaml.Node | None, text: str) -> Workflow | None:
        if root is None or (isinstance(root, yaml.ScalarNode) and self.scalar(root) is None):
            self.error("empty-file", "the file holds no workflow", Location(self.path, 1, 1),
                       "start from the example in docs/language.md")
            return None
        entries = self.mapping(root, "the workflow", WORKFLOW_KEYS)
        if entries is None:
            return None
        get = entries.__getitem__
        if "onething" in entries:
            lang = self.integer(entries["onething"][1], "the language version 'onething'")
            if lang is not None and lang != LANGUAGE_VERSION:
                self.error("bad-value", f"language version {lang} is not supported",
                           entries["onething"][1],
                           f"this release reads 'onething: {LANGUAGE_VERSION}'")
        wid = self.string(get("id")[1], "the workflow id", WORKFLOW_ID, "enterprise-startup") \
            if "id" in entries else None
        version = self.integer(get("version")[1], "the version", 1) if "version" in entries \
            else None
        title = self.string(get("title")[1], "the title") if "title" in entries else None
        lead = self.string(get("lead")[1], "the lead department", STEP_ID, "market_regulation") \
            if "lead" in entries else None
        limit = self.time_limit(get("time_limit")[1], "the time limit") \
            if "time_limit" in entries else None
        source = self.string(get("source")[1], "source") if "source" in entries else ""
        if "description" in entries:
            self.string(get("description")[1], "the description")
        clock = self.clock(get("clock")[1]) if "clock" in entries else ClockRules()
        handling = self.handling(get("handling")[1]) if "handling" in entries \
            else law.Handling()
        limit = self.law_bounds(handling, limit, clock)
        ladder = self.escalation(get("escalation")[1]) if "escalation" in entries else ()
        green = self.green_channel(get("green_channel")[1]) if "green_channel" in entries \
            else None
        form = self.form(get("form")[1]) if "form" in entries else None
        steps = self.sequence(get("steps")[1], "steps") if "steps" in entries else None
        delivery = self.delivery(get("delivery")[1]) if "delivery" in entries else None
        if steps is not None and not steps.items:
            self.error("empty-steps", "the workflow has no steps", get("steps")[1],
                       "list at least one step under 'steps:'")
        names = self.department_names(get("departments")[1]) if "departments" in entries \
            else None
        if form is None or steps is None or delivery is None:
            return None
        # with a bad id, version, title or lead the workflow is still built, so that the
        # cross-reference checks run too; the errors already recorded make parse() drop it
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        workflow = Workflow(
            id=wid or "", version=version or 0, title=title or "", lead=lead or "", form=form,
            steps=steps, delivery=delivery, time_limit=limit, source=source or "",
            path=self.path, content_hash=f"sha256:{digest}", location=self.loc(root), text=text,
            clock=clock or ClockRules(), escalation=ladder, green_channel=green,
            handling=handling or law.Handling(),
            intake=self.loc(get("lead")[0]) if "lead" in entries else self.loc(root),
            department_titles=tuple((d, t) for d, t, _ in names or ()),
        )
        if names is not None:
            self.check_department_names(workflow, names, get("departments")[0])
        return workflow

    def department_names(self, node: yaml.Node) -> list[tuple[str, str, Location]]:
        """``departments: {market_regulation: 市场监管局, ...}``: each department's display
        name, with where its id is written."""
        if not isinstance(node, yaml.MappingNode):
            self.error("bad-type", "departments must be a mapping of department ids to their "
                       "display names", node, "write one 'id: 名称' line per department, e.g. "
                       "tax: 税务局")
            return []
        out: list[tuple[str, str, Location]] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if self._key(key_node, "departments") is None:
                continue
            ident = self.string(key_node, "a department id", STEP_ID, "market_regulation")
            if ident is None:
                continue
            if ident in seen:
                self.error("duplicate-key", f"the department '{ident}' is named twice",
                           key_node, f"the first is at line {seen[ident]}; keep one")
                continue
            seen[ident] = self.loc(key_node).line
            title = self.string(value_node, f"the display name of '{ident}'")
            if title is not None and not title.strip():
                self.error("bad-value", f"the display name of '{ident}' is blank", value_node,
                           "write the department's name as people read it, e.g. 税务局")
                title = None
            if title is not None:
                out.append((ident, title.strip(), self.loc(key_node)))
        return out

    def check_department_names(self, workflow: Workflow,
                               names: list[tuple[str, str, Location]],
                               key: yaml.Node) -> None:
        """Every id ``departments:`` names is a department of the workflow (an error: a
        misspelt id would leave the real one without its name); a department left without a
        name is a warning (people read its id)."""
        known = workflow.all_departments
        # a department that did not read (reported already) may be the one named: no guess
        sure = "" not in known
        for ident, _, where in names:
            if sure and ident not in known:
                self.error("unknown-department", f"departments names '{ident}', which is not "
                           "a department of the workflow (its lead, a stage's lead, a step's "
                           "department or signer, or the government of joint handling)",
                           where, did_you_mean(ident, known))
        named = {ident for ident, _, _ in names}
        missing = [d for d in known if d and d not in named]
        if missing:
            self.diagnostics.append(Diagnostic(
                "unnamed-department", "departments gives no display name to "
                + ", ".join(f"'{d}'" for d in missing), self.loc(key),
                f"add '{missing[0]}: <its name>' under departments; until then people read "
                "the id", Severity.WARNING))

    # -- the form ----------------------------------------------------------------------------

    def form(self, node: yaml.Node) -> Form | None:
        entries = self.mapping(node, "the form", FORM_KEYS)
        if entries is None:
            return None
        fields = self.named_entries(entries.get("fields"), "form field", self.field)
        materials = self.named_entries(entries.get("materials"), "material", self.material)
        names = {f.name: f.location for f in fields}
        for material in materials:
            if material.name in names:
                self.error("duplicate-name",
                           f"'{material.name}' is both a form field and a material",
                           material.location,
                           f"the field is at line {names[material.name].line}; rename one")
        return Form(tuple(fields), tuple(materials), self.loc(node))

    def named_entries(self, pair: tuple[yaml.Node, yaml.Node] | None, what: str,
                      read: Callable[[str, yaml.Node, yaml.Node], _Entry | None]
                      ) -> list[_Entry]:
        if pair is None:
            return []
        node = pair[1]
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self.error("bad-type", f"the {what}s must be a mapping of names to definitions",
                       node, f"write one 'name: {{...}}' line per {what}")
            return []
        out: list[_Entry] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if self._key(key_node, f"the {what}s") is None:
                continue
            name = self.string(key_node, f"a {what} name", NAME, "company_name")
            if name is None:
                continue
            if name in seen:
                self.error("duplicate-key", f"the {what} '{name}' is defined twice", key_node,
                           f"the first is at line {seen[name]}; keep one")
                continue
            seen[name] = self.loc(key_node).line
            item = read(name, key_node, value_node)
            if item is not None:
                out.append(item)
            else:
                self.broken.add(name)
        return out

    def field(self, name: str, key_node: yaml.Node, node: yaml.Node) -> Field | None:
        what = f"the field '{name}'"
        entries = self.mapping(node, what, FIELD_KEYS)
        if entries is None or "type" not in entries:
            return None
        ftype = self.string(entries["type"][1], f"the type of {what}")
        if ftype is None:
            return None
        if ftype not in FIELD_TYPES:
            self.error("bad-value", f"{what} has the unknown type '{ftype}'",
                       entries["type"][1], did_you_mean(ftype, FIELD_TYPES))
            return None
        if ftype == "list":
            return self.list_field(name, key_node, node, entries)
        for key in LIST_ONLY_KEYS:
            if key in entries:
                self.error("bad-value", f"'{key}' applies to list fields, and {what} is {ftype}",
                           entries[key][0], f"remove '{key}' or use type: list")
        values = None
        if ftype == "enum":
            if "values" not in entries:
                self.error("missing-key", f"the enum {what} needs 'values'", node,
                           "e.g. values: [window, mail]")
                return None
            values = self.names(entries["values"][1], f"the values of {what}", re.compile(".+"))
            if not values:
                self.error("bad-value", f"the enum {what} has no values", entries["values"][1],
                           "list the values an applicant may choose, e.g. [window, mail]")
                return None
            if any(not value.strip() for value in values):
                self.error("bad-value", f"the enum {what} has a blank value, which no one can "
                           "choose: a blank answer counts as no answer", entries["values"][1],
                           "remove it; to allow no answer, leave the field not required")
                return None
        elif "values" in entries:
            self.error("bad-value", f"'values' applies to enum fields, and {what} is {ftype}",
                       entries["values"][0], "remove 'values' or use type: enum")
        bounds = {}
        for key in ("min", "max"):
            if key in entries:
                bounds[key] = self.bound(ftype, entries[key][1], f"'{key}' of {what}")
        if bounds.get("min") is not None and bounds.get("max") is not None \
                and bounds["min"] > bounds["max"]:
            self.error("bad-value", f"'max' of {what} is below its 'min'", entries["max"][1],
                       "swap them: 'min' is the smallest value allowed, 'max' the largest")
        default = None
        if "default" in entries:
            try:
                default = clean_value(ftype, self.scalar(entries["default"][1]), values=values,
                                      minimum=bounds.get("min"), maximum=bounds.get("max"))
            except ValueProblem as exc:
                self.error("bad-value", f"the default of {what}: {exc.message}",
                           entries["default"][1],
                           exc.hint or "the default must be a value the field accepts")
            except ValueError as exc:  # e.g. int() of more than 4,300 digits
                self.error("bad-value", f"the default of {what}: {_unreadable(exc)}",
                           entries["default"][1], "write a shorter value")
        return Field(
            name=name, type=ftype, default=default, values=values,
            minimum=bounds.get("min"), maximum=bounds.get("max"), location=self.loc(key_node),
            **self.field_basics(entries, what, ftype in ("id_card", "phone")),
        )

    def field_basics(self, entries: _Entries, what: str, personal: bool) -> dict[str, Any]:
        """What every kind of field says the same way: ``required``, ``required_if``,
        ``label``, ``personal`` (``personal`` when it does not say) and ``source``."""
        if "source" in entries:
            self.string(entries["source"][1], "source")
        return {
            "required": bool(self.boolean(entries["required"][1], f"'required' of {what}"))
            if "required" in entries else False,
            "required_if": self.condition(entries["required_if"][1], f"'required_if' of {what}")
            if "required_if" in entries else None,
            "label": (self.string(entries["label"][1], "a label") or "")
            if "label" in entries else "",
            "personal": bool(self.boolean(entries["personal"][1], f"'personal' of {what}"))
            if "personal" in entries else personal,
        }

    def list_field(self, name: str, key_node: yaml.Node, node: yaml.Node,
                   entries: _Entries) -> Field | None:
        """A ``list`` field: ``item`` is one field's definition (a list of values) or a mapping
        of fields (a list of small records); ``max_items`` bounds it, ``min_items`` (default 0)
        is the fewest items a given list holds."""
        what = f"the list field '{name}'"
        for key in NOT_FOR_LISTS:
            if key in entries:
                self.error("bad-value", f"'{key}' does not apply to {what}", entries[key][0],
                           f"remove '{key}'; an item's checks go under 'item'")
        if "item" not in entries or "max_items" not in entries:
            self.error("missing-key", f"{what} needs 'item' and 'max_items'", node,
                       "e.g. item: {plate: {type: string, required: true}}, max_items: 20")
            return None
        item_node = entries["item"][1]
        if not isinstance(item_node, yaml.MappingNode) or not item_node.value:
            self.error("bad-type", f"'item' of {what} must be a field's definition or a "
                       "mapping of fields", item_node,
                       "e.g. item: {type: id_card} or item: {plate: {type: string}}")
            return None
        scalar = any(getattr(k, "value", None) == "type" and isinstance(v, yaml.ScalarNode)
                     for k, v in item_node.value)
        if scalar and any(getattr(k, "value", None) == "type" and getattr(v, "value", None)
                          == "list" for k, v in item_node.value):
            self.error("bad-value", f"{what}: an item is itself a list", item_node,
                       "lists do not nest: give each item fields, e.g. item: {plate: {type: "
                       "string}}")
            return None
        if scalar:
            one = self.field("item", entries["item"][0], item_node)
            items = [] if one is None else [one]
        else:
            items = self.named_entries(entries["item"], f"item field of {what}", self.field)
        if not items:
            return None
        for sub in items:
            if sub.type == "list" or sub.required_if is not None:
                self.error("bad-value", f"{what}: an item's field '{sub.name}' "
                           + ("is itself a list" if sub.type == "list" else
                              "has 'required_if'"), sub.location,
                           "items hold plain values: no lists in lists, no required_if")
                return None
        most = self.integer(entries["max_items"][1], f"'max_items' of {what}", 1)
        if most is not None and most > MAX_LIST_ITEMS:
            self.error("bad-value", f"'max_items' of {what} is {most:,}, more than "
                       f"{MAX_LIST_ITEMS}", entries["max_items"][1],
                       "each item is decided on its own; split the list")
            return None
        fewest = self.integer(entries["min_items"][1], f"'min_items' of {what}", 0) \
            if "min_items" in entries else 0
        if most is None or fewest is None:
            return None
        if fewest > most:
            self.error("bad-value", f"'min_items' of {what} is above its 'max_items'",
                       entries["min_items"][1], "swap them")
            return None
        basics = self.field_basics(entries, what, any(sub.personal for sub in items))
        if basics["personal"] and "personal" in entries:  # every value of every item
            items = [attrs.evolve(sub, personal=True) for sub in items]
        return Field(name=name, type="list", location=self.loc(key_node), items=tuple(items),
                     records=not scalar, min_items=fewest, max_items=most, **basics)

    def bound(self, ftype: str, node: yaml.Node, what: str) -> Any:
        if ftype not in ("int", "decimal", "date"):
            self.error("bad-value", f"{what} applies to int, decimal and date fields", node,
                       f"remove it, or make the field int, decimal or date (it is {ftype})")
            return None
        try:
            return clean_value(ftype, self.scalar(node))
        except ValueProblem as exc:
            self.error("bad-value", f"{what}: {exc.message}", node,
                       exc.hint or "write a number, or a date as YYYY-MM-DD")
            return None
        except ValueError as exc:  # e.g. int() of more than 4,300 digits
            self.error("bad-value", f"{what}: {_unreadable(exc)}", node, "write a shorter value")
            return None

    def material(self, name: str, key_node: yaml.Node, node: yaml.Node) -> Material | None:
        what = f"the material '{name}'"
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return Material(name=name, location=self.loc(key_node))
        entries = self.mapping(node, what, MATERIAL_KEYS)
        if entries is None:
            return None
        required = self.boolean(entries["required"][1], f"'required' of {what}") \
            if "required" in entries else True
        # read (and type-checked, in checks) as a field's: required only when it holds
        conditional = self.condition(entries["required_if"][1], f"'required_if' of {what}") \
            if "required_if" in entries else None
        if "required_if" in entries and required is True and "required" in entries:
            self.error("bad-value", f"{what} says 'required: true' and 'required_if': the "
                       "condition would never matter", entries["required_if"][0],
                       "keep 'required_if' to require the material only when it holds, or "
                       "drop it")
        deferrable = self.duration(entries["deferrable"][1], f"'deferrable' of {what}") \
            if "deferrable" in entries else None
        if deferrable is not None and required is False and "required_if" not in entries:
            self.error("bad-value", f"{what} is optional, so it cannot be deferred",
                       entries["deferrable"][0],
                       "'deferrable' (容缺受理) is for required materials; drop one of the two")
        label = self.string(entries["label"][1], "a label") if "label" in entries else ""
        if "source" in entries:
            self.source_text(entries["source"][1])
        return Material(name=name, required=required is not False
                        and "required_if" not in entries, deferrable=deferrable,
                        label=label or "", location=self.loc(key_node), required_if=conditional)

    # -- steps and blocks --------------------------------------------------------------------

    def sequence(self, node: yaml.Node, what: str) -> StepSequence | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error("bad-type", f"{what} must be a list of steps", node,
                       "start each step with '- id: ...'")
            return None
        items = [b for b in (self.block(item) for item in node.value) if b is not None]
        return StepSequence(tuple(items), self.loc(node))

    def block(self, node: yaml.Node) -> Block | None:
        if isinstance(node, yaml.MappingNode):
            keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
            if "parallel" in keys:
                return self.parallel(node)
            if "choice" in keys:
                return self.choice(node)
            if "stage" in keys:
                return self.stage(node)
        return self.step(node)

    def stage(self, node: yaml.Node) -> Stage | None:
        outer = self.mapping(node, "a stage block", {"stage": True})
        if not outer or "stage" not in outer:
            return None
        entries = self.mapping(outer["stage"][1], "a stage", STAGE_KEYS)
        if entries is None:
            return None
        sid = self.string(entries["id"][1], "the stage id", STEP_ID, "construction_permit") \
            if "id" in entries else None
        lead = self.string(entries["lead"][1], "the lead department of a stage", STEP_ID,
                           "housing_construction") if "lead" in entries else None
        body = self.sequence(entries["steps"][1], "the steps of a stage") \
            if "steps" in entries else None
        if body is not None and not body.items:
            self.error("empty-block", "a stage has no steps", entries["steps"][1],
                       "list the stage's steps under 'steps:'")
        values: dict[str, Any] = {}
        if "title" in entries:
            values["title"] = self.string(entries["title"][1], "the title") or ""
        if "time_limit" in entries:
            values["time_limit"] = self.time_limit(entries["time_limit"][1],
                                                   f"the time limit of stage '{sid}'")
        for key in ("source", "description"):
            if key in entries:
                text = self.string(entries[key][1], key)
                if key == "source":
                    values["source"] = text or ""
        if sid is None or lead is None or body is None:
            return None
        return Stage(sid, lead, body, location=self.loc(node), **values)

    def clock(self, node: yaml.Node) -> ClockRules | None:
        entries = self.mapping(node, "the clock rules", CLOCK_KEYS)
        if entries is None:
            return None
        values: dict[str, Any] = {}
        for key, choices in (("count_from", COUNT_FROM), ("correction", CORRECTION_MODES)):
            if key in entries:
                text = self.string(entries[key][1], f"'{key}'")
                if text is not None and text not in choices:
                    self.error("bad-value", f"'{key}' must be one of: {', '.join(choices)}",
                               entries[key][1], did_you_mean(text, choices))
                elif text is not None:
                    values[key] = text
        for key in ("answer_correction_within", "intake_notice_within",
                    "answer_intake_correction_within", "warn_before", "extension",
                    "case_extension", "deliver_within"):
            if key in entries:
                amount = self.duration(entries[key][1], f"'{key}'")
                if amount is not None:
                    values[key] = amount
        if "source" in entries:
            values["source"] = self.source_text(entries["source"][1])
        return ClockRules(location=self.loc(node), **values)

    def green_channel(self, node: yaml.Node) -> GreenChannel | None:
        entries = self.mapping(node, "the green channel", GREEN_KEYS)
        if entries is None or "when" not in entries:
            return None
        when = self.condition(entries["when"][1], "'when' of the green channel")
        milestones = []
        if "milestones" in entries:
            inner = self.mapping(entries["milestones"][1], "the milestones",
                                 {k.value: False for k, _ in getattr(entries["milestones"][1],
                                                                     "value", [])
                                  if isinstance(k, yaml.ScalarNode)})
            for name, (key_node, value_node) in (inner or {}).items():
                if self.string(key_node, "a milestone name", STEP_ID, "feedback") is None:
                    continue
                amount = self.duration(value_node, f"the milestone '{name}'")
                if amount is not None:
                    milestones.append((name, amount))
        source = self.source_text(entries["source"][1]) if "source" in entries else ""
        if when is None:
            return None
        return GreenChannel(when, tuple(milestones), source or "", self.loc(node))

    def escalation(self, node: yaml.Node) -> tuple[Rung, ...]:
        rungs = []
        for item in self.each(node, "the escalation ladder", lambda n: n):
            entries = self.mapping(item, "an escalation rung", RUNG_KEYS)
            if entries is None or "action" not in entries:
                continue
            action = self.string(entries["action"][1], "the action of an escalation rung",
                                 STEP_ID, "supervision")
            after = self.duration(entries["after"][1], "'after'") if "after" in entries \
                else None
            to = self.string(entries["to"][1], "who is told ('to')", STEP_ID, "supervisor") \
                if "to" in entries else "supervisor"
            if "source" in entries:
                self.source_text(entries["source"][1])
            if action is not None and to is not None:
                rungs.append(Rung(action, after, to, self.loc(item)))
        return tuple(rungs)

    def step(self, node: yaml.Node) -> Step | None:
        entries = self.mapping(node, "a step", STEP_KEYS)
        if entries is None:
            return None
        sid = self.string(entries["id"][1], "the step id", STEP_ID, "registration") \
            if "id" in entries else None
        if sid in RESERVED_STEP_IDS:
            self.error("bad-value", f"the step id '{sid}' is the name of the {sid}'s own clock",
                       entries["id"][1], f"call the step something else, e.g. {sid}_review")
            sid = None
        what = f"step '{sid}'" if sid else "a step"
        dept = self.string(entries["department"][1], f"the department of {what}", STEP_ID,
                           "tax") if "department" in entries else None
        values: dict[str, Any] = {}
        key_locations = {key: self.loc(pair[1]) for key, pair in entries.items()}
        if "title" in entries:
            values["title"] = self.string(entries["title"][1], "the title") or ""
        if "reads" in entries:
            values["reads"] = self.names(entries["reads"][1], f"'reads' of {what}",
                                         locations=key_locations, prefix="reads")
        if "produces" in entries:
            values["produces"] = self.names(entries["produces"][1], f"'produces' of {what}",
                                            locations=key_locations, prefix="produces")
        if "time_limit" in entries:
            values["time_limit"] = self.time_limit(entries["time_limit"][1],
                                                   f"the time limit of {what}")
        if "optional" in entries:
            values["optional"] = bool(self.boolean(entries["optional"][1],
                                                   f"'optional' of {what}"))
        if "when" in entries:
            values["when"] = self.condition(entries["when"][1], f"'when' of {what}")
        if "goto" in entries:
            values["goto"] = self.goto(entries["goto"][1], what, key_locations)
        if "fee" in entries:
            fee = self.string(entries["fee"][1], f"the fee of {what}")
            if fee is not None and fee not in FEES:
                self.error("bad-value", f"the fee of {what} must be 'waived' or 'charged'",
                           entries["fee"][1], did_you_mean(fee, FEES))
            values["fee_waived"] = fee == "waived"
        if "commitment" in entries:
            commitment = self.commitment(entries["commitment"][1], what)
            if commitment is not None:
                values["commitment"] = commitment
        if "silence" in entries:
            silence = self.silence(entries["silence"][1], what)
            if silence is not None:
                values["silence"] = silence
                if "time_limit" not in entries:
                    self.error("silence-without-limit", f"{what} is deemed approved when its "
                               "limit passes, but has no 'time_limit' of its own",
                               entries["silence"][1],
                               "add time_limit: {committed: 5 WD} (the limit the department "
                               "must answer within)")
        if "sign_off" in entries:
            sign_off = self.sign_off(entries["sign_off"][1], what)
            if sign_off is not None:
                values["sign_off"] = sign_off
                if "commitment" in entries:
                    self.error("sign-off-with-commitment", f"{what} is decided by several "
                               "signers and cannot also approve on one commitment",
                               entries["commitment"][1],
                               "keep either sign_off or commitment on the step")
        if "outcomes" in entries:
            values["outcomes"] = tuple(self.named_entries(
                entries["outcomes"], f"outcome of {what}", self.named_outcome))
        if "sets" in entries:
            values["sets"] = tuple(self.named_entries(entries["sets"], f"field {what} sets",
                                                      self.set_field))
        if "foreach" in entries:
            values["foreach"] = self.string(entries["foreach"][1], f"'foreach' of {what}",
                                            NAME, "vehicles")
            if values["foreach"] and values["foreach"] not in values.get("reads", ()):
                # the department decides each item: it reads the list
                values["reads"] = (*values.get("reads", ()), values["foreach"])
        if "opens" in entries:
            opens = self.opens(entries["opens"][1], what)
            if opens is not None:
                values["opens"] = opens
        if "send_back" in entries:
            send_back = self.send_back(entries["send_back"][1], what)
            if send_back is not None:
                values["send_back"] = send_back
        if "source" in entries:
            values["source"] = self.string(entries["source"][1], "source") or ""
        if "description" in entries:
            self.string(entries["description"][1], "the description")
        if sid is None:
            self.broken.update(values.get("produces", ()))
            return None
        # a step without a valid department is kept for the cross-reference checks
        return Step(id=sid, department=dept or "", location=self.loc(node),
                    key_locations=key_locations, **values)

    def sign_off(self, node: yaml.Node, what: str) -> SignOff | None:
        """``{by: [departments], need: all|any|k}`` or ``{experts: n, need: all|any|k}``."""
        label = f"'sign_off' of {what}"
        entries = self.mapping(node, label, SIGN_OFF_KEYS)
        if entries is None:
            return None
        if ("by" in entries) == ("experts" in entries):
            self.error("missing-key" if "by" not in entries else "bad-value",
                       f"{label} needs either 'by' (the departments that sign) or 'experts' "
                       "(how many officers of the step's department sign), not both", node,
                       "e.g. sign_off: {by: [fire, planning], need: all}")
            return None
        by: tuple[str, ...] = ()
        experts = 0
        if "by" in entries:
            by = self.names(entries["by"][1], f"'by' of {label}", STEP_ID)
            seats = len(by)
        else:
            experts = self.integer(entries["experts"][1], f"'experts' of {label}", 2) or 0
            if experts > MAX_EXPERTS:
                self.error("bad-value", f"'experts' of {label} is {experts}: at most "
                           f"{MAX_EXPERTS} sit on one panel", entries["experts"][1],
                           "e.g. experts: 5")
                return None
            seats = experts
        if seats < 2:
            if "by" in entries:
                self.error("bad-value", f"'by' of {label} names fewer than two departments",
                           entries["by"][1], "a step one department decides needs no sign_off")
            return None
        if "need" not in entries:
            return None  # reported as a missing key
        need = self.need(entries["need"][1], label, seats)
        source = self.string(entries["source"][1], "source") or "" if "source" in entries \
            else ""
        if need is None:
            return None
        return SignOff(by, experts, need, source, self.loc(node))

    def need(self, node: yaml.Node, label: str, seats: int) -> int | None:
        """``all`` (every signer), ``any`` (one) or a number between 1 and the signers."""
        value = self.scalar(node)
        if value == "all":
            return seats
        if value == "any":
            return 1
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= seats:
            return value
        self.error("bad-value", f"'need' of {label} must be all, any or a number from 1 to "
                   f"{seats} (the signers), not {value!r}", node,
                   f"e.g. need: all, need: any or need: {max(1, seats // 2 + 1)}")
        return None

    def named_outcome(self, name: str, key_node: yaml.Node,
                      node: yaml.Node) -> NamedOutcome | None:
        """``site_visit: {goto: inspection, title: 需现场核查}`` (every key optional)."""
        if not STEP_ID.match(name):
            self.error("bad-value", f"the outcome name '{name}' must be lower case letters, "
                       "digits and _", key_node, "e.g. site_visit")
            return None
        if name in RESERVED_OUTCOMES:
            self.error("reserved-outcome", f"'{name}' is an action of its own and cannot name "
                       "a step's outcome", key_node,
                       "choose a name of your own, e.g. site_visit or desk_approval")
            return None
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return NamedOutcome(name, location=self.loc(key_node))
        entries = self.mapping(node, f"the outcome '{name}'", NAMED_OUTCOME_KEYS)
        if entries is None:
            return None
        goto = self.string(entries["goto"][1], f"the step the outcome '{name}' goes to",
                           STEP_ID, "site_inspection") if "goto" in entries else None
        title = self.string(entries["title"][1], "the title") or "" if "title" in entries \
            else ""
        if "source" in entries:
            self.string(entries["source"][1], "source")
        return NamedOutcome(name, goto, title, self.loc(key_node))

    def set_field(self, name: str, key_node: yaml.Node, node: yaml.Node) -> Field | None:
        """A field the step's department sets: a form field's definition, of a type a
        decision takes (no personal data), given with every decision that goes on."""
        field = self.field(name, key_node, node)
        if field is None:
            return None
        what = f"the field '{name}' a step sets"
        if field.type not in SET_FIELD_TYPES:
            self.error("bad-value", f"{what} is {field.type}: a step sets only "
                       + ", ".join(SET_FIELD_TYPES) + " fields", key_node,
                       "a department decides a kind, a yes/no or a number; keep text and "
                       "personal data in the applicant's form")
            return None
        for key_of, _ in node.value:  # a mapping: field() read it
            key = getattr(key_of, "value", None)
            if key in ("required", "default", "required_if", "personal"):
                self.error("bad-value", f"'{key}' does not apply to {what}: the department "
                           "gives it with every decision that goes on", key_of,
                           f"remove '{key}'")
                return None
        return attrs.evolve(field, required=True)

    def send_back(self, node: yaml.Node, what: str) -> SendBack | None:
        """``{to: [steps of the block before], others: keep|redo, source: ...}``."""
        label = f"'send_back' of {what}"
        entries = self.mapping(node, label, SEND_BACK_KEYS)
        if entries is None or "to" not in entries:
            return None
        to = self.names(entries["to"][1], f"'to' of {label}", STEP_ID)
        if not to:
            if isinstance(entries["to"][1], yaml.SequenceNode):
                self.error("bad-value", f"'to' of {label} names no step", entries["to"][1],
                           "name the steps of the block before that may be sent back")
            return None
        others = "keep"
        if "others" in entries:
            value = self.string(entries["others"][1], f"'others' of {label}")
            if value is None:
                return None
            if value not in SEND_BACK_OTHERS:
                self.error("bad-value", f"'others' of {label} must be keep or redo, not "
                           f"'{value}'", entries["others"][1],
                           did_you_mean(value, SEND_BACK_OTHERS))
                return None
            others = value
        source = self.string(entries["source"][1], "source") or "" if "source" in entries \
            else ""
        return SendBack(to, others, source, self.loc(node))

    def opens(self, node: yaml.Node, what: str) -> Opens | None:
        """``{workflow: id, version: n, form: {child name: source}, waits_for: result|delivery,
        source: ...}``; a bare id is ``{workflow: id}``."""
        label = f"'opens' of {what}"
        if isinstance(node, yaml.ScalarNode):
            wid = self.string(node, f"the workflow {label}", WORKFLOW_ID, "stage-permit")
            return Opens(wid, location=self.loc(node)) if wid else None
        entries = self.mapping(node, label, OPENS_KEYS)
        if entries is None or "workflow" not in entries:
            return None
        wid = self.string(entries["workflow"][1], f"the workflow {label}", WORKFLOW_ID,
                          "stage-permit")
        version = self.integer(entries["version"][1], f"the version {label}", 1) \
            if "version" in entries else None
        waits_for = "result"
        if "waits_for" in entries:
            waits_for = self.string(entries["waits_for"][1], f"'waits_for' of {label}") or ""
            if waits_for not in WAITS_FOR:
                self.error("bad-value", f"'waits_for' of {label} is result or delivery",
                           entries["waits_for"][1], did_you_mean(waits_for, WAITS_FOR))
                return None
        form: list[tuple[str, str]] = []
        if "form" in entries:
            pairs = entries["form"][1]
            if not isinstance(pairs, yaml.MappingNode):
                self.error("bad-type", f"'form' of {label} maps each child field or material "
                           "to what fills it", pairs, "e.g. form: {project: project_name, "
                           "stage: item.name}")
                return None
            for key_node, value_node in pairs.value:
                name = self.string(key_node, f"a child field ({label})", NAME, "project")
                source = self.string(value_node, f"what fills '{name}' ({label})",
                                     OPENS_SOURCE, "project_name or item.plate")
                if name is None or source is None:
                    return None
                if name in dict(form):
                    self.error("duplicate-key", f"'form' of {label} fills '{name}' twice",
                               key_node, "keep one")
                form.append((name, source))
        if wid is None or ("version" in entries and version is None):
            return None
        source = self.string(entries["source"][1], "source") or "" \
            if "source" in entries else ""
        return Opens(wid, version, tuple(form), waits_for, source, self.loc(node))

    def silence(self, node: yaml.Node, what: str) -> Silence | None:
        """``silence: approve`` or a mapping with ``outcome`` and ``source``."""
        source = ""
        target = node
        if not isinstance(node, yaml.ScalarNode):
            entries = self.mapping(node, f"'silence' of {what}", SILENCE_KEYS)
            if entries is None or "outcome" not in entries:
                return None
            target = entries["outcome"][1]
            if "source" in entries:
                source = self.string(entries["source"][1], "source") or ""
        outcome = self.string(target, f"the outcome on silence of {what}")
        if outcome is None:
            return None
        if outcome not in SILENCE_OUTCOMES:
            self.error("bad-value", f"only approval can be deemed on silence ({what} says "
                       f"'{outcome}'): a refusal is written, with its reasons (行政许可法 "
                       "art. 38)", target, did_you_mean(outcome, SILENCE_OUTCOMES))
            return None
        return Silence(outcome, source, self.loc(node))

    def commitment(self, node: yaml.Node, what: str) -> Commitment | None:
        """``commitment: true`` or a mapping with ``when``, ``verify_within``, ``source``."""
        if isinstance(node, yaml.ScalarNode):
            return Commitment(location=self.loc(node)) \
                if self.boolean(node, f"'commitment' of {what}") else None
        entries = self.mapping(node, f"'commitment' of {what}", COMMITMENT_KEYS)
        if entries is None:
            return None
        values: dict[str, Any] = {}
        if "when" in entries:
            values["when"] = self.condition(entries["when"][1],
                                            f"'when' of the commitment of {what}")
        if "verify_within" in entries:
            values["verify_within"] = self.duration(entries["verify_within"][1],
                                                    "'verify_within'")
        if "source" in entries:
            values["source"] = self.source_text(entries["source"][1])
        return Commitment(location=self.loc(node), **values)

    def goto(self, node: yaml.Node, what: str,
             locations: dict[str, Location]) -> tuple[tuple[str, str], ...]:
        entries = self.mapping(node, f"'goto' of {what}",
                               {"approve": False, "refuse": False})
        if not entries:
            return ()
        jumps = []
        for outcome, (_, target_node) in entries.items():
            target = self.string(target_node, f"the jump target of '{outcome}'", STEP_ID,
                                 "registration")
            if target is not None:
                jumps.append((outcome, target))
                locations[f"goto:{outcome}"] = self.loc(target_node)
        return tuple(jumps)

    def parallel(self, node: yaml.Node) -> Parallel | None:
        entries = self.mapping(node, "a parallel block", {"parallel": True, "corrections": False})
        if entries is None or "parallel" not in entries:
            return None
        corrections = "each"
        if "corrections" in entries:
            value = self.string(entries["corrections"][1], "'corrections' of a parallel block")
            if value in CORRECTIONS:
                corrections = value
            elif value is not None:
                self.error("bad-value", f"'corrections' of a parallel block must be each or "
                           f"together, not '{value}'", entries["corrections"][1],
                           did_you_mean(value, CORRECTIONS))
        branch_nodes = entries["parallel"][1]
        if not isinstance(branch_nodes, yaml.SequenceNode):
            self.error("bad-type", "'parallel' must be a list of branches", branch_nodes,
                       "each branch is a step, or a list of steps run in order")
            return None
        branches = []
        for item in branch_nodes.value:
            if isinstance(item, yaml.SequenceNode):
                seq = self.sequence(item, "a parallel branch")
                if seq is not None and not seq.items:
                    self.error("empty-block", "a parallel branch is empty", item,
                               "remove the branch or give it a step")
                    continue
            else:
                block = self.block(item)
                seq = StepSequence((block,), self.loc(item)) if block is not None else None
            if seq is not None:
                branches.append(seq)
        if len(branch_nodes.value) < 2:
            self.error("empty-block", "a parallel block needs at least two branches",
                       branch_nodes, "with one branch, write its steps in sequence instead")
        return Parallel(tuple(branches), self.loc(node), corrections)

    def choice(self, node: yaml.Node) -> Choice | None:
        entries = self.mapping(node, "a choice", {"choice": True})
        if entries is None or "choice" not in entries:
            return None
        arm_nodes = entries["choice"][1]
        if isinstance(arm_nodes, yaml.SequenceNode) and not arm_nodes.value:
            self.error("empty-block", "a choice has no arms", arm_nodes,
                       "give it at least one 'when'/'then' arm, or remove it")
            return None
        if not isinstance(arm_nodes, yaml.SequenceNode):
            self.error("bad-type", "'choice' must be a list of 'when'/'then' arms", arm_nodes,
                       "e.g. - when: \"x > 1\"\n    then: [...]\n  - otherwise: [...]")
            return None
        arms: list[Branch] = []
        for index, arm_node in enumerate(arm_nodes.value):
            arm = self.arm(arm_node, last=index == len(arm_nodes.value) - 1)
            if arm is not None:
                arms.append(arm)
        if arms and all(a.when is None for a in arms):
            self.error("empty-block", "a choice needs at least one 'when' arm", arm_nodes,
                       "with only 'otherwise', write its steps in sequence instead")
        return Choice(tuple(arms), self.loc(node))

    def arm(self, node: yaml.Node, last: bool) -> Branch | None:
        entries = self.mapping(node, "a choice arm", ARM_KEYS)
        if entries is None:
            return None
        if "otherwise" in entries:
            if "when" in entries or "then" in entries:
                self.error("bad-value", "an 'otherwise' arm takes no 'when' or 'then'",
                           node, "write '- otherwise: [steps]' as an arm of its own")
                return None
            if not last:
                self.error("misplaced-otherwise", "'otherwise' must be the last arm", node,
                           "arms are tried in order; move 'otherwise' to the end")
            body = self.sequence_or_empty(entries["otherwise"][1], "'otherwise'")
            return Branch(None, body, self.loc(node)) if body is not None else None
        if "when" not in entries or "then" not in entries:
            self.error("missing-key", "a choice arm needs both 'when' and 'then'", node,
                       "or write '- otherwise: [steps]' for the remaining cases")
            return None
        cond = self.condition(entries["when"][1], "a choice 'when'")
        body = self.sequence_or_empty(entries["then"][1], "'then'")
        if cond is None or body is None:
            return None
        return Branch(cond, body, self.loc(node))

    def sequence_or_empty(self, node: yaml.Node, what: str) -> StepSequence | None:
        if isinstance(node, yaml.SequenceNode) and not node.value:
            return StepSequence((), self.loc(node))
        return self.sequence(node, what)

    # -- delivery ----------------------------------------------------------------------------

    def delivery(self, node: yaml.Node) -> DeliveryPlan | None:
        entries = self.mapping(node, "the delivery", DELIVERY_KEYS)
        if entries is None:
            return None
        items = self.item_locations
        bundle = self.names(entries["bundle"][1], "the bundle", locations=items,
                            prefix="bundle") if "bundle" in entries else ()
        methods: tuple[str, ...] = ("window",)
        if "methods" in entries:
            methods = self.names(entries["methods"][1], "the delivery methods",
                                 locations=items, prefix="methods")
            for method in methods:
                if method not in DELIVERY_METHODS:
                    self.error("bad-value", f"'{method}' is not a delivery method",
                               items.get(f"methods:{method}", self.loc(entries["methods"][1])),
                               did_you_mean(method, DELIVERY_METHODS))
            if not methods:
                self.error("bad-value", "the delivery needs at least one method",
                           entries["methods"][1], "window, mail or electronic")
        fee_waived = True
        if "fee" in entries:
            fee = self.string(entries["fee"][1], "the delivery fee")
            if fee is not None and fee not in FEES:
                self.error("bad-value", "the delivery fee must be 'waived' or 'charged'",
                           entries["fee"][1], did_you_mean(fee, FEES))
            fee_waived = fee != "charged"
        reads = self.names(entries["reads"][1], "'reads' of the delivery", locations=items,
                           prefix="reads") if "reads" in entries else ()
        if "source" in entries:
            self.string(entries["source"][1], "source")
        return DeliveryPlan(bundle, methods, fee_waived, reads, self.loc(node))


def _depth(expr: exprs.Expr) -> int:
    """How deeply ``not``, ``and`` and ``or`` nest in a condition (counted without recursion)."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, exprs.Not):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, (exprs.And, exprs.Or)):
            stack.extend((item, depth + 1) for item in node.items)
    return deepest


def _unreadable(exc: ValueError) -> str:
    """A short reason from a ValueError raised while reading a value."""
    return "cannot read the value: " + str(exc).split(":")[0][:80]
