"""The rules battery of tests/compliance, unchanged, against a BondToken (see test_bond_conformance.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.chain import Chain
from tests.assets.test_bond_conformance import bond_world
from tests.compliance._helpers import World
from tests.compliance.test_rules import *  # noqa: F403  (the battery, collected here against the bond)


@pytest.fixture(scope="module")
def world(chain: Chain, accounts: Sequence[LocalAccount]) -> World:
    """The battery's world, on a bond."""
    return bond_world(chain, accounts)
