"""Deployed workflow versions: a workflow with its compiled machine and what the engine looks up
in it on every action (step positions, limits, the transitions each action may mean)."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import attrs

from onething.cases import clocks as clk
from onething.cases.clocks import ClockPolicy
from onething.cases.policy import policy_of
from onething.errors import StoreCorrupt
from onething.language.load import parse
from onething.language.model import Workflow
from onething.machine.compile import CompiledWorkflow, compile_net
from onething.net.build import build_net
from onething.net.model import STEP_ROLES, PlaceRole, Transition
from onething.privacy.masking import clip
from onething.workdays import Duration


def _roles(self: Deployed) -> dict[str, tuple[str, PlaceRole]]:
    return {p.name: (p.step, p.role) for p in self.compiled.net.places
            if p.step and p.role in STEP_ROLES}


def _limits(self: Deployed) -> dict[str, tuple[Duration | None, Duration | None]]:
    out: dict[str, tuple[Duration | None, Duration | None]] = {}
    for step in self.workflow.iter_steps():
        limit = step.time_limit
        out[step.id] = (limit.committed, limit.statutory) if limit else (None, None)
    return out


def _actions(self: Deployed) -> dict[tuple[str, str | None], tuple[Transition, ...]]:
    found: dict[tuple[str, str | None], list[Transition]] = {}
    for t in self.compiled.net.transitions:
        if t.action is not None:
            found.setdefault((t.action, t.step), []).append(t)
    return {k: tuple(v) for k, v in found.items()}


@attrs.frozen
class Deployed:
    """A deployed workflow version: its definition and its compiled machine."""

    workflow: Workflow
    compiled: CompiledWorkflow
    policy: ClockPolicy = attrs.field(factory=ClockPolicy)
    #: place name -> (step, role) for every place that belongs to a step
    step_roles: dict[str, tuple[str, PlaceRole]] = attrs.field(
        default=attrs.Factory(_roles, takes_self=True), init=False, eq=False)
    #: each step's committed and statutory limit
    limits: dict[str, tuple[Duration | None, Duration | None]] = attrs.field(
        default=attrs.Factory(_limits, takes_self=True), init=False, eq=False)
    #: (action, step) -> the transitions that action may mean
    actions: dict[tuple[str, str | None], tuple[Transition, ...]] = attrs.field(
        default=attrs.Factory(_actions, takes_self=True), init=False, eq=False)
    _positions: dict[tuple[str, ...], dict[str, PlaceRole]] = attrs.field(
        factory=dict, init=False, eq=False, repr=False)

    @property
    def key(self) -> tuple[str, int]:
        """``(workflow id, version)``."""
        return (self.workflow.id, self.workflow.version)

    def positions(self, marking: tuple[str, ...]) -> dict[str, PlaceRole]:
        """Each step present in a case's marking with the role of its position (remembered:
        do not change the result)."""
        known = self._positions.get(marking)
        if known is None:
            known = clk.step_positions(self.step_roles, marking)
            if len(self._positions) >= 65_536:
                self._positions.clear()
            self._positions[marking] = known
        return known


def deployed_of(workflow: Workflow) -> Deployed:
    """Compile ``workflow`` for the engine."""
    return Deployed(workflow, compile_net(build_net(workflow)), policy_of(workflow))


def shipped_data(name: str) -> Path:
    """A workflow that ships inside the package (the rectification and revocation follow-ups)."""
    with resources.as_file(resources.files("onething") / "data" / name) as path:
        return Path(path)


def stored_workflow(workflow_id: str, version: int, content_hash: object,
                     text: object) -> Workflow:
    """A deployed definition as the store keeps it, or :class:`StoreCorrupt` when the text
    is not the one deployed (not text, changed since, or no longer a valid workflow)."""
    what = f"the stored definition of {clip(workflow_id, 80)} version {version}"
    if not isinstance(text, str):
        raise StoreCorrupt(f"{what} is not text; restore the database from a backup")
    digest = "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if digest != content_hash:
        raise StoreCorrupt(f"{what} does not match its content hash: it changed after it was "
                           "deployed; restore the database from a backup")
    result = parse(text, f"<{workflow_id}@{version}>", deployed=True)
    if result.workflow is None or (result.workflow.id, result.workflow.version) != (
            workflow_id, version):
        raise StoreCorrupt(f"{what} no longer reads as that workflow; restore the database "
                           "from a backup")
    return result.workflow
