"""One correction notice for a parallel block that asks together (联合审图, 多评合一).

In a block with ``corrections: together`` a step's correction request is not sent on its own:
the notice goes out — once, listing every step that asked — when no step of the block is
still deciding (each is waiting for the applicant, or its branch is done). The applicant's one
answer then resumes every step that asked. Pure functions of a case's step positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from onething.net.model import PlaceRole


def asked(group: Sequence[str], positions: Mapping[str, PlaceRole]) -> list[str]:
    """The steps of the block waiting for the applicant's correction."""
    return [s for s in group if positions.get(s) is PlaceRole.CORRECTION]


def deciding(group: Sequence[str], positions: Mapping[str, PlaceRole]) -> list[str]:
    """The steps of the block still with their department (deciding, or in a special
    procedure)."""
    return [s for s in group if s in positions and positions[s] is not PlaceRole.CORRECTION]


def notice_out(group: Sequence[str], positions: Mapping[str, PlaceRole]) -> bool:
    """Whether the block's one notice is out: some step asked and none is still deciding."""
    return bool(asked(group, positions)) and not deciding(group, positions)


def groups(correction_groups: Mapping[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each block that asks together, once."""
    return list(dict.fromkeys(correction_groups.values()))


__all__ = ["asked", "deciding", "groups", "notice_out"]
