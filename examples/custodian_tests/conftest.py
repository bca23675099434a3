"""A custodian's fixtures on top of the hktoken pytest plugin (installed with hktoken: ``chain``, ``w3``,
``accounts``, each test inside its own ``evm_snapshot``/``evm_revert``).

Deployed once per module: an investor registry with two professional clients and a broker's omnibus account, and
a Hong Kong-only bond token that professional and institutional investors may hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import Chain, ComplianceRules, Investor, InvestorClass, InvestorRegistry, RWAToken

HONG_KONG = 344
KYC_DAYS = 365


@dataclass(frozen=True)
class Custody:
    """What the tests work with: the issuer (every duty), two clients, the broker's omnibus account and an
    outsider with no KYC."""

    registry: InvestorRegistry
    token: RWAToken
    issuer: LocalAccount
    alice: LocalAccount
    bob: LocalAccount
    omnibus: LocalAccount
    outsider: LocalAccount
    kyc_expiry: datetime


@pytest.fixture(scope="module")
def custody(chain: Chain, accounts: Sequence[LocalAccount]) -> Custody:
    issuer, alice, bob, omnibus, outsider = accounts[:5]
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC).replace(microsecond=0) + timedelta(days=KYC_DAYS)
    registry = InvestorRegistry.deploy(chain, issuer)
    registry.register(
        issuer,
        [Investor(id="HK-PI-0001", wallets=[alice.address], country=HONG_KONG,
                  investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry),
         Investor(id="HK-PI-0002", wallets=[bob.address], country=HONG_KONG,
                  investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry),
         Investor(id="HK-BROKER-OMNIBUS", wallets=[omnibus.address], country=HONG_KONG,
                  investor_class=InvestorClass.INSTITUTIONAL, kyc_expiry=expiry + timedelta(days=KYC_DAYS),
                  omnibus=True)],
    )  # fmt: skip
    token = RWAToken.deploy(
        chain, issuer, name="HKSAR Green Bond 2028", symbol="HKGB28", decimals=2, registry=registry,
        rules=ComplianceRules(allowed_countries={HONG_KONG},
                              required_classes={InvestorClass.PROFESSIONAL, InvestorClass.INSTITUTIONAL}),
    )  # fmt: skip
    token.mint(issuer, alice.address, Decimal(10_000))
    return Custody(registry, token, issuer, alice, bob, omnibus, outsider, expiry)
