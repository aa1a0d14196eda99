"""Sign-offs of a step decided by several signers (联合踏勘, 联合验收, expert review).

Each signer signs once, approving or refusing. The step is decided approved when ``need``
approvals are in, refused as soon as so many have refused that ``need`` can no longer be
reached; the signers still out are then cancelled (their sign-off is no longer taken). Every
complete round of sign-offs decides the step, exactly once (property-tested), so the case net
can treat the step as one decision: the deciding sign-off fires its ``approve`` or ``refuse``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from onething.errors import ActionRefused
from onething.language.step_keys import SignOff

#: the record a step holds while it is being signed (its outcome is not decided yet)
SIGNING = "signing"


def decision(votes: Iterable[str], sign_off: SignOff) -> str | None:
    """``approve`` or ``refuse`` once the votes decide the step, else None."""
    votes = list(votes)
    approvals = votes.count("approve")
    refusals = votes.count("refuse")
    if approvals >= sign_off.need:
        return "approve"
    if refusals > sign_off.seats - sign_off.need:
        return "refuse"
    return None


def signed(record: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The sign-offs of the step's current round (none once it was decided or corrected)."""
    if record is None or record.get("outcome") != SIGNING:
        return []
    return list(record.get("sign_offs", ()))


def signer_of(sign_off: SignOff, department: str, officer: str) -> str:
    """Who signs: the department, or for an expert panel the officer themself."""
    return department if sign_off.by else officer


def outstanding(sign_offs: Iterable[Mapping[str, Any]], sign_off: SignOff) -> list[str] | int:
    """The signers cancelled when the step is decided: the departments that had not signed,
    or for an expert panel how many seats were still empty."""
    done = {s["signer"] for s in sign_offs}
    if sign_off.by:
        return [d for d in sign_off.by if d not in done]
    return sign_off.experts - len(done)


def tally(sign_offs: Iterable[Mapping[str, Any]], sign_off: SignOff) -> dict[str, int]:
    """Approvals, refusals and the approvals needed, as the history records them."""
    votes = [s["vote"] for s in sign_offs]
    return {"approvals": votes.count("approve"), "refusals": votes.count("refuse"),
            "need": sign_off.need, "seats": sign_off.seats}


def has_signed(record: Mapping[str, Any] | None, signer: str) -> bool:
    """Whether ``signer`` has signed the step's current round."""
    return any(s["signer"] == signer for s in signed(record))


def sign(record: Mapping[str, Any] | None, sign_off: SignOff, step: str, signer: str,
         vote: str, by: str, reason: str) -> list[dict[str, Any]]:
    """The round's sign-offs with ``signer``'s ``vote`` added (refused if they signed)."""
    round_ = signed(record)
    if has_signed(record, signer):
        raise ActionRefused(f"{signer} has already signed '{step}' in this round",
                            "each signer signs once; the step is decided when enough have",
                            code="refused.step.signed_already", subject=step,
                            params={"signer": signer})
    entry: dict[str, Any] = {"signer": signer, "vote": vote, "by": by}
    if reason:
        entry["reason"] = reason
    return [*round_, entry]


__all__ = ["SIGNING", "decision", "has_signed", "outstanding", "sign", "signed", "signer_of",
           "tally"]
