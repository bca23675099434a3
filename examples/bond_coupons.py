"""Issue a green bond and pay its coupons: from issuance to maturity and redemption, in HKD stablecoin.

The terms follow the HKD tranche of the Hong Kong Government's February 2024 digital green bond (2 years, 3.800%
paid semi-annually, HK$1,000 bonds), on a HK$10 million issue: one token is one bond (0 decimals), so a coupon is
exactly HK$19 per token. The ISIN is illustrative (a valid check digit, not the real issue's). Three KYC'd
investors receive bonds (the primary sale is settled off chain here; see dvp_broker.py for delivery against
payment). On each coupon date the issuer funds the coupon with the paying agent; one holder claims, the agent
pushes the rest. At maturity the issuer funds the last coupons and the principal and every holder is redeemed.

Run: ``python examples/bond_coupons.py`` (starts and stops its own anvil), or against a dev node you run
(anvil or Hardhat, which can move the clock): ``python examples/bond_coupons.py --rpc-url http://127.0.0.1:8545``
with ``--private-key-env NAME`` to sign as the issuer with your own key (the other parties are the node's dev
accounts).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _script import run_example
from eth_account.signers.local import LocalAccount

from hktoken import (
    BondRoles,
    BondTerms,
    BondToken,
    Chain,
    ComplianceRules,
    HKDStablecoin,
    Investor,
    InvestorClass,
    InvestorRegistry,
    TokenRoles,
)

HONG_KONG = 344
ISIN = "HK0000DGB263"  # illustrative
ALLOCATION = {"alice": Decimal(6000), "bob": Decimal(3000), "broker": Decimal(1000)}  # bonds of HK$1,000


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months later (the 28th at most, so every month has it)."""
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=min(moment.day, 28))


def hk(amount: Decimal) -> str:
    """HK$1,234.50"""
    return f"HK${amount:,.2f}"


def travel_to(chain: Chain, moment: datetime) -> None:
    """Mine a block at ``moment`` (dev nodes only)."""
    chain.set_next_block_timestamp(int(moment.timestamp()))
    chain.mine()


def run(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    issuer, agent, treasury, alice, bob, broker = accounts[:6]
    holders = {"alice": alice, "bob": bob, "broker": broker}
    today = datetime.fromtimestamp(chain.timestamp(), tz=UTC).replace(microsecond=0)

    registry = InvestorRegistry.deploy(chain, issuer)
    kyc = today + timedelta(days=5 * 365)
    registry.register(
        issuer,
        [Investor(id="HK-PI-0001", wallets=[alice.address], country=HONG_KONG,
                  investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=kyc),
         Investor(id="HK-PI-0002", wallets=[bob.address], country=HONG_KONG,
                  investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=kyc),
         Investor(id="HK-BROKER-OMNIBUS", wallets=[broker.address], country=HONG_KONG,
                  investor_class=InvestorClass.INSTITUTIONAL, kyc_expiry=kyc, omnibus=True)],
    )  # fmt: skip
    hkd = HKDStablecoin.deploy(chain, issuer)
    print(f"registry {registry.address}, HKD stablecoin {hkd.address}: 3 investors registered")

    coupon_dates = tuple(add_months(today, 6 * n) for n in range(1, 5))
    terms = BondTerms(
        isin=ISIN, currency="HKD", payment_token=hkd.address, payment_decimals=hkd.decimals,
        denomination=Decimal(1000), coupon_rate_bps=380, coupon_frequency=2, issue_date=today,
        maturity_date=coupon_dates[-1], coupon_dates=coupon_dates,
    )  # fmt: skip
    year = terms.maturity_date.year
    bond = BondToken.deploy(
        chain, issuer, name=f"HKSAR Green Bond 3.8% {year}", symbol=f"HKGB{year % 100:02d}", decimals=0,
        registry=registry, treasury=treasury.address,
        roles=TokenRoles(issuers=[issuer.address], agents=[agent.address]),
        rules=ComplianceRules(allowed_countries={HONG_KONG},
                              required_classes={InvestorClass.PROFESSIONAL, InvestorClass.INSTITUTIONAL}),
        terms=terms,
        bond_roles=BondRoles(funders=[issuer.address], payers=[agent.address]),
    )  # fmt: skip
    print(
        f"bond {bond.symbol} ISIN {ISIN} at {bond.address}: HK$1,000 a bond, 3.800% semi-annual "
        f"({hk(terms.coupon_per_token)} per bond per coupon), maturity {terms.maturity_date:%Y-%m-%d}"
    )

    bond.batch_mint(issuer, [(holders[name].address, amount) for name, amount in ALLOCATION.items()])
    print("issued: " + ", ".join(f"{name} {bond.balance_of(holders[name].address)}" for name in holders))
    hkd.mint(issuer, issuer.address, Decimal(20_000_000))  # the issuer's HKD for coupons and principal

    travel_to(chain, coupon_dates[0])
    needed = bond.paying_agent.coupon_funding(0)
    hkd.approve(issuer, bond.paying_agent.address, needed)
    bond.fund_coupon(issuer, 0)
    print(f"{coupon_dates[0]:%Y-%m-%d}: coupon 0 recorded, funded with {hk(needed)}")
    claimed = bond.claimable(alice.address)
    bond.claim(alice)
    print(f"alice claimed {hk(claimed)}")
    pushed = {name: bond.claimable(holders[name].address) for name in ("bob", "broker")}
    bond.pay_coupons(agent, [holders[name].address for name in pushed])
    print("the agent pushed coupon 0: " + ", ".join(f"{name} {hk(amount)}" for name, amount in pushed.items()))

    travel_to(chain, terms.maturity_date)
    for index in range(1, len(coupon_dates)):
        hkd.approve(issuer, bond.paying_agent.address, bond.paying_agent.coupon_funding(index))
        bond.fund_coupon(issuer, index)
    principal = bond.paying_agent.principal_needed()
    hkd.approve(issuer, bond.paying_agent.address, principal)
    bond.fund_principal(issuer)
    print(f"{terms.maturity_date:%Y-%m-%d}: maturity; coupons 1-3 and the principal ({hk(principal)}) funded")
    bond.redeem(alice)
    bond.redeem_for(agent, [bob.address, broker.address])
    print(f"redeemed: bond supply {bond.total_supply()}, holders {bond.holder_count()}")
    for name, account in holders.items():
        print(f"final {name}: {bond.balance_of(account.address)} {bond.symbol}, {hk(hkd.balance_of(account.address))}")
    print(f"final paying agent: {hk(hkd.balance_of(bond.paying_agent.address))}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_example(
        run,
        description="Issue a green bond and pay its coupons until redemption.",
        key_holder="issuer",
        rpc_help="a dev node (anvil, Hardhat) to use instead of starting anvil",
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
