"""The bond story, the main job of ``hktoken demo``: an HKSAR-style green bond from deployment to redemption.

The terms are those of the HKD tranche of the Hong Kong Government's February 2024 digital green bond: HK$2 billion,
2 years, a 3.800% coupon paid semi-annually. One token is one HK$1,000 bond (0 decimals), so each coupon is exactly
HK$19 per token and every entitlement is exact to the cent. The ISIN is illustrative (a valid ISO 6166 check digit,
not the issue's own). Dates run from the chain's clock: the bond is issued "today" and the demo travels in time to
each coupon date and to maturity.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hktoken.chain.connection import Chain
from hktoken.contracts.bond import BondRoles, BondToken
from hktoken.contracts.token import TokenRoles
from hktoken.demo.story import (
    HONG_KONG,
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
from hktoken.errors import HKTokenError, TransferRestricted
from hktoken.models.bond import BondTerms
from hktoken.models.investor import InvestorClass
from hktoken.models.rules import ComplianceRules
from hktoken.reports.captable import build_cap_table
from hktoken.units import format_units

ISIN = "HK0000GB2028"  # illustrative: a valid check digit, not the real issue's ISIN
ISSUE_SIZE = Decimal(2_000_000)  # tokens of HK$1,000: HK$2 billion
DENOMINATION = Decimal(1000)
COUPON_BPS = 380
ISSUE_PRICE = Decimal(1000)  # at par
SECONDARY_PRICE = Decimal("1001.25")
ALLOCATION = {"professional": Decimal(1_200_000), "broker": Decimal(799_990), "retail": Decimal(10)}
SECONDARY = Decimal(50_000)  # the professional investor sells this much to the broker's omnibus account
REFUSED = Decimal(100)  # what the unverified buyer tries to buy


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months later (the 28th at most, so every month has it)."""
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=min(moment.day, 28))


def green_bond_terms(payment_token: str, issue_date: datetime) -> BondTerms:
    """The tranche's terms, issued on ``issue_date``: coupons every six months, the last at maturity."""
    dates = tuple(add_months(issue_date, 6 * n) for n in range(1, 5))
    return BondTerms(
        isin=ISIN,
        currency="HKD",
        payment_token=payment_token,
        payment_decimals=6,
        denomination=DENOMINATION,
        coupon_rate_bps=COUPON_BPS,
        coupon_frequency=2,
        issue_date=issue_date,
        maturity_date=dates[-1],
        coupon_dates=dates,
        min_call_notice=timedelta(days=30),
    )


def run_bond_story(chain: Chain, cast: Cast) -> Story:
    """Deploy the green bond suite, onboard investors (one refused), issue by DvP, trade, pay a coupon, mature and
    redeem; returns every step with its gas, the figures and the cap tables (latest, and just before redemption)."""
    require_time_travel(chain)
    story = Story("bond", "HKSAR green bond (HKD tranche): HK$2bn, 2 years, 3.800% semi-annual", chain.chain_id)
    admin, issuer, agent, treasury = cast.admin, cast.issuer, cast.agent, cast.treasury
    buyers = {"professional": cast.professional, "broker": cast.broker, "retail": cast.retail}

    # 1. the suite ---------------------------------------------------------------------------------------------
    story.chapter("1. Deploy the HK green bond suite")
    market = deploy_market(story, chain, admin)
    registry, hkd, dvp = market.registry, market.hkd, market.dvp
    issue_date = chain_now(chain).replace(microsecond=0)
    terms = green_bond_terms(hkd.address, issue_date)
    mark = block_mark(chain)
    bond = BondToken.deploy(
        chain, admin, name="HKSAR Green Bond 3.8% 2028", symbol="HKGB28", decimals=0, registry=registry,
        treasury=treasury.address,
        roles=TokenRoles(issuers=[issuer.address], agents=[agent.address], pausers=[admin.address],
                         compliance_admins=[admin.address]),
        rules=ComplianceRules(
            allowed_countries=frozenset({HONG_KONG}),
            required_classes=frozenset({InvestorClass.PROFESSIONAL, InvestorClass.INSTITUTIONAL, InvestorClass.RETAIL}),
        ),
        terms=terms,
        bond_roles=BondRoles(callers=[issuer.address], funders=[issuer.address], payers=[agent.address]),
    )  # fmt: skip
    coupon = terms.coupon_per_token
    story.sent(
        "bond",
        f"bond {bond.symbol} ISIN {ISIN} at {bond.address} with its paying agent "
        f"{bond.paying_agent.address}: HK${DENOMINATION:,} a token, {COUPON_BPS / 100:.3f}% semi-annual "
        f"(HK${format_units(coupon)} per token per coupon), maturity "
        f"{terms.maturity_date:%Y-%m-%d}; rules: Hong Kong investors only, professional, institutional or retail",
        receipts_since(chain, mark, admin.address),
    )
    story.addresses.update(
        bond=bond.address, paying_agent=bond.paying_agent.address, treasury=treasury.address, issuer=issuer.address,
        agent=agent.address,
        **{name: account.address for name, account in buyers.items()}, unverified=cast.unverified.address,
    )  # fmt: skip

    # 2. investors ---------------------------------------------------------------------------------------------
    story.chapter("2. Onboard investors")
    onboard_investors(
        story, market, admin,
        [("PI-0001", cast.professional, InvestorClass.PROFESSIONAL, False),
         ("BROKER-OMNIBUS-01", cast.broker, InvestorClass.INSTITUTIONAL, True),
         ("RI-0001", cast.retail, InvestorClass.RETAIL, False)],
    )  # fmt: skip
    story.noted(
        "unverified",
        f"one more buyer, {cast.unverified.address}, wants bonds but has no KYC: the registry does not know it",
    )
    cash = {name: ALLOCATION[name] * ISSUE_PRICE for name in buyers}
    cash["broker"] += SECONDARY * SECONDARY_PRICE
    funding = [hkd.mint(admin, buyers[name].address, cash[name]) for name in buyers]
    funding.append(hkd.mint(admin, cast.unverified.address, REFUSED * ISSUE_PRICE))
    funding.append(hkd.mint(admin, issuer.address, _coupon_budget(terms) + ISSUE_SIZE * DENOMINATION))
    story.sent(
        "hkd",
        "HKD minted: "
        + ", ".join(f"{name} {units(cash[name], 'HKD')}" for name in buyers)
        + f", the unverified buyer {units(REFUSED * ISSUE_PRICE, 'HKD')}, the issuer (coupons and principal) "
        f"{units(_coupon_budget(terms) + ISSUE_SIZE * DENOMINATION, 'HKD')}",
        funding,
    )
    approvals = [approve_max(hkd, account, dvp.address) for account in (*buyers.values(), cast.unverified)]
    approvals.append(approve_max(bond, treasury, dvp.address))
    approvals += [approve_max(bond, account, dvp.address) for account in buyers.values()]
    story.sent(
        "approvals", "every party approved the DvP contract once (HKD for buyers, HKGB28 for sellers)", approvals
    )

    # 3. primary issuance ----------------------------------------------------------------------------------------
    story.chapter("3. Primary issuance by DvP against HKD")
    story.sent(
        "mint",
        f"issuer minted {units(ISSUE_SIZE, bond.symbol)} (HK$2,000,000,000 face) to the treasury {treasury.address}",
        bond.mint(issuer, treasury.address, ISSUE_SIZE),
    )
    check = bond.check_transfer(treasury.address, cast.unverified.address, REFUSED)
    story.noted(
        "precheck",
        f"pre-check (ERC-1404 detectTransferRestriction) treasury -> unverified buyer {cast.unverified.address}, "
        f"{units(REFUSED, bond.symbol)}: code {check.code}, {check.reason!r}",
        code=check.code,
        reason=check.reason,
    )
    trade, seller_sig, buyer_sig = signed_trade(
        dvp, seller=treasury, buyer=cast.unverified, asset=bond, amount=REFUSED, payment=hkd,
        price=REFUSED * ISSUE_PRICE, submitter=issuer,
    )  # fmt: skip

    def state() -> tuple[int, ...]:  # what a refused trade must leave as it was, the submitter's nonce included
        return (
            bond.raw_balance_of(treasury.address),
            bond.raw_balance_of(cast.unverified.address),
            hkd.raw_balance_of(cast.unverified.address),
            hkd.raw_balance_of(treasury.address),
            chain.w3.eth.get_transaction_count(issuer.address),
        )

    moved = state()
    try:
        dvp.settle(issuer, trade, seller_sig, buyer_sig)
    except TransferRestricted as refusal:
        unchanged = moved == state()
        unused = not dvp.nonce_used(trade.seller, trade.seller_nonce) and not dvp.nonce_used(
            trade.buyer, trade.buyer_nonce
        )
        story.noted(
            "refused",
            f"DvP trade to the unverified buyer reverted with TransferRestricted(code={refusal.code}, "
            f"reason={refusal.reason!r}): nothing sent, "
            + ("no bond and no HKD moved, both nonces still free" if unchanged and unused else "STATE CHANGED"),
            code=refusal.code,
            reason=refusal.reason,
            error=refusal.error,
            nothing_moved=unchanged and unused,
        )
    else:  # pragma: no cover - the registry would have to verify a wallet it never saw
        raise HKTokenError("the DvP trade to an unverified buyer settled", fix="check the registry the bond uses")
    for name, buyer in buyers.items():
        amount = ALLOCATION[name]
        trade, seller_sig, buyer_sig = signed_trade(
            dvp, seller=treasury, buyer=buyer, asset=bond, amount=amount, payment=hkd, price=amount * ISSUE_PRICE,
            submitter=issuer,
        )  # fmt: skip
        story.sent(
            f"issue-{name}",
            f"DvP: treasury -> {name} {buyer.address}: {units(amount, bond.symbol)} against "
            f"{units(amount * ISSUE_PRICE, 'HKD')} (both legs in one transaction, signed by both, submitted by "
            "the issuer)",
            dvp.settle(issuer, trade, seller_sig, buyer_sig),
        )

    # 4. secondary trade ------------------------------------------------------------------------------------------
    story.chapter("4. A secondary trade by DvP")
    price = SECONDARY * SECONDARY_PRICE
    trade, seller_sig, buyer_sig = signed_trade(
        dvp, seller=cast.professional, buyer=cast.broker, asset=bond, amount=SECONDARY, payment=hkd, price=price,
        submitter=agent,
    )  # fmt: skip
    story.sent(
        "secondary",
        f"DvP: PI-0001 -> BROKER-OMNIBUS-01: {units(SECONDARY, bond.symbol)} at HK${SECONDARY_PRICE} "
        f"({units(price, 'HKD')}), submitted by the agent",
        dvp.settle(agent, trade, seller_sig, buyer_sig),
    )

    # 5. a coupon ---------------------------------------------------------------------------------------------------
    story.chapter("5. The first coupon, funded and paid")
    travel_to(chain, terms.coupon_dates[0])
    story.noted("record", f"time travel to the first coupon date {terms.coupon_dates[0]:%Y-%m-%d}: coupon 0 recorded")
    needed = bond.paying_agent.coupon_funding(0)
    receipts = [hkd.approve(issuer, bond.paying_agent.address, needed), bond.fund_coupon(issuer, 0)]
    story.sent(
        "fund-coupon",
        f"issuer funded coupon 0: {units(needed, 'HKD')} "
        f"(HK${format_units(coupon)} x {units(ISSUE_SIZE, 'tokens')} outstanding)",
        receipts,
    )
    claimed = bond.claimable(cast.professional.address)
    story.sent(
        "claim",
        f"PI-0001 claimed its coupon: {units(claimed, 'HKD')}",
        bond.claim(cast.professional),
        amount=format_units(claimed),
    )
    pushed = {name: bond.claimable(buyers[name].address) for name in ("broker", "retail")}
    story.sent(
        "push",
        "the agent pushed coupon 0 to the others: "
        + ", ".join(f"{name} {units(amount, 'HKD')}" for name, amount in pushed.items()),
        bond.pay_coupons(agent, [buyers[name].address for name in pushed]),
    )

    # 6. maturity -------------------------------------------------------------------------------------------------
    story.chapter("6. Maturity and redemption")
    travel_to(chain, terms.maturity_date)
    story.noted("maturity", f"time travel to maturity {terms.maturity_date:%Y-%m-%d}: coupons 1-3 recorded")
    receipts = []
    total = Decimal(0)
    for index in range(1, len(terms.coupon_dates)):
        needed = bond.paying_agent.coupon_funding(index)
        total += needed
        receipts += [hkd.approve(issuer, bond.paying_agent.address, needed), bond.fund_coupon(issuer, index)]
    story.sent("fund-coupons", f"issuer funded coupons 1-3: {units(total, 'HKD')}", receipts)
    principal = ISSUE_SIZE * DENOMINATION
    receipts = [hkd.approve(issuer, bond.paying_agent.address, principal), bond.fund_principal(issuer)]
    story.sent("fund-principal", f"issuer funded the principal: {units(principal, 'HKD')}", receipts)
    before_redemption = chain.w3.eth.block_number
    story.cap_tables["before_redemption"] = build_cap_table(bond, at_block=before_redemption)
    holders = [buyers[name].address for name in buyers]
    hkd_before = {name: hkd.balance_of(buyers[name].address) for name in buyers}
    receipt = bond.redeem_for(agent, holders)
    paid = {name: hkd.balance_of(buyers[name].address) - hkd_before[name] for name in buyers}
    story.sent(
        "redeem",
        "the agent redeemed every holder (bonds burned; principal + unclaimed coupons 1-3 paid): "
        + ", ".join(f"{name} {units(paid[name], 'HKD')}" for name in buyers),
        receipt,
        **{name: format_units(value) for name, value in paid.items()},
    )
    story.cap_tables["final"] = build_cap_table(bond)
    story.figures.update(
        {
            "bond_supply": format_units(bond.total_supply()),
            "coupons_paid_hkd": format_units(_coupon_budget(terms)),
            "principal_paid_hkd": format_units(principal),
            "paying_agent_hkd": format_units(hkd.balance_of(bond.paying_agent.address)),
            "before_redemption_block": str(before_redemption),
            **{f"{name}_hkd": format_units(hkd.balance_of(buyers[name].address)) for name in buyers},
            "treasury_hkd": format_units(hkd.balance_of(treasury.address)),
        }
    )
    return story


def _coupon_budget(terms: BondTerms) -> Decimal:
    """Every coupon on the whole issue (all of it outside the treasury once sold)."""
    return terms.coupon_per_token * ISSUE_SIZE * len(terms.coupon_dates)
