"""Quickstart: a KYC-gated tokenized green bond on a local anvil, end to end.

Registers three investors in a shared registry, deploys a bond token that only professional
investors in Hong Kong may hold (in HK$1,000 denominations), issues it, shows a refused transfer
with its ERC-1404 code, freezes part of a holding, and executes a court-ordered forced transfer.

Run: ``python examples/quickstart.py``
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hktoken import (
    Anvil,
    ComplianceRules,
    Investor,
    InvestorClass,
    InvestorRegistry,
    RWAToken,
    TransferRestricted,
)

HONG_KONG, SINGAPORE = 344, 702


def main() -> None:
    node = Anvil()
    with node as chain:
        issuer, alice, bob, carol = node.accounts[:4]
        kyc_expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)

        registry = InvestorRegistry.deploy(chain, issuer)
        registry.register(
            issuer,
            [
                Investor(id="HK-PI-0001", wallets=[alice.address], country=HONG_KONG,
                         investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=kyc_expiry),
                Investor(id="HK-PI-0002", wallets=[bob.address], country=HONG_KONG,
                         investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=kyc_expiry),
                Investor(id="SG-RT-0003", wallets=[carol.address], country=SINGAPORE,
                         investor_class=InvestorClass.RETAIL, kyc_expiry=kyc_expiry),
            ],
        )  # fmt: skip
        print(f"registry {registry.address}: alice verified = {registry.is_verified(alice.address)}")

        bond = RWAToken.deploy(
            chain, issuer, name="HKSAR Green Bond 2028", symbol="HKGB28", decimals=2, registry=registry,
            treasury=issuer.address,
            rules=ComplianceRules(allowed_countries={HONG_KONG}, required_classes={InvestorClass.PROFESSIONAL},
                                  denomination=Decimal(1000), max_holders=200),
        )  # fmt: skip
        print(f"bond {bond.symbol} at {bond.address}")

        bond.mint(issuer, alice.address, Decimal(50_000))
        bond.transfer(alice, bob.address, Decimal(10_000))
        print(f"alice {bond.balance_of(alice.address)}, bob {bond.balance_of(bob.address)}, "
              f"holders {bond.holder_count()}")  # fmt: skip

        check = bond.check_transfer(alice.address, carol.address, Decimal(1000))
        print(f"alice -> carol (SG retail): code {check.code}, {check.reason!r}")
        try:
            bond.transfer(alice, carol.address, Decimal(1000))
        except TransferRestricted as refused:
            print(f"refused as expected: {refused}")

        bond.freeze_partial(issuer, bob.address, Decimal(4000))
        print(f"bob frozen {bond.frozen_tokens(bob.address)} of {bond.balance_of(bob.address)}")
        receipt = bond.forced_transfer(issuer, bob.address, alice.address, Decimal(8000))
        print(f"forced transfer events: {bond.event_names(receipt)}; bob frozen now {bond.frozen_tokens(bob.address)}")
        print(f"final: alice {bond.balance_of(alice.address)}, bob {bond.balance_of(bob.address)}, "
              f"supply {bond.total_supply()}")  # fmt: skip


if __name__ == "__main__":
    main()
