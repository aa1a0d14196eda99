"""Which parallel blocks may be checked branch by branch, and what each branch holds.

A parallel block's branches can be explored one at a time (instead of as a product whose size
is the product of the branches') when they cannot see each other: every transition touching a
branch stays inside that branch, except that it may end the whole case by consuming the
``open`` place, cancelling everything and delivering. The builder produces only such blocks;
a net edited by hand (or a mistake injected by a test) may not, and is then explored as a
whole. Nothing here is taken from the builder on trust: every condition is checked.

A block may also be *re-entered* from after it (退回重审, ``send_back``): a transition of the
parent that marks the block's running place and exactly one place of each branch — where that
branch starts again, its start, or its end. The branches stay isolated (nothing but the parent
puts them there, and each then runs on its own), so they are still explored one at a time,
from each place they can be started at.
"""

from __future__ import annotations

import attrs

from onething.net.model import Net, ParallelBlock, PlaceRole, Transition


@attrs.frozen
class Region:
    """A parallel block that passed the isolation check, with each branch's contents."""

    block: ParallelBlock
    places: tuple[frozenset[int], ...]
    transitions: tuple[frozenset[int], ...]
    #: the parent's transitions that start the block again (send-backs), by index
    reentries: frozenset[int] = frozenset()


def isolated_regions(net: Net) -> dict[str, Region]:
    """Every parallel block of ``net`` whose branches are isolated, by block name."""
    if not net.blocks:
        return {}
    glob = _global_places(net)
    consumers: dict[int, list[int]] = {}
    toucher: dict[int, list[int]] = {}
    for t in net.transitions:
        for p in t.consume:
            consumers.setdefault(p, []).append(t.index)
            toucher.setdefault(p, []).append(t.index)
        for p in t.produce:
            toucher.setdefault(p, []).append(t.index)
    out = {}
    for block in net.blocks:
        region = _region(net, block, glob, consumers, toucher)
        if region is not None:
            out[block.name] = region
    return out


def _global_places(net: Net) -> frozenset[int]:
    return frozenset(p.index for p in net.places if p.role in (PlaceRole.OPEN, PlaceRole.CLOSED))


def _closure(net: Net, start: set[int], stop: frozenset[int], skip: set[int],
             consumers: dict[int, list[int]]) -> set[int]:
    """The places reached from ``start`` by transitions not in ``skip``, up to ``stop``
    (``consumers``: the transitions consuming each place)."""
    seen = set(start)
    frontier = list(start)
    while frontier:
        place = frontier.pop()
        for ti in consumers.get(place, ()):
            if ti in skip:
                continue
            for q in net.transitions[ti].produce:
                if q not in stop and q not in seen:
                    seen.add(q)
                    frontier.append(q)
    return seen


def _region(net: Net, block: ParallelBlock, glob: frozenset[int],
            consumers: dict[int, list[int]], toucher: dict[int, list[int]]) -> Region | None:
    """The block as a region, or None when its branches are not isolated (``consumers``,
    ``toucher``: the transitions consuming, and consuming or producing, each place)."""
    fork, join = net.transitions[block.fork], net.transitions[block.join]
    if set(fork.consume) != {block.entry} or fork.produce != (block.running, *block.starts):
        return None
    if set(join.consume) != {block.running, *block.dones} or fork.cancel or join.cancel:
        return None
    mine = {block.fork, block.join}
    again = {i for i in toucher.get(block.running, ())
             if block.running in net.transitions[i].produce and i != block.fork}
    branches = [_closure(net, {s}, glob, mine, consumers) for s in block.starts]
    after = _closure(net, set(join.produce), glob, {block.fork} | again, consumers)
    claimed: set[int] = set()
    for index, places in enumerate(branches):
        others = set(block.dones) - {block.dones[index]}
        if block.dones[index] not in places or places & (others | {block.entry, block.running}):
            return None
        if places & claimed or places & after or places & net.initial:
            return None
        claimed |= places
    for index in again:
        if not _proper_reentry(net.transitions[index], block, branches, glob):
            return None
    owned: list[set[int]] = [set() for _ in branches]
    branch_of = {p: i for i, places in enumerate(branches) for p in places}
    dones = set(block.dones)
    # only transitions touching the running place or a branch's (the dones among them)
    near = {i for p in (block.running, *branch_of) for i in toucher.get(p, ())}
    for t in (net.transitions[i] for i in near - mine - again):
        touched = {*t.consume, *t.produce} - glob
        if block.running in touched or not dones.isdisjoint(t.consume):
            return None
        hits = {branch_of.get(p, -1) for p in touched}  # -1: outside every branch
        if not hits or hits == {-1}:
            continue
        if len(hits) > 1 or not _proper_ender(net, t, glob):
            return None
        owned[hits.pop()].add(t.index)
    return Region(block, tuple(frozenset(b) for b in branches),
                  tuple(frozenset(o) for o in owned), frozenset(again))


def _proper_reentry(t: Transition, block: ParallelBlock, branches: list[set[int]],
                    glob: frozenset[int]) -> bool:
    """A transition from outside the block that starts it again: it marks the running place
    and one place of each branch, takes nothing of the block, and ends nothing."""
    inside = set().union(*branches) | {block.entry, block.running}
    if t.cancel or t.delivers is not None or t.silent or set(t.consume) & (inside | glob):
        return False
    marks = [p for p in t.produce if p != block.running]
    if len(t.produce) != len(set(t.produce)) or len(marks) != len(branches):
        return False
    return all(sum(p in places for p in marks) == 1 for places in branches)


def _proper_ender(net: Net, t: Transition, glob: frozenset[int]) -> bool:
    """A transition touching the case's life ends it properly: open -> closed, cancelling."""
    touches_global = bool((set(t.consume) | set(t.produce)) & glob)
    if not touches_global and not t.cancel and t.delivers is None:
        return True
    consumed = [net.places[p].role for p in t.consume if p in glob]
    produced = [net.places[p].role for p in t.produce]
    return (consumed == [PlaceRole.OPEN] and produced == [PlaceRole.CLOSED] and t.cancel
            and t.delivers is not None)
