"""ETF creation and redemption: an authorized participant deals in creation units at the next NAV.

The share class (``FundToken``) and its ``FundAdministrator`` deal in creation units of 1,000 shares. The AP
subscribes HKD stablecoin (a creation request), the fund administrator publishes the NAV and strikes the epoch,
and the AP claims whole units of shares, the rest of its cash refunded. Then the AP asks to redeem one unit; the
next NAV moves more than the 5% bound, so a second person (the NAV confirmer) must confirm it before the strike;
the AP claims its cash, less the redemption fee.

Run: ``python examples/etf_creation_redemption.py`` (starts and stops its own anvil), or against a dev node you run
(anvil or Hardhat, which can move the clock): ``--rpc-url http://127.0.0.1:8545``, with ``--private-key-env NAME``
to deploy with your own key (the other parties are the node's dev accounts).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _script import run_example
from eth_account.signers.local import LocalAccount

from hktoken import (
    Chain,
    FundAdministrator,
    FundRoles,
    FundTerms,
    FundToken,
    HKDStablecoin,
    Investor,
    InvestorClass,
    InvestorRegistry,
)

HONG_KONG = 344


def chain_now(chain: Chain) -> datetime:
    return datetime.fromtimestamp(chain.timestamp(), tz=UTC)


def strike_at(chain: Chain, administrator: FundAdministrator, fund_admin: LocalAccount, nav: Decimal,
              confirmer: LocalAccount | None = None) -> None:  # fmt: skip
    """An hour later, publish ``nav`` (valued five minutes before), have it confirmed if it moved beyond the bound,
    and strike the epoch it closed."""
    chain.increase_time(3600)
    chain.mine()
    epoch = administrator.open_epoch()
    administrator.publish_nav(fund_admin, administrator.nav_strike(nav, chain_now(chain) - timedelta(minutes=5)))
    pending = administrator.pending_nav()
    assert pending is not None
    print(f"NAV HK${nav} published for epoch {epoch}: needs confirmation {pending.needs_confirmation}")
    if pending.needs_confirmation and confirmer is not None:
        administrator.confirm_nav(confirmer, nav)
        print(f"NAV HK${nav} confirmed by the NAV confirmer")
    administrator.strike(fund_admin)
    print(f"epoch {epoch} struck at HK${administrator.last_nav():,.2f}")


def run(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    manager, fund_admin, confirmer, cash_account, ap = accounts[:5]

    registry = InvestorRegistry.deploy(chain, manager)
    registry.register(
        manager,
        [Investor(id="HK-AP-0001", wallets=[ap.address], country=HONG_KONG,
                  investor_class=InvestorClass.INSTITUTIONAL, kyc_expiry=chain_now(chain) + timedelta(days=365))],
    )  # fmt: skip
    hkd = HKDStablecoin.deploy(chain, manager)
    terms = FundTerms(
        payment_token=hkd.address, cash_account=cash_account.address, creation_unit=Decimal(1000),
        initial_nav=Decimal(10), max_nav_age=timedelta(days=1), nav_move_bound_bps=500, subscription_fee_bps=10,
        redemption_fee_bps=20,
    )  # fmt: skip
    token = FundToken.deploy(
        chain, manager, name="HK Tracker ETF", symbol="HKTE", decimals=18, registry=registry, terms=terms,
        fund_roles=FundRoles(fund_admins=[fund_admin.address], nav_confirmers=[confirmer.address],
                             participants=[ap.address]),
    )  # fmt: skip
    administrator = token.administrator()
    print(f"share class {token.symbol} at {token.address}, administrator {administrator.address}: "
          f"creation unit {administrator.creation_unit.normalize():,f} shares")  # fmt: skip

    hkd.mint(manager, ap.address, Decimal(50_000))
    hkd.mint(manager, cash_account.address, Decimal(1_000_000))  # the fund's cash, which pays redemptions
    hkd.approve(cash_account, administrator.address, Decimal(1_000_000))

    epoch = administrator.open_epoch()
    administrator.request_subscription(ap, Decimal(35_000))
    print(f"creation: AP subscribed HK$35,000 in epoch {epoch}")
    strike_at(chain, administrator, fund_admin, Decimal(10))
    fill = administrator.preview_subscription(epoch, ap.address)
    administrator.claim_subscription(ap, epoch)
    print(f"AP claimed {fill.shares.normalize():,f} shares (cost HK${fill.cost:,.2f}, fee HK${fill.fee:,.2f}, "
          f"refund HK${fill.refund:,.2f})")  # fmt: skip

    epoch = administrator.open_epoch()
    administrator.request_redemption(ap, Decimal(1000))
    print(f"redemption: AP asked to redeem 1,000 shares (one creation unit) in epoch {epoch}")
    strike_at(chain, administrator, fund_admin, Decimal("10.60"), confirmer)
    payment = administrator.preview_redemption(epoch, ap.address)
    administrator.claim_redemption(ap, epoch)
    print(f"AP claimed HK${payment.paid:,.2f} (proceeds HK${payment.proceeds:,.2f} less fee HK${payment.fee:,.2f})")

    print(f"final AP: {token.balance_of(ap.address).normalize():,f} shares, HK${hkd.balance_of(ap.address):,.2f}")
    cash = hkd.balance_of(cash_account.address)
    print(f"final fund: supply {token.total_supply().normalize():,f} shares, cash account HK${cash:,.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_example(
        run, description="ETF creation and redemption in creation units at NAV.", key_holder="manager", argv=argv
    )


if __name__ == "__main__":
    sys.exit(main())
