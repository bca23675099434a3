"""``hktoken demo``'s stories as plain functions: each takes a :class:`~hktoken.chain.Chain` (a dev node: the
stories move its clock) and a :class:`Cast` of signers, runs one asset's lifecycle end to end and returns a
:class:`Story` (every step with what happened on chain, its gas and transactions; the figures; the cap tables).

    with Anvil() as chain:
        story = run_story("bond", chain, dev_cast())
"""

from __future__ import annotations

from collections.abc import Callable

from hktoken.chain.connection import Chain
from hktoken.demo.bond import run_bond_story
from hktoken.demo.fund import run_fund_story
from hktoken.demo.gold import run_gold_story
from hktoken.demo.story import Cast, Step, Story, Transaction, derived_cast, dev_cast, dev_cast_available
from hktoken.errors import SpecError

__all__ = [
    "STORIES",
    "Cast",
    "Step",
    "Story",
    "Transaction",
    "derived_cast",
    "dev_cast",
    "dev_cast_available",
    "run_bond_story",
    "run_fund_story",
    "run_gold_story",
    "run_story",
]

STORIES: dict[str, Callable[[Chain, Cast], Story]] = {
    "bond": run_bond_story,
    "gold": run_gold_story,
    "fund": run_fund_story,
}


def run_story(asset: str, chain: Chain, cast: Cast) -> Story:
    """Run the story of ``asset`` (``bond``, ``gold`` or ``fund``) on ``chain``."""
    try:
        story = STORIES[asset]
    except KeyError:
        raise SpecError(f"there is no {asset!r} demo", fix=f"pick one of {', '.join(STORIES)}") from None
    return story(chain, cast)
