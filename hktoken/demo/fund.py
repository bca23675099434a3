"""The ETF story (``hktoken demo --asset fund``): a share class dealt in creation units at the next NAV.

An authorized participant (AP) is onboarded and subscribes cash; the fund administrator publishes a NAV and strikes
the epoch; the AP claims its shares (whole creation units, the rest of its cash refunded), sells some on the
secondary market by DvP, then redeems one creation unit, which is settled at the next NAV and claimed as cash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts.fund import FundAdministrator, FundRoles, FundToken
from hktoken.contracts.token import TokenRoles
from hktoken.demo.story import (
    Cast,
    Story,
    approve_max,
    block_mark,
    chain_now,
    deploy_market,
    onboard_investors,
    receipts_since,
    require_time_travel,
    signed_trade,
    travel_to,
    units,
)
from hktoken.models.fund import FundTerms
from hktoken.models.investor import InvestorClass
from hktoken.reports.captable import build_cap_table
from hktoken.units import format_units

CREATION_UNIT = Decimal(1000)
INITIAL_NAV = Decimal(10)
SUBSCRIPTION = Decimal("30030")  # three units at NAV 10.00 plus the 10 bps fee, exactly
FIRST_NAV = Decimal("10.00")
SECOND_NAV = Decimal("10.20")
TRADE = Decimal(500)
TRADE_PRICE = Decimal("10.05")
AP_CASH = Decimal(50_000)
FUND_CASH = Decimal(1_000_000)  # the fund's cash account, which pays redemptions


def _with_approval(chain: Chain, sender: str, request: Callable[[], TxReceipt]) -> list[TxReceipt]:
    """Every transaction ``request`` sent from ``sender`` (the wrapper approves first when the allowance is short,
    and returns only the request's receipt)."""
    mark = block_mark(chain)
    request()
    return receipts_since(chain, mark, sender)


def _publish(story: Story, chain: Chain, administrator: FundAdministrator, cast: Cast, nav: Decimal, name: str) -> None:
    """An hour later: publish ``nav`` (valued five minutes before) and strike the epoch it closes."""
    travel_to(chain, chain_now(chain) + timedelta(hours=1))
    strike = administrator.nav_strike(nav, chain_now(chain) - timedelta(minutes=5))
    epoch = administrator.open_epoch()
    story.sent(
        f"nav-{name}",
        f"an hour later the fund admin published NAV HK${format_units(nav)} per share (valued 5 minutes earlier): "
        f"epoch {epoch} closed",
        administrator.publish_nav(cast.agent, strike),
    )
    story.sent(
        f"strike-{name}",
        f"the fund admin struck epoch {epoch} at HK${format_units(nav)}",
        administrator.strike(cast.agent),
    )


def run_fund_story(chain: Chain, cast: Cast) -> Story:
    """Onboard an AP, subscribe, strike, claim shares, trade by DvP, redeem, strike again, claim cash; returns every
    step with its gas, the figures and the cap table."""
    require_time_travel(chain)
    story = Story("fund", "HK tracker ETF: creation and redemption in units of 1,000 shares at NAV", chain.chain_id)
    admin, fund_admin, cash_account = cast.admin, cast.agent, cast.treasury
    ap, investor = cast.broker, cast.professional

    story.chapter("1. Deploy the market and onboard the authorized participant")
    market = deploy_market(story, chain, admin)
    registry, hkd, dvp = market.registry, market.hkd, market.dvp
    onboard_investors(
        story, market, admin,
        [("AP-0001", ap, InvestorClass.INSTITUTIONAL, False),
         ("PI-0001", investor, InvestorClass.PROFESSIONAL, False),
         ("RI-0001", cast.retail, InvestorClass.RETAIL, False)],
    )  # fmt: skip
    terms = FundTerms(
        payment_token=hkd.address, cash_account=cash_account.address, creation_unit=CREATION_UNIT,
        initial_nav=INITIAL_NAV, max_nav_age=timedelta(days=1), nav_move_bound_bps=500, subscription_fee_bps=10,
        redemption_fee_bps=20,
    )  # fmt: skip
    mark = block_mark(chain)
    token = FundToken.deploy(
        chain, admin, name="HK Tracker ETF", symbol="HKTE", decimals=18, registry=registry,
        roles=TokenRoles(issuers=[cast.issuer.address], agents=[cast.agent.address], pausers=[admin.address],
                         compliance_admins=[admin.address]),
        terms=terms,
        fund_roles=FundRoles(fund_admins=[fund_admin.address], nav_confirmers=[cast.auditor.address],
                             participants=[ap.address]),
    )  # fmt: skip
    administrator = token.administrator()
    story.sent(
        "fund",
        f"share class HKTE at {token.address} and its administrator {administrator.address} (treasury and issuer): "
        f"creation unit {units(CREATION_UNIT, 'shares')}, launch NAV HK${format_units(INITIAL_NAV)}, NAV at most a day "
        "old, a move beyond 5% needs a second person, fees 10 bps in / 20 bps out; AP_ROLE to AP-0001",
        receipts_since(chain, mark, admin.address),
    )
    story.addresses.update(fund=token.address, administrator=administrator.address, ap=ap.address,
                           professional=investor.address, cash_account=cash_account.address,
                           fund_admin=fund_admin.address)  # fmt: skip
    setup = [
        hkd.mint(admin, ap.address, AP_CASH),
        hkd.mint(admin, cash_account.address, FUND_CASH),
        approve_max(hkd, cash_account, administrator.address),
        hkd.mint(admin, investor.address, TRADE * TRADE_PRICE),
    ]
    story.sent(
        "cash",
        f"HKD minted: AP-0001 {units(AP_CASH, 'HKD')}, the fund's cash account {units(FUND_CASH, 'HKD')} (which "
        f"approves the administrator), PI-0001 {units(TRADE * TRADE_PRICE, 'HKD')}",
        setup,
    )

    story.chapter("2. A subscription, struck at the next NAV")
    story.sent(
        "subscribe",
        f"AP-0001 subscribed {units(SUBSCRIPTION, 'HKD')} in epoch {administrator.open_epoch()} (approval + escrow)",
        _with_approval(chain, ap.address, lambda: administrator.request_subscription(ap, SUBSCRIPTION)),
    )
    _publish(story, chain, administrator, cast, FIRST_NAV, "1")
    fill = administrator.preview_subscription(1, ap.address)
    story.sent(
        "claim-shares",
        f"AP-0001 claimed {units(fill.shares, 'HKTE')} (cost {units(fill.cost, 'HKD')}, fee {units(fill.fee, 'HKD')}, "
        f"refund {units(fill.refund, 'HKD')})",
        administrator.claim_subscription(ap, 1),
        shares=format_units(fill.shares),
    )

    story.chapter("3. A secondary trade by DvP")
    approvals = [approve_max(token, ap, dvp.address), approve_max(hkd, investor, dvp.address)]
    story.sent("approvals", "both parties approved the DvP contract", approvals)
    trade, seller_sig, buyer_sig = signed_trade(
        dvp, seller=ap, buyer=investor, asset=token, amount=TRADE, payment=hkd, price=TRADE * TRADE_PRICE,
        submitter=investor,
    )  # fmt: skip
    story.sent(
        "trade",
        f"DvP: AP-0001 -> PI-0001: {units(TRADE, 'HKTE')} at HK${format_units(TRADE_PRICE)} "
        f"({units(TRADE * TRADE_PRICE, 'HKD')})",
        dvp.settle(investor, trade, seller_sig, buyer_sig),
    )

    story.chapter("4. A redemption, struck at the next NAV and paid in cash")
    epoch = administrator.open_epoch()
    story.sent(
        "redeem",
        f"AP-0001 asked to redeem {units(CREATION_UNIT, 'HKTE')} (one creation unit) in epoch {epoch}: shares "
        "escrowed with the administrator",
        _with_approval(chain, ap.address, lambda: administrator.request_redemption(ap, CREATION_UNIT)),
    )
    _publish(story, chain, administrator, cast, SECOND_NAV, "2")
    payment = administrator.preview_redemption(epoch, ap.address)
    story.sent(
        "claim-cash",
        f"AP-0001 claimed {units(payment.paid, 'HKD')} (proceeds {units(payment.proceeds, 'HKD')} less the fee "
        f"{units(payment.fee, 'HKD')})",
        administrator.claim_redemption(ap, epoch),
        paid=format_units(payment.paid),
    )
    story.cap_tables["final"] = build_cap_table(token)
    story.figures.update(
        {
            "supply_shares": format_units(token.total_supply()),
            "last_nav_hkd": format_units(administrator.last_nav()),
            "ap_hkd": format_units(hkd.balance_of(ap.address)),
            "cash_account_hkd": format_units(hkd.balance_of(cash_account.address)),
            "administrator_hkd": format_units(hkd.balance_of(administrator.address)),
        }
    )
    return story
