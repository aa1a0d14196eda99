"""Joins are explicit and fire once, after the last branch, whatever the order.

transitions 0.9.3 (pytransitions#715) fires a parallel state's ``on_final`` early and twice
when regions finish in some orders, including when one region is final from the start. The
engine never relies on it: a join is a net transition that needs every branch's done place.
These tests pin that, for every completion order, with a branch that is done at once.
"""

from __future__ import annotations

import itertools

import pytest

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.language.load import parse

WORKFLOW = """
onething: 1
id: joins
version: 1
title: joins
lead: hall
form:
  fields:
    x_needed: {type: bool, default: false}
steps:
  - parallel:
      - {id: x, department: dx, when: x_needed}
      - [{id: y1, department: dy}, {id: y2, department: dy}]
      - [{id: z1, department: dz}, {id: z2, department: dz}]
      - - parallel:
            - {id: n1, department: dn}
            - {id: n2, department: dn}
  - id: after
    department: hall
delivery:
  bundle: []
"""

ORDER_UNITS = {"y": ["y1", "y2"], "z": ["z1", "z2"], "n1": ["n1"], "n2": ["n2"]}


def run(order: tuple[str, ...]) -> tuple[list[list[str]], list[str]]:
    engine = Engine()
    workflow = parse(WORKFLOW, "joins.yaml").unwrap()
    engine.deploy(workflow)
    case = engine.submit("joins", {}, actor=applicant())
    engine.accept(case.id, window("hall"))
    moves, waiting = [], []
    steps = [s for unit in order for s in ORDER_UNITS[unit]]
    for step in steps:
        updated = engine.act(case.id, step, "approve", officer(f"d{step[0]}"))
        moves.append(engine.history(case.id)[-1].data.get("then", []))
        waiting.append(engine.waiting_on(updated.id))
    return moves, waiting[-1]


@pytest.mark.parametrize("order", list(itertools.permutations(ORDER_UNITS)))
def test_the_join_fires_exactly_once_after_the_last_branch(order: tuple[str, ...]) -> None:
    moves, waiting_at_end = run(order)
    flat = [m for step_moves in moves for m in step_moves]
    assert flat.count("join:par1") == 1
    assert flat.count("join:par2") == 1
    assert "join:par1" in moves[-1]
    assert all("join:par1" not in m for m in moves[:-1])
    assert waiting_at_end == ["after"]
