"""Forms for simulated cases: each field a condition of the workflow reads is drawn on its own
(as the durations file says, else each value the conditions can tell apart equally often:
:func:`onething.language.form_space.representatives`), and every condition — steps' ``when``,
choices' arms, the green channel's — is evaluated with the language's own evaluator.

Fast: a drawn value matters to the conditions only through how it compares with the literals
they name, so the cases are grouped by that (one *bucket* per field: a categorical value, or
the interval between two literals a number falls in) and each distinct combination of
buckets is evaluated once. With a green-channel share, the fields its condition reads are
drawn again for the cases whose form disagrees with the case's draw of green or not, until
every form agrees (conditioning the forms on the share).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from onething.errors import InvalidArgument
from onething.language.conditions.evaluation import evaluate
from onething.language.conditions.nodes import (
    Expr,
    LiteralValue,
    fields,
)
from onething.language.form_space import constants, representatives
from onething.language.model import Field, Workflow
from onething.simulate.durations import Choices, FieldDraw

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: rounds of drawing again for the green-channel share before giving up
GREEN_ROUNDS = 200


class _FieldSampler:
    """Draws one field's values for many cases: raw draws, their buckets, clean values."""

    def __init__(self, field: Field, spec: FieldDraw | None,
                 constants: Sequence[LiteralValue]) -> None:
        self.field = field
        self.numeric = spec is not None and not isinstance(spec, Choices)
        self.spec = spec
        if isinstance(spec, Choices):
            self.values = [self._given(v) for v in spec.values]
            total = sum(spec.weights)
            self.weights = [w / total for w in spec.weights]
        elif spec is None:
            self.values = representatives(field, list(constants))
            self.weights = [1.0 / len(self.values)] * len(self.values)
        numbers = sorted({float(c) for c in constants
                          if isinstance(c, (int, Decimal)) and not isinstance(c, bool)})
        self.cuts: list[float] = numbers

    def _given(self, value: object) -> object:
        if self.field.type == "list" and value == "given":
            return representatives(self.field, [])[0]
        return value

    def draw(self, rng: np.random.Generator, n: int) -> npt.NDArray[Any]:
        """``n`` raw draws: indexes of values, or numbers."""
        import numpy as np

        if not self.numeric:
            return rng.choice(len(self.values), n, p=np.array(self.weights))
        assert self.spec is not None and not isinstance(self.spec, Choices)
        drawn = self.spec.sample(rng, n)
        drawn = np.rint(drawn) if self.field.type == "int" else np.round(drawn, 4)
        low, high = self.field.minimum, self.field.maximum
        return np.clip(drawn, float(low) if low is not None else None,
                       float(high) if high is not None else None)

    def buckets(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """What the conditions can tell apart of each draw: the value's index, or for a
        number the interval between the literals (or the literal) it falls on."""
        import numpy as np

        if not self.numeric:
            return raw.astype(np.int64)
        cuts = np.array(self.cuts, dtype=np.float64)
        if not len(cuts):
            return np.zeros(len(raw), dtype=np.int64)
        where = np.searchsorted(cuts, raw, side="left")
        on = (where < len(cuts)) & (cuts[np.minimum(where, len(cuts) - 1)] == raw)
        return np.asarray(2 * where + on, dtype=np.int64)

    def clean(self, raw: object) -> object:
        """One draw as the form's clean value."""
        if not self.numeric:
            return self.values[int(raw)]  # type: ignore[call-overload]  # numpy integer
        if self.field.type == "int":
            return int(raw)  # type: ignore[call-overload]  # numpy float
        return Decimal(f"{float(raw):.4f}")  # type: ignore[arg-type]  # numpy float


@attrs.frozen
class Forms:
    """The simulated forms: for each case the outcome of each condition, whether it is a
    green-channel case, and its drawn value of each field the conditions read."""

    conditions: tuple[Expr, ...]
    truth: npt.NDArray[np.bool_]
    green: npt.NDArray[np.bool_]
    _samplers: dict[str, _FieldSampler]
    _raw: dict[str, npt.NDArray[Any]]

    def values(self, case: int) -> dict[str, object]:
        """Case ``case``'s clean value of every field the conditions read."""
        return {name: sampler.clean(self._raw[name][case])
                for name, sampler in self._samplers.items()}


def draw_forms(workflow: Workflow, conditions: Sequence[Expr], green: Expr | None,
               specs: Mapping[str, FieldDraw], green_share: float | None,
               rng: np.random.Generator, n: int) -> Forms:
    """Draw ``n`` forms: each condition's outcome per case (``conditions`` in order; the
    green channel's ``green`` apart)."""
    import numpy as np

    every = [*conditions, *([green] if green is not None else [])]
    names = sorted(set().union(*(fields(e) for e in every))) if every else []
    known = workflow.condition_fields
    literals = constants(every)
    samplers = {name: _FieldSampler(known[name], specs.get(name), literals.get(name, []))
                for name in names}
    raw = {name: sampler.draw(rng, n) for name, sampler in samplers.items()}
    truth = _evaluate(every, samplers, raw, n)
    if green is not None and green_share is not None:
        truth = _condition_on_green(every, green_share, samplers, raw, truth, rng)
    wanted = len(conditions)
    flags = truth[:, wanted] if green is not None else np.zeros(n, dtype=bool)
    return Forms(tuple(conditions), truth[:, :wanted], flags, samplers, raw)


def _evaluate(exprs: Sequence[Expr], samplers: Mapping[str, _FieldSampler],
              raw: Mapping[str, npt.NDArray[Any]], n: int) -> npt.NDArray[np.bool_]:
    """Each expression's outcome per case, evaluated once per combination of buckets."""
    import numpy as np

    if not exprs:
        return np.zeros((n, 0), dtype=bool)
    names = list(samplers)
    if not names:
        constant = np.array([evaluate(e, {}) for e in exprs], dtype=bool)
        return np.tile(constant, (n, 1))
    codes = np.stack([samplers[name].buckets(raw[name]) for name in names], axis=1)
    combos, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    table = np.zeros((len(combos), len(exprs)), dtype=bool)
    for row, case in enumerate(first):
        form = {name: samplers[name].clean(raw[name][case]) for name in names}
        table[row] = [evaluate(e, form) for e in exprs]
    return table[inverse.reshape(-1)]


def _condition_on_green(exprs: Sequence[Expr], share: float,
                        samplers: Mapping[str, _FieldSampler],
                        raw: dict[str, npt.NDArray[Any]], truth: npt.NDArray[np.bool_],
                        rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Draw again the green condition's fields of every case whose form disagrees with its
    draw of green or not, until every one agrees."""
    n = len(truth)
    wanted = rng.random(n) < share
    read = fields(exprs[-1])
    for _ in range(GREEN_ROUNDS):
        wrong = (truth[:, -1] != wanted).nonzero()[0]
        if not len(wrong):
            return truth
        for name in read:
            raw[name][wrong] = samplers[name].draw(rng, len(wrong))
        part = {name: values[wrong] for name, values in raw.items()}
        truth[wrong] = _evaluate(exprs, samplers, part, len(wrong))
    side = "hold" if wanted[(truth[:, -1] != wanted)].any() else "fail"
    raise InvalidArgument(
        f"the forms the durations describe almost never make the green channel's condition "
        f"{side} ({share:.0%} of cases should be green)",
        "give forms: values for the fields it reads that let it hold (and fail) more often")


__all__ = ["GREEN_ROUNDS", "Forms", "draw_forms"]
