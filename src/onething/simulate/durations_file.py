"""Reading a durations file (YAML) for one workflow, with the workflow language's safe, located
YAML reader: every problem is reported at once as ``file:line:col: error[code]: message``
with a hint, and a file with any raises :class:`~onething.errors.InvalidArgument` carrying
them all (the command line prints them and exits 2, never a traceback).

.. code-block:: yaml

    start: 2026-10-08          # the first day cases arrive
    arrivals: 4                # cases per working day
    intake: {triangular: {min: 0, mode: 1, max: 3}}   # submission to acceptance
    green_channel: {share: 0.1, factor: 0.7}
    forms:                     # how forms fill the fields the conditions read
      has_basement_shelter: 0.7
      delivery_method: {window: 1, mail: 1, electronic: 8}
    steps:
      project_approval:
        days: {lognormal: {median: 7, p90: 12}}
        correction: {probability: 0.2, reply: {triangular: {min: 2, mode: 5, max: 15}}}
        special_procedure: {probability: 0.05, days: 20, kind: expert_review}
        refusal: 0.02
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from onething.errors import InvalidArgument, YamlRefused
from onething.language.conditions.nodes import fields
from onething.language.load import did_you_mean
from onething.language.location import Diagnostic, Location
from onething.language.model import Field, Step, Workflow
from onething.language.values import clean_value
from onething.language.yamlsource import compose, node_location
from onething.simulate.distributions import (
    KINDS,
    Distribution,
    Empirical,
    Fixed,
    LogNormal,
    Triangular,
    Uniform,
)
from onething.simulate.durations import (
    SPECIAL_KINDS,
    Choices,
    Correction,
    Durations,
    FieldDraw,
    Special,
    StepDurations,
)
from onething.simulate.program import compile_workflow

_TOP = ("start", "arrivals", "intake", "green_channel", "forms", "steps")
_STEP = ("days", "correction", "special_procedure", "refusal", "outcomes", "send_back")
#: the most working days one drawn duration may reach (ten years): beyond it, a typo
MAX_DAYS = 2500.0


def read_durations(path: str | Path, workflow: Workflow) -> Durations:
    """The durations in the file at ``path`` for ``workflow``; every problem of the file at
    once as :class:`~onething.errors.InvalidArgument`."""
    name = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise InvalidArgument(f"{name}: cannot read the durations file: "
                              f"{exc.strerror or exc}", "give a YAML file") from None
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"{name}: the durations file is not UTF-8 (byte {exc.start})",
                              "save it as UTF-8") from None
    return parse_durations(text, workflow, name)


def parse_durations(text: str, workflow: Workflow, path: str = "<string>") -> Durations:
    """The durations in YAML ``text`` (named ``path`` in the problems) for ``workflow``."""
    try:
        root = compose(text, path)
    except YamlRefused as refused:
        raise InvalidArgument(refused.diagnostic.render()) from None
    reader = _Reader(path, workflow)
    durations = reader.durations(root)
    if reader.problems or durations is None:
        lines = [d.render() for d in sorted(reader.problems, key=lambda d: d.location)]
        lines.append("(the durations file: docs/simulation.md)")
        raise InvalidArgument("\n".join(lines))
    return durations


class _Reader:
    """Turns the file's located nodes into :class:`Durations`, collecting problems."""

    def __init__(self, path: str, workflow: Workflow) -> None:
        self.path = path
        self.workflow = workflow
        self.problems: list[Diagnostic] = []
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, code: str, message: str, node: yaml.Node | None, hint: str = "") -> None:
        where = node_location(self.path, node) if node is not None else Location(self.path, 1, 1)
        self.problems.append(Diagnostic(code, message, where, hint))

    def value(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self.constructor.construct_object(node)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError):
            return node.value

    def entries(self, node: yaml.Node, what: str,
                keys: tuple[str, ...] | None = None) -> list[tuple[Any, yaml.Node, yaml.Node]]:
        """A mapping's (key, key node, value node), each key once; with ``keys``, only
        those."""
        if not isinstance(node, yaml.MappingNode):
            self.error("bad-type", f"{what} must be a mapping", node, "write 'key: value' lines")
            return []
        seen: set[Any] = set()
        out = []
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if key is None and not isinstance(key_node, yaml.ScalarNode):
                self.error("bad-type", f"a key of {what} must be a plain value", key_node)
                continue
            if key in seen:
                self.error("duplicate-key", f"{what} has the key '{key}' twice", key_node,
                           "keep one")
                continue
            seen.add(key)
            if keys is not None and key not in keys:
                self.error("unknown-key", f"{what} has no key '{key}'", key_node,
                           did_you_mean(str(key), keys))
                continue
            out.append((key, key_node, value_node))
        return out

    def number(self, node: yaml.Node, what: str, low: float = 0.0,
               high: float = MAX_DAYS) -> float | None:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            self.error("bad-type", f"{what} must be a number", node,
                       f"a number from {low:g} to {high:g}")
            return None
        if not low <= value <= high:
            self.error("bad-value", f"{what} is {value:g}: it must be from {low:g} to {high:g}",
                       node)
            return None
        return float(value)

    def probability(self, node: yaml.Node, what: str) -> float | None:
        return self.number(node, what, 0.0, 1.0)

    # -- the file ----------------------------------------------------------------------------

    def durations(self, root: yaml.Node | None) -> Durations | None:
        if root is None:
            self.error("empty-file", "the durations file is empty", None,
                       "give at least 'steps:' (docs/simulation.md)")
            return None
        found: dict[str, Any] = {}
        for key, _, node in self.entries(root, "the durations file", _TOP):
            found[key] = self.top(key, node)
        start = found.get("start")
        return Durations(steps=found.get("steps") or {}, intake=found.get("intake"),
                         start=start if isinstance(start, dt.date) else None,
                         arrivals=found.get("arrivals") or 1.0,
                         green_share=(found.get("green_channel") or (None, 1.0))[0],
                         green_factor=(found.get("green_channel") or (None, 1.0))[1],
                         forms=found.get("forms") or {}, source=self.path)

    def top(self, key: str, node: yaml.Node) -> Any:
        if key == "start":
            value = self.value(node)
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                self.error("bad-value", "start must be a date like 2026-10-08", node)
                return None
            return value
        if key == "arrivals":
            count = self.number(node, "arrivals (cases per working day)", 0.001, 100_000)
            return count
        if key == "intake":
            return self.distribution(node, "intake (working days from submission to "
                                     "acceptance)")
        if key == "green_channel":
            return self.green(node)
        if key == "forms":
            return self.forms(node)
        return self.steps(node)

    def green(self, node: yaml.Node) -> tuple[float | None, float] | None:
        if self.workflow.green_channel is None:
            self.error("unknown-key", f"workflow '{self.workflow.id}' has no green channel",
                       node, "remove green_channel:")
            return None
        share, factor = None, 1.0
        for key, _, value in self.entries(node, "green_channel", ("share", "factor")):
            if key == "share":
                share = self.probability(value, "green_channel share")
            else:
                factor = self.number(value, "green_channel factor", 0.0, 10.0) or 1.0
        return share, factor

    # -- distributions -----------------------------------------------------------------------

    def distribution(self, node: yaml.Node, what: str, high: float = MAX_DAYS
                     ) -> Distribution | None:
        """A bare number (fixed) or one of fixed, uniform, triangular, lognormal, empirical."""
        if isinstance(node, yaml.ScalarNode):
            value = self.number(node, what, 0.0, high)
            return Fixed(value) if value is not None else None
        pairs = self.entries(node, what, KINDS)
        if len(pairs) != 1:
            if not self.problems or pairs:
                self.error("bad-value", f"{what} needs exactly one distribution", node,
                           "one of: " + ", ".join(KINDS))
            return None
        kind, _, body = pairs[0]
        readers: dict[str, Callable[[yaml.Node, str, float], Distribution | None]] = {
            "fixed": self.fixed, "uniform": self.uniform, "triangular": self.triangular,
            "lognormal": self.lognormal, "empirical": self.empirical}
        return readers[kind](body, f"{what}: {kind}", high)

    def params(self, node: yaml.Node, what: str, names: tuple[str, ...], high: float
               ) -> dict[str, float] | None:
        got = {key: self.number(value, f"{what} {key}", 0.0, high)
               for key, _, value in self.entries(node, what, names)}
        missing = [n for n in names if n not in got]
        if missing:
            self.error("missing-key", f"{what} needs {', '.join(missing)}", node,
                       "give " + ", ".join(f"{n}: <number>" for n in names))
            return None
        if any(v is None for v in got.values()):
            return None
        return {k: float(v) for k, v in got.items() if v is not None}

    def fixed(self, node: yaml.Node, what: str, high: float) -> Distribution | None:
        value = self.number(node, what, 0.0, high)
        return Fixed(value) if value is not None else None

    def uniform(self, node: yaml.Node, what: str, high: float) -> Distribution | None:
        got = self.params(node, what, ("min", "max"), high)
        if got is None:
            return None
        if got["min"] > got["max"]:
            self.error("bad-value", f"{what}: min is above max", node, "min <= max")
            return None
        return Uniform(got["min"], got["max"])

    def triangular(self, node: yaml.Node, what: str, high: float) -> Distribution | None:
        got = self.params(node, what, ("min", "mode", "max"), high)
        if got is None:
            return None
        if not got["min"] <= got["mode"] <= got["max"]:
            self.error("bad-value", f"{what}: min {got['min']:g}, mode {got['mode']:g}, max "
                       f"{got['max']:g} are not in order", node, "min <= mode <= max")
            return None
        return Triangular(got["min"], got["mode"], got["max"])

    def lognormal(self, node: yaml.Node, what: str, high: float) -> Distribution | None:
        got = self.params(node, what, ("median", "p90"), high)
        if got is None:
            return None
        if got["median"] <= 0 or got["p90"] < got["median"]:
            self.error("bad-value", f"{what}: median {got['median']:g} and p90 {got['p90']:g} "
                       "do not make a lognormal", node, "0 < median <= p90")
            return None
        if got["p90"] == got["median"]:
            return Fixed(got["median"])
        return LogNormal(got["median"], got["p90"])

    def empirical(self, node: yaml.Node, what: str, high: float) -> Distribution | None:
        counts: dict[float, float] = {}
        before = len(self.problems)
        for key, key_node, value in self.entries(node, what):
            if isinstance(key, bool) or not isinstance(key, (int, float)) \
                    or not 0 <= key <= high:
                self.error("bad-value", f"{what}: '{key}' is not a number of days from 0 to "
                           f"{high:g}", key_node, "write days: count, e.g. {3: 10, 4: 25}")
                continue
            count = self.number(value, f"{what} count of {key}", 0.0, 1e12)
            if count is not None:
                counts[float(key)] = count
        if len(self.problems) > before:
            return None
        if not counts or sum(counts.values()) <= 0:
            self.error("bad-value", f"{what} has no observation", node,
                       "give days: count pairs with a count above 0")
            return None
        return Empirical.of(counts)

    # -- steps -------------------------------------------------------------------------------

    def steps(self, node: yaml.Node) -> dict[str, StepDurations]:
        ids = [s.id for s in self.workflow.iter_steps()]
        out: dict[str, StepDurations] = {}
        for key, key_node, value in self.entries(node, "steps"):
            if key not in ids:
                self.error("unknown-step", f"workflow '{self.workflow.id}' has no step "
                           f"'{key}'", key_node, did_you_mean(str(key), ids))
                continue
            found = self.step(self.workflow.step(key), value)
            if found is not None:
                out[key] = found
        return out

    def step(self, step: Step, node: yaml.Node) -> StepDurations | None:
        what = f"step '{step.id}'"
        if isinstance(node, yaml.ScalarNode) or (  # its days alone: a number, a distribution
                isinstance(node, yaml.MappingNode) and len(node.value) == 1
                and self.value(node.value[0][0]) in KINDS):
            days = self.distribution(node, f"{what} days")
            return StepDurations(days=days) if days is not None else None
        got: dict[str, Any] = {}
        for key, key_node, value in self.entries(node, what, _STEP):
            if key in ("correction", "special_procedure") and step.opens is not None:
                self.error("bad-value", f"{what} opens child cases: its children decide it, "
                           f"so it has no {key}", key_node, f"remove {key}:")
                continue
            got[key] = self.step_part(step, key, key_node, value)
        chosen = (got.get("refusal") or 0.0) + sum(p for _, p in got.get("outcomes") or ()) \
            + sum(p for _, p in got.get("send_back") or ())
        if chosen > 1.0 + 1e-9:
            self.error("bad-value", f"{what}: refusal, outcomes and send_back add up to "
                       f"{chosen:g}, more than 1", node, "the rest is approval; keep the sum "
                       "at most 1")
            return None
        return StepDurations(days=got.get("days"), correction=got.get("correction"),
                             special=got.get("special_procedure"),
                             refusal=got.get("refusal") or 0.0,
                             outcomes=got.get("outcomes") or (),
                             send_back=got.get("send_back") or ())

    def step_part(self, step: Step, key: str, key_node: yaml.Node, node: yaml.Node) -> Any:
        what = f"step '{step.id}' {key}"
        if key == "days":
            return self.distribution(node, what)
        if key == "refusal":
            return self.probability(node, what)
        if key == "correction":
            return self.correction(node, what)
        if key == "special_procedure":
            return self.special(node, what)
        names = [o.name for o in step.outcomes] if key == "outcomes" else \
            list(step.send_back.to) if step.send_back is not None else []
        if not names:
            self.error("bad-value", f"step '{step.id}' has no {key.replace('_', ' ')}",
                       key_node, "outcomes: and send_back: name what the step declares")
            return ()
        out = []
        for name, name_node, value in self.entries(node, what):
            if name not in names:
                self.error("bad-value", f"{what}: '{name}' is not one of the step's",
                           name_node, did_you_mean(str(name), names))
                continue
            share = self.probability(value, f"{what} {name}")
            if share is not None:
                out.append((str(name), share))
        return tuple(out)

    def correction(self, node: yaml.Node, what: str) -> Correction | None:
        got: dict[str, Any] = {}
        for key, _, value in self.entries(node, what, ("probability", "reply", "after")):
            got[key] = self.probability(value, f"{what} probability") if key == "probability" \
                else self.distribution(value, f"{what} {key}")
        if "probability" not in got:
            self.error("missing-key", f"{what} needs its probability", node,
                       "e.g. correction: {probability: 0.2, reply: 5}")
        if got.get("probability") is None:
            return None
        return Correction(got["probability"], got.get("reply") or Fixed(5.0), got.get("after"))

    def special(self, node: yaml.Node, what: str) -> Special | None:
        got: dict[str, Any] = {}
        for key, _, value in self.entries(node, what, ("probability", "days", "kind")):
            if key == "kind":
                kind = self.value(value)
                if kind not in SPECIAL_KINDS:
                    self.error("bad-value", f"{what} kind '{kind}' is not a special procedure",
                               value, did_you_mean(str(kind), SPECIAL_KINDS))
                got[key] = kind
            elif key == "days":
                got[key] = self.distribution(value, f"{what} days", 250.0)
            else:
                got[key] = self.probability(value, f"{what} probability")
        for needed in ("probability", "days"):
            if needed not in got:
                self.error("missing-key", f"{what} needs its {needed}", node,
                           "e.g. special_procedure: {probability: 0.05, days: 20}")
        if got.get("probability") is None or got.get("days") is None \
                or got.get("kind", "expert_review") not in SPECIAL_KINDS:
            return None
        return Special(got["probability"], got["days"], got.get("kind", "expert_review"))

    # -- forms -------------------------------------------------------------------------------

    def forms(self, node: yaml.Node) -> dict[str, FieldDraw]:
        fields = self.workflow.condition_fields
        read = read_fields(self.workflow)
        out: dict[str, FieldDraw] = {}
        for key, key_node, value in self.entries(node, "forms"):
            field = fields.get(str(key))
            if field is None or field.name not in read:
                self.error("unknown-field", f"no condition of workflow '{self.workflow.id}' "
                           f"reads '{key}'", key_node, did_you_mean(str(key), read) if read
                           else "its conditions read no field: remove forms:")
                continue
            found = self.field(field, value)
            if found is not None:
                out[field.name] = found
        return out

    def field(self, field: Field, node: yaml.Node) -> FieldDraw | None:
        what = f"forms '{field.name}'"
        if field.type in ("bool", "list") and isinstance(node, yaml.ScalarNode):
            share = self.probability(node, f"{what} (the share of "
                                     f"{'true' if field.type == 'bool' else 'forms giving it'})")
            if share is None:
                return None
            given: tuple[object, object] = (True, False) if field.type == "bool" else \
                ("given", None)
            return Choices(given, (share, 1.0 - share))
        if field.type in ("int", "decimal") and (isinstance(node, yaml.ScalarNode) or (
                isinstance(node, yaml.MappingNode)
                and any(self.value(k) in KINDS for k, _ in node.value))):
            return self.distribution(node, what, 1e18)
        if not isinstance(node, yaml.MappingNode):
            self.error("bad-type", f"{what} must be a mapping of values to weights", node,
                       "e.g. {window: 1, mail: 3}")
            return None
        values: list[object] = []
        weights: list[float] = []
        before = len(self.problems)
        for key, key_node, value in self.entries(node, what):
            clean = self.choice(field, key, key_node, what)
            weight = self.number(value, f"{what} weight of {key}", 0.0, 1e12)
            if clean is not _BAD and weight is not None:
                values.append(clean)
                weights.append(weight)
        if len(self.problems) > before:
            return None
        if not values or sum(weights) <= 0:
            self.error("bad-value", f"{what} gives no value a weight", node,
                       "e.g. {window: 1, mail: 3}; a bool takes the share of true: 0.7")
            return None
        return Choices(tuple(values), tuple(weights))

    def choice(self, field: Field, key: Any, key_node: yaml.Node, what: str) -> object:
        if key is None or (isinstance(key, str) and key == "null"):
            if not field.nullable:
                self.error("bad-value", f"{what}: the field always has a value", key_node,
                           "remove null:")
                return _BAD
            return None
        if field.type == "list":
            self.error("bad-value", f"{what}: a list is given or not", key_node,
                       "write the share of forms that give it, e.g. 0.4")
            return _BAD
        try:
            return clean_value(field.type, key, values=field.values, minimum=field.minimum,
                               maximum=field.maximum)
        except ValueError as exc:
            self.error("bad-value", f"{what}: '{key}' is not a value of the field ({exc})",
                       key_node, did_you_mean(str(key), [str(v) for v in field.values or ()]))
            return _BAD


_BAD = object()


def read_fields(workflow: Workflow) -> list[str]:
    """The fields the workflow's conditions read: steps' (and lists'), choices' and the
    green channel's."""
    compiled = compile_workflow(workflow)
    exprs = [*compiled.conditions,
             *([workflow.green_channel.when.expr] if workflow.green_channel else [])]
    return sorted(set().union(*(fields(e) for e in exprs))) if exprs else []

__all__ = ["MAX_DAYS", "parse_durations", "read_durations"]
