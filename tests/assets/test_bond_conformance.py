"""BondToken passes the conformance battery RWAToken passes: the compliance matrix of tests/compliance (every path
x every bad party, with exact errors, codes, balances and events) runs unchanged against a bond whose coupon dates
lie beyond every time it travels to; test_bond_conformance_edges.py and test_bond_conformance_rules.py do the same
for the ERC-7943 / ERC-1404 edge cases and the rules. The bond's own hooks (accrual in the balance word,
outstanding-supply checkpoints) must not change one outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import BondTerms, BondToken, HKDStablecoin, InvestorRegistry, TokenRoles
from hktoken.chain import Chain
from tests.compliance._helpers import YEAR, World
from tests.compliance.test_matrix import *  # noqa: F403  (the battery, collected here against the bond)


def bond_world(chain: Chain, accounts: Sequence[LocalAccount]) -> World:
    """The battery's world with a BondToken in place of RWAToken (same duties, 18 decimals)."""
    admin, issuer, agent, pauser, compliance, treasury = accounts[:6]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    now = chain.timestamp()
    first = now + 50 * YEAR  # far beyond any time the battery travels to: no coupon records during it
    terms = BondTerms(
        isin="HK0000098498", currency="HKD", payment_token=hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=450, coupon_frequency=2,
        issue_date=datetime.fromtimestamp(now, tz=UTC), maturity_date=datetime.fromtimestamp(first + YEAR, tz=UTC),
        coupon_dates=(datetime.fromtimestamp(first, tz=UTC), datetime.fromtimestamp(first + YEAR, tz=UTC)),
    )  # fmt: skip
    token = BondToken.deploy(
        chain, admin, name="HK Green Bond", symbol="HKGB", decimals=18, registry=registry, treasury=treasury.address,
        roles=TokenRoles(issuers=[issuer.address], agents=[agent.address], pausers=[pauser.address],
                         compliance_admins=[compliance.address]),
        terms=terms,
    )  # fmt: skip
    return World(chain, registry, token, admin, issuer, agent, pauser, compliance, treasury)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(chain: Chain, accounts: Sequence[LocalAccount]) -> World:
    """The compliance matrix's world, on a bond."""
    return bond_world(chain, accounts)
