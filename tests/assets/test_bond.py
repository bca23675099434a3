"""The fixed-rate bond from issue to redemption (contracts/assets/bond): coupons recorded by time alone, funded in
order for exactly the outstanding supply, claimed or pushed, with entitlements exact to the wei; a frozen holder's
coupons wait; forced transfers leave them with the holder of record and recovery moves them; transfers stop at
maturity or at the call date with the bond's own codes; redemption burns and pays principal and coupons at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils.crypto import keccak

from hktoken import BondRestriction, BondRoles, BondTerms, BondToken, MissingRole, SpecError, TransactionReverted
from hktoken.abi import Calldata, role_id
from hktoken.chain import Chain
from hktoken.contracts.base import deploy_contract
from hktoken.models.restrictions import ASSET_MESSAGES
from hktoken.testing import nothing_sent, reverts
from tests.assets.conftest import Market
from tests.compliance._helpers import DAY, ZERO, event_args, extra_account, fund, restricted, unchanged

UNIT = 10**18  # bond base units per token
HKD = 10**6  # HKD base units per dollar
CPT = 22_500_000  # 1,000 HKD x 4.50% / 2 = 22.50 HKD per token per coupon
DENOMINATION = 1_000 * HKD
NOTICE = 10 * DAY


def at(chain: Chain, timestamp: int) -> None:
    """Mine an empty block at ``timestamp``: views then see that time, and the next transaction comes after it."""
    chain.set_next_block_timestamp(timestamp)
    chain.mine()


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@dataclass
class Bx:
    m: Market
    bond: BondToken
    terms: BondTerms
    t0: int
    dates: list[int]
    maturity: int
    alice: LocalAccount
    bob: LocalAccount
    carol: LocalAccount
    funder: LocalAccount
    payer: LocalAccount
    caller: LocalAccount

    @property
    def chain(self) -> Chain:
        return self.m.chain

    @property
    def agent(self) -> str:
        return self.bond.paying_agent.address

    def hkd(self, who: LocalAccount | str) -> int:
        return self.m.hkd.raw_balance_of(who if isinstance(who, str) else who.address)

    def fund(self, index: int) -> int:
        """Fund coupon ``index`` from the funder (approving the exact amount first); returns the amount."""
        amount = self.bond.paying_agent.raw.coupon_funding(index)
        self.m.hkd.raw.approve(self.funder, self.agent, amount)
        self.bond.fund_coupon(self.funder, index)
        return amount

    def money(self) -> tuple[Any, ...]:
        """Everything a refused payment must leave as it was."""
        wallets = (self.alice.address, self.bob.address, self.carol.address, self.funder.address, self.agent)
        agent = self.bond.paying_agent.raw
        return (
            tuple(self.hkd(w) for w in wallets),
            tuple(self.bond.raw_balance_of(w) for w in wallets[:3]),
            tuple(agent.claimable(w) for w in wallets[:3]),
            agent.funded_coupons(),
            agent.principal_funded(),
            agent.principal_reserve(),
            self.bond.raw.total_supply(),
        )


def make_terms(m: Market, t0: int, dates: list[int], maturity: int) -> BondTerms:
    return BondTerms(
        isin="HK0000098498",
        currency="HKD",
        payment_token=m.hkd.address,
        payment_decimals=6,
        denomination=Decimal(1000),
        coupon_rate_bps=450,
        coupon_frequency=2,
        issue_date=datetime.fromtimestamp(t0 - DAY, tz=UTC),
        maturity_date=datetime.fromtimestamp(maturity, tz=UTC),
        coupon_dates=tuple(datetime.fromtimestamp(d, tz=UTC) for d in dates),
        min_call_notice=timedelta(seconds=NOTICE),
    )


@pytest.fixture(scope="module")
def bx(market: Market, accounts: list[LocalAccount]) -> Bx:
    m = market
    alice, bob, carol = m.onboard("BOND-ALICE", "BOND-BOB", "BOND-CAROL")
    funder, payer, caller = accounts[6], accounts[7], accounts[8]
    t0 = m.chain.timestamp()
    dates = [t0 + 30 * DAY, t0 + 60 * DAY, t0 + 90 * DAY, t0 + 120 * DAY]
    maturity = dates[-1]
    terms = make_terms(m, t0, dates, maturity)
    bond = BondToken.deploy(
        m.chain, m.admin, name="HKSAR Green Bond 2027", symbol="HKGB27", decimals=18, registry=m.registry,
        treasury=m.treasury.address, roles=m.roles, admin_module=m.admin_module, terms=terms,
        bond_roles=BondRoles(callers=[caller.address], funders=[funder.address], payers=[payer.address]),
    )  # fmt: skip
    bond.mint(m.issuer, alice.address, Decimal(100))
    bond.mint(m.issuer, bob.address, Decimal(50))
    bond.mint(m.issuer, m.treasury.address, Decimal(1000))
    m.hkd.mint(m.admin, funder.address, Decimal(10_000_000))
    return Bx(m, bond, terms, t0, dates, maturity, alice, bob, carol, funder, payer, caller)


# --------------------------------------------------------------------------------------------- terms


def test_the_terms_read_back_from_chain_in_erc7092_style(bx: Bx) -> None:
    bond, raw = bx.bond, bx.bond.raw
    assert bond.terms() == bx.terms
    assert raw.isin() == "HK0000098498" and raw.currency_code() == b"HKD"
    assert raw.currency() == bx.m.hkd.address
    assert raw.denomination() == DENOMINATION
    assert (raw.coupon_rate(), raw.coupon_frequency(), bond.paying_agent.raw.coupon_per_token()) == (450, 2, CPT)
    assert raw.coupon_dates() == bx.dates and raw.maturity_date() == bx.maturity
    assert raw.issue_date() == bx.t0 - DAY and raw.min_call_notice() == NOTICE
    assert [c.per_token for c in bond.schedule()] == [Decimal("22.5")] * 4
    assert bond.paying_agent.payment_token() == bx.m.hkd.address
    assert bond.paying_agent.raw.bond() == bond.address
    for code in BondRestriction:
        assert bond.message_for_restriction(code) == ASSET_MESSAGES[code]
    assert bond.message_for_restriction(67) == "unknown restriction code"
    assert bond.call_terms() is None and bond.recorded_coupons() == 0 and bond.funded_coupons() == 0


def test_the_constructor_refuses_inconsistent_terms_the_model_would_also_refuse(bx: Bx) -> None:
    args = bx.terms.constructor_args()
    base = ["B", "B", 18, bx.m.registry.address, bx.m.admin.address, bx.m.treasury.address, bx.m.admin_module]
    bad_terms = list(args[2])
    bad_terms[0] = 1_000_001  # 1.000001 HKD x 4.50% / 2 is not a whole number of base units
    with reverts("InvalidBondTerms", reason="couponPerToken"):
        deploy_contract(bx.chain, bx.m.admin, "BondToken", *base, *args[:2], bad_terms, args[3])
    with reverts("InvalidBondTerms", reason="couponDates"):
        deploy_contract(bx.chain, bx.m.admin, "BondToken", *base, *args[:3], list(reversed(args[3])))


# --------------------------------------------------------------------------------------------- accrual


def test_entitlements_are_fixed_at_each_record_and_survive_transfers_to_the_wei(bx: Bx) -> None:
    bond, alice, bob, carol = bx.bond, bx.alice, bx.bob, bx.carol
    odd = Decimal("33.333333333333333333")
    bond.transfer(alice, bob.address, odd)  # before any record: nothing accrues
    assert bond.raw.pending_coupons(alice.address, 64) == bond.raw.pending_coupons(bob.address, 64) == 0
    at(bx.chain, bx.dates[0])
    assert bond.recorded_coupons() == 1
    a0, b0 = 100 * UNIT - 33_333_333_333_333_333_333, 50 * UNIT + 33_333_333_333_333_333_333
    e_a0, e_b0 = a0 * CPT // UNIT, b0 * CPT // UNIT
    assert bond.raw.pending_coupons(alice.address, 64) == e_a0
    bond.transfer(bob, carol.address, Decimal(10))  # between two records: coupon 0 stays with bob
    bond.transfer(alice, carol.address, Decimal(1))
    at(bx.chain, bx.dates[1])
    e_a1 = (a0 - UNIT) * CPT // UNIT
    e_b1 = (b0 - 10 * UNIT) * CPT // UNIT
    e_c1 = 11 * UNIT * CPT // UNIT
    assert bond.raw.pending_coupons(alice.address, 64) == e_a0 + e_a1
    assert bond.raw.pending_coupons(bob.address, 64) == e_b0 + e_b1
    assert bond.raw.pending_coupons(carol.address, 64) == e_c1
    assert bond.raw.pending_coupons(bx.m.treasury.address, 64) == 0  # the treasury never accrues
    assert e_a0 == int(bx.terms.coupon_for(Decimal(a0) / UNIT, 18) * HKD)
    # Funded for exactly the outstanding supply at each record (treasury excluded): never less than the sum.
    assert bx.fund(0) == 150 * UNIT * CPT // UNIT == 3_375 * HKD
    assert bx.fund(1) == 150 * UNIT * CPT // UNIT
    assert e_a0 + e_b0 <= 3_375 * HKD and e_a1 + e_b1 + e_c1 <= 3_375 * HKD
    for holder, owed in ((alice, e_a0 + e_a1), (bob, e_b0 + e_b1), (carol, e_c1)):
        before = bx.hkd(holder)
        receipt = bond.claim(holder)
        assert bx.hkd(holder) - before == owed
        assert event_args(bond.paying_agent, receipt, "CouponsPaid") == [{"holder": holder.address, "amount": owed}]
        assert event_args(bond, receipt, "CouponsCollected") == [
            {"holder": holder.address, "tokensBurned": 0, "coupons": owed, "settledThrough": 2}
        ]
    assert bx.hkd(bx.agent) == 6_750 * HKD - (e_a0 + e_a1 + e_b0 + e_b1 + e_c1)


def test_a_claim_covers_every_recorded_and_funded_coupon_in_one_transfer(bx: Bx) -> None:
    at(bx.chain, bx.dates[2])
    for k in range(3):
        bx.fund(k)
    before = bx.hkd(bx.alice)
    assert bx.bond.claimable(bx.alice.address) == Decimal("6750")  # 100 tokens x 22.50 x 3
    bx.bond.claim(bx.alice)
    assert bx.hkd(bx.alice) - before == 3 * 100 * CPT
    assert bx.bond.claimable(bx.alice.address) == 0


def test_a_double_claim_is_refused_and_pays_nothing(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    bx.fund(0)
    bx.bond.claim(bx.alice)
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("NothingToClaim", holder=bx.alice.address):
        bx.bond.claim(bx.alice)
    with unchanged(bx.chain, bx.carol, watch=bx.money), reverts("NothingToClaim", holder=bx.carol.address):
        bx.bond.claim(bx.carol)  # holds nothing


def test_a_claim_before_funding_and_one_whose_accrual_holds_an_unfunded_coupon_are_refused(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("NothingToClaim", holder=bx.alice.address):
        bx.bond.claim(bx.alice)  # coupon 0 recorded, not funded: nothing claimable yet
    bx.bond.transfer(bx.alice, bx.bob.address, Decimal(1))  # alice's accrual now includes coupon 0
    assert bx.bond.claimable(bx.alice.address) == 0
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("CouponNotFunded", funded=0):
        bx.bond.claim(bx.alice)
    bx.fund(0)
    before = bx.hkd(bx.alice)
    bx.bond.claim(bx.alice)
    assert bx.hkd(bx.alice) - before == 100 * CPT


def test_a_mint_after_a_record_is_not_paid_that_coupon(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    bx.bond.mint(bx.m.issuer, bx.carol.address, Decimal(40))
    assert bx.bond.outstanding_at_record(0) == 150
    assert bx.bond.outstanding_at_record(1) == 190  # the mint came after coupon 0's record
    assert bx.fund(0) == 150 * CPT
    assert bx.bond.claimable(bx.carol.address) == 0
    at(bx.chain, bx.dates[1])
    assert bx.fund(1) == 190 * CPT
    assert bx.bond.claimable(bx.carol.address) == Decimal(40) * Decimal("22.5")


def test_exits_to_and_from_the_treasury_move_the_outstanding_supply(bx: Bx) -> None:
    bx.bond.transfer(bx.alice, bx.m.treasury.address, Decimal(20))
    bx.bond.transfer(bx.m.treasury, bx.carol.address, Decimal(5))
    at(bx.chain, bx.dates[0])
    assert bx.fund(0) == 135 * CPT
    assert bx.bond.claimable(bx.alice.address) == Decimal(80) * Decimal("22.5")
    assert bx.bond.claimable(bx.carol.address) == Decimal(5) * Decimal("22.5")
    with reverts("NothingToClaim", holder=bx.m.treasury.address):
        bx.bond.claim(bx.m.treasury)


# --------------------------------------------------------------------------------------------- funding


def test_early_funding_is_refused_with_the_record_time_and_nothing_moves(bx: Bx) -> None:
    bx.m.hkd.raw.approve(bx.funder, bx.agent, 10**12)
    with unchanged(bx.chain, bx.funder, watch=bx.money), reverts("CouponNotRecorded", index=0, recordTime=bx.dates[0]):
        bx.bond.fund_coupon(bx.funder, 0)


def test_double_and_out_of_order_funding_are_refused(bx: Bx) -> None:
    at(bx.chain, bx.dates[1])
    bx.m.hkd.raw.approve(bx.funder, bx.agent, 10**12)
    with unchanged(bx.chain, bx.funder, watch=bx.money), reverts("CouponOutOfOrder", index=1, expected=0):
        bx.bond.fund_coupon(bx.funder, 1)
    receipt = bx.bond.fund_coupon(bx.funder, 0)
    assert event_args(bx.bond.paying_agent, receipt, "CouponDeposited") == [
        {"index": 0, "funder": bx.funder.address, "amount": 150 * CPT}
    ]
    with unchanged(bx.chain, bx.funder, watch=bx.money), reverts("CouponAlreadyFunded", index=0):
        bx.bond.fund_coupon(bx.funder, 0)
    with reverts("UnknownCoupon", index=4):
        bx.bond.paying_agent.raw.coupon_funding(4)


def test_short_funding_is_refused_naming_what_is_needed_and_available(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    needed = 150 * CPT
    bx.m.hkd.raw.approve(bx.funder, bx.agent, needed - 1)  # short allowance
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("InsufficientFunding", funder=bx.funder.address, needed=needed, available=needed - 1),
    ):
        bx.bond.fund_coupon(bx.funder, 0)
    poor = bx.m.hkd.raw_balance_of(bx.funder.address)
    bx.m.hkd.raw.transfer(bx.funder, bx.m.admin.address, poor - 7)  # short balance
    bx.m.hkd.raw.approve(bx.funder, bx.agent, needed)
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("InsufficientFunding", funder=bx.funder.address, needed=needed, available=7),
    ):
        bx.bond.fund_coupon(bx.funder, 0)


# --------------------------------------------------------------------------------------------- many holders


@dataclass
class Crowd:
    holders: list[LocalAccount]
    units: list[int]

    @property
    def owed(self) -> list[int]:
        return [u * CPT // UNIT for u in self.units]


@pytest.fixture
def crowd(bx: Bx) -> Crowd:
    """104 more holders with uneven balances (thirds of a token: every entitlement is floored); per test, so no
    other test sees them."""
    holders = bx.m.onboard(*(f"BOND-H{n:03d}" for n in range(104)), hkd=1)
    for start in range(0, 104, 26):
        bx.bond.batch_mint(
            bx.m.issuer,
            [(h.address, (Decimal(start + n + 1) / 3).quantize(Decimal(10) ** -18)) for n, h in
             enumerate(holders[start : start + 26])],
        )  # fmt: skip
    return Crowd(holders, [bx.bond.raw_balance_of(h.address) for h in holders])


def test_over_a_hundred_holders_are_paid_by_claim_each_to_the_wei(bx: Bx, crowd: Crowd) -> None:
    at(bx.chain, bx.dates[0])
    funded = bx.fund(0)
    assert funded == (150 * UNIT + sum(crowd.units)) * CPT // UNIT
    gas = set()
    for holder, expected in zip(crowd.holders, crowd.owed, strict=True):
        before = bx.hkd(holder)
        gas.add(bx.bond.claim(holder)["gasUsed"])
        assert bx.hkd(holder) - before == expected
    assert len(gas) == 1  # every claim costs the same, whoever makes it
    bx.bond.claim(bx.alice)
    bx.bond.claim(bx.bob)
    assert bx.hkd(bx.agent) == funded - sum(crowd.owed) - 150 * CPT  # what flooring left: under one unit a holder
    assert 0 <= bx.hkd(bx.agent) < len(crowd.holders)


def test_over_a_hundred_holders_are_paid_by_one_push_skipping_who_cannot_be_paid(bx: Bx, crowd: Crowd) -> None:
    at(bx.chain, bx.dates[0])
    bx.fund(0)
    frozen, paid_before, moved = crowd.holders[60], crowd.holders[0], crowd.holders[1]
    bx.bond.claim(paid_before)
    bx.bond.set_address_frozen(bx.m.agent, frozen.address, True)
    at(bx.chain, bx.dates[1])
    bx.bond.transfer(moved, bx.alice.address, Decimal("0.1"))  # its accrual now holds coupon 1, not yet funded
    push = [h.address for h in crowd.holders]
    before = [bx.hkd(h) for h in push]
    receipt = bx.bond.pay_coupons(bx.payer, push)
    paid = [bx.hkd(h) - b for h, b in zip(push, before, strict=True)]
    skipped_holders = {frozen.address, paid_before.address, moved.address}
    assert paid == [0 if h in skipped_holders else o for h, o in zip(push, crowd.owed, strict=True)]
    assert event_args(bx.bond.paying_agent, receipt, "CouponPaymentSkipped") == [
        {"holder": paid_before.address,
         "reason": selector("NothingToClaim(address)") + encode(["address"], [paid_before.address])},
        {"holder": moved.address, "reason": selector("CouponNotFunded(uint256)") + encode(["uint256"], [1])},
        {"holder": frozen.address, "reason": selector("HolderFrozen(address)") + encode(["address"], [frozen.address])},
    ]  # fmt: skip
    assert len(event_args(bx.bond.paying_agent, receipt, "CouponsPaid")) == 101
    assert bx.bond.paying_agent.raw.pay_coupons(bx.payer, push[2:5])  # a second push pays nothing twice
    assert [bx.hkd(h) for h in push[2:5]] == [b + p for b, p in zip(before[2:5], paid[2:5], strict=True)]


def test_a_push_skips_a_holder_the_stablecoin_blocks_who_stays_owed_and_is_paid_once_unblocked(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    bx.fund(0)
    owed = [bx.bond.paying_agent.raw.claimable(h.address) for h in (bx.alice, bx.bob)]
    assert all(owed)
    bx.m.hkd.block(bx.m.admin, bx.alice.address)
    before = (bx.hkd(bx.alice), bx.hkd(bx.bob), bx.hkd(bx.agent))
    receipt = bx.bond.pay_coupons(bx.payer, [bx.alice.address, bx.bob.address])
    assert event_args(bx.bond.paying_agent, receipt, "CouponPaymentSkipped") == [
        {"holder": bx.alice.address,
         "reason": selector("AccountIsBlocked(address)") + encode(["address"], [bx.alice.address])},
    ]  # fmt: skip
    assert event_args(bx.bond.paying_agent, receipt, "CouponsPaid") == [{"holder": bx.bob.address, "amount": owed[1]}]
    assert (bx.hkd(bx.alice), bx.hkd(bx.bob), bx.hkd(bx.agent)) == (
        before[0], before[1] + owed[1], before[2] - owed[1]
    )  # fmt: skip
    assert bx.bond.paying_agent.raw.claimable(bx.alice.address) == owed[0]  # the collection was rolled back
    bx.m.hkd.unblock(bx.m.admin, bx.alice.address)
    receipt = bx.bond.pay_coupons(bx.payer, [bx.alice.address, bx.bob.address])
    assert event_args(bx.bond.paying_agent, receipt, "CouponsPaid") == [{"holder": bx.alice.address, "amount": owed[0]}]
    assert bx.hkd(bx.alice) == before[0] + owed[0]


def test_pay_holder_is_a_step_of_pay_coupons_only(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    bx.fund(0)
    agent = bx.bond.paying_agent
    for caller in (bx.payer, bx.alice, bx.m.admin):  # not the payer, not the holder itself, not the admin
        with unchanged(bx.chain, caller, watch=bx.money), reverts("OnlySelf", caller=caller.address):
            agent.raw.pay_holder(caller, bx.alice.address, 1)


def _bond_paying_in(bx: Bx, cold_reads: int) -> tuple[BondToken, Callable[[str], int]]:
    """A bond like ``bx.bond`` (alice 100, bob 50) whose coupons are paid in a HeavyPaymentToken making
    ``cold_reads`` cold reads a transfer (a stablecoin with heavy hooks, or behind a proxy), coupon 0 recorded and
    funded; returns it and a balance reader of its payment token."""
    m = bx.m
    heavy = deploy_contract(m.chain, m.admin, "HeavyPaymentToken", 10**15, cold_reads)
    terms = bx.terms.model_copy(update={"payment_token": heavy.address})
    bond = BondToken.deploy(
        m.chain, m.admin, name="HK Heavy-Coupon Bond", symbol="HKHB", decimals=18, registry=m.registry,
        treasury=m.treasury.address, roles=m.roles, admin_module=m.admin_module, terms=terms,
        bond_roles=BondRoles(funders=[m.admin.address], payers=[bx.payer.address]),
    )  # fmt: skip
    bond.mint(m.issuer, bx.alice.address, Decimal(100))
    bond.mint(m.issuer, bx.bob.address, Decimal(50))
    at(bx.chain, bx.dates[0])
    amount = bond.paying_agent.raw.coupon_funding(0)
    m.chain.sender.send(
        m.admin, heavy.address, HexStr(Calldata(heavy.abi, "approve")(bond.paying_agent.address, amount))
    )
    bond.fund_coupon(m.admin, 0)
    return bond, lambda who: int(heavy.functions.balanceOf(who).call())


@pytest.mark.parametrize(
    ("cold_reads", "step"), [(0, 500), (25, 1000), (40, 1000)], ids=["hkd", "heavy-25-reads", "heavy-40-reads"]
)
def test_a_push_sent_with_too_little_gas_reverts_whole_and_never_skips_for_want_of_gas(
    bx: Bx, cold_reads: int, step: int
) -> None:
    """Every gas limit below the estimate, in steps of 500 (1,000 for the heavy tokens): the push either pays both
    holders or reverts with PaymentOutOfGas (or out of gas) and moves nothing; a step starved of gas never turns into a
    CouponPaymentSkipped. With the HKD stablecoin (a ~39,000-gas step) and with payment tokens whose transfer costs
    ~55,000 and ~86,000 gas more, where a step's gas handed back on running out (EIP-150's reserves) would otherwise
    be enough to emit the skip, and anvil's estimate would be a limit that skips the last holder."""
    if cold_reads:
        bond, balance = _bond_paying_in(bx, cold_reads)
    else:
        at(bx.chain, bx.dates[0])
        bx.fund(0)
        bond, balance = bx.bond, bx.hkd
    agent, chain = bond.paying_agent, bx.chain
    holders = [bx.alice.address, bx.bob.address]
    data = HexStr(Calldata(agent.artifact.abi, "payCoupons")(holders))
    estimate = chain.sender.simulate(bx.payer, agent.address, data)
    owed = [agent.raw.claimable(h) for h in holders]
    assert all(owed)
    outcomes = set()
    for gas in range(estimate, 60_000, -step):
        snapshot = chain.snapshot()
        before = [balance(h) for h in [*holders, agent.address]]
        try:
            receipt = chain.sender.send(bx.payer, agent.address, data, gas=gas)
        except TransactionReverted as exc:
            assert exc.error in ("PaymentOutOfGas", "OutOfGas"), exc  # OutOfGas: outside any step
            assert [balance(h) for h in [*holders, agent.address]] == before  # nothing moved
            assert [agent.raw.claimable(h) for h in holders] == owed
            outcomes.add(exc.error)
        else:
            assert event_args(agent, receipt, "CouponPaymentSkipped") == [], gas
            assert [balance(h) for h in holders] == [b + o for b, o in zip(before[:2], owed, strict=True)]
            outcomes.add("paid")
        finally:
            chain.revert(snapshot)
    assert {"paid", "PaymentOutOfGas"} <= outcomes, outcomes


# --------------------------------------------------------------------------------------- freezes, forced, recovery


def test_a_frozen_holders_coupons_accrue_but_wait_for_the_freeze_to_lift(bx: Bx) -> None:
    bx.bond.set_address_frozen(bx.m.agent, bx.alice.address, True)
    at(bx.chain, bx.dates[0])
    bx.fund(0)
    assert bx.bond.claimable(bx.alice.address) == 0
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("HolderFrozen", holder=bx.alice.address):
        bx.bond.claim(bx.alice)
    bx.bond.set_address_frozen(bx.m.agent, bx.alice.address, False)
    before = bx.hkd(bx.alice)
    bx.bond.claim(bx.alice)
    assert bx.hkd(bx.alice) - before == 100 * CPT


def test_a_forced_transfer_moves_the_tokens_but_the_coupon_stays_with_the_holder_of_record(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    bx.bond.forced_transfer(bx.m.agent, bx.alice.address, bx.carol.address, Decimal(100))
    bx.fund(0)
    assert bx.bond.claimable(bx.alice.address) == Decimal(2250)
    assert bx.bond.claimable(bx.carol.address) == 0
    at(bx.chain, bx.dates[1])
    bx.fund(1)
    assert bx.bond.claimable(bx.alice.address) == Decimal(2250)
    assert bx.bond.claimable(bx.carol.address) == Decimal(2250)


def test_recovery_moves_the_owed_coupons_with_the_balance(bx: Bx) -> None:
    m = bx.m
    lost = bx.alice
    new = extra_account("bond-alice-new")
    fund(bx.chain, new)
    m.registry.add_wallet(m.admin, "BOND-ALICE", new.address)
    at(bx.chain, bx.dates[0])
    bx.fund(0)
    bx.bond.recover(m.agent, lost.address, new.address, "BOND-ALICE")
    assert bx.bond.raw_balance_of(new.address) == 100 * UNIT
    assert bx.bond.claimable(lost.address) == 0
    assert bx.bond.claimable(new.address) == Decimal(2250)
    before = bx.hkd(new)
    bx.bond.claim(new)
    assert bx.hkd(new) - before == 100 * CPT


# --------------------------------------------------------------------------------------------- maturity and redemption


def _stopped(bx: Bx, code: int) -> None:
    """Transfers and mints refused with ``code`` via transfer, canTransfer and detectTransferRestriction alike."""
    bond, alice, bob = bx.bond, bx.alice, bx.bob
    assert bond.raw.detect_transfer_restriction(alice.address, bob.address, UNIT) == code
    assert bond.raw.can_transfer(alice.address, bob.address, UNIT) is False
    assert bond.check_transfer(alice.address, bob.address, Decimal(1)).reason == ASSET_MESSAGES[code]
    with unchanged(bx.chain, alice, watch=bx.money), restricted(code, alice.address, bob.address, UNIT):
        bond.transfer(alice, bob.address, Decimal(1))
    with unchanged(bx.chain, alice, watch=bx.money), restricted(code, alice.address, bx.m.treasury.address, UNIT):
        bond.transfer(alice, bx.m.treasury.address, Decimal(1))
    with unchanged(bx.chain, bx.m.issuer, watch=bx.money), restricted(code, ZERO, bob.address, UNIT):
        bond.mint(bx.m.issuer, bob.address, Decimal(1))
    assert bond.raw.detect_transfer_restriction(ZERO, bob.address, UNIT) == code


def test_the_whole_life_issue_coupons_maturity_redemption(bx: Bx) -> None:
    bond = bx.bond
    for k, date in enumerate(bx.dates[:-1]):
        at(bx.chain, date)
        bx.fund(k)
    bond.claim(bx.bob)  # bob claims three coupons; alice leaves hers for redemption
    at(bx.chain, bx.maturity - 30)
    with reverts("BondNotRedeemable", redeemableAt=bx.maturity):
        bond.fund_principal(bx.funder)
    bx.chain.set_next_block_timestamp(bx.maturity - 1)  # the transaction's own block, whatever the node's clock
    bond.transfer(bx.alice, bx.bob.address, Decimal(0))  # the last second before maturity still trades
    at(bx.chain, bx.maturity)
    _stopped(bx, BondRestriction.MATURED)
    bx.fund(3)
    principal = 150 * DENOMINATION
    bx.m.hkd.raw.approve(bx.funder, bx.agent, principal)
    receipt = bond.fund_principal(bx.funder)
    assert event_args(bond.paying_agent, receipt, "PrincipalDeposited") == [
        {"funder": bx.funder.address, "amount": principal}
    ]
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("NoPrincipalShortfall", needed=principal, reserve=principal),
    ):
        bond.fund_principal(bx.funder)  # nothing short: a second deposit is refused
    before = bx.hkd(bx.alice)
    receipt = bond.redeem(bx.alice)
    assert bx.hkd(bx.alice) - before == 100 * DENOMINATION + 4 * 100 * CPT  # principal + four coupons, one transfer
    assert event_args(bond.paying_agent, receipt, "Redeemed") == [
        {"holder": bx.alice.address, "tokens": 100 * UNIT, "principal": 100 * DENOMINATION, "coupons": 4 * 100 * CPT}
    ]
    assert bond.raw_balance_of(bx.alice.address) == 0
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("NothingToRedeem", holder=bx.alice.address):
        bond.redeem(bx.alice)
    before = bx.hkd(bx.bob)
    bond.redeem_for(bx.payer, [bx.bob.address])
    assert bx.hkd(bx.bob) - before == 50 * DENOMINATION + 50 * CPT  # only the last coupon was unclaimed
    with reverts("NothingToRedeem", holder=bx.m.treasury.address):
        bond.redeem_for(bx.payer, [bx.m.treasury.address])
    bond.burn(bx.m.issuer, bx.m.treasury.address, Decimal(1000))  # the issuer cancels its own bonds
    assert bond.raw.total_supply() == 0
    assert bond.paying_agent.raw.principal_reserve() == 0
    assert bx.hkd(bx.agent) == 0  # every unit deposited was paid out


def test_redemption_needs_the_principal_and_every_coupon_funded(bx: Bx) -> None:
    at(bx.chain, bx.maturity)
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("PrincipalNotFunded"):
        bx.bond.redeem(bx.alice)
    bx.m.hkd.raw.approve(bx.funder, bx.agent, 150 * DENOMINATION)
    bx.bond.fund_principal(bx.funder)
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("CouponNotFunded", funded=0):
        bx.bond.redeem(bx.alice)
    bx.bond.set_address_frozen(bx.m.agent, bx.bob.address, True)
    for k in range(4):
        bx.fund(k)
    with unchanged(bx.chain, bx.payer, watch=bx.money), reverts("HolderFrozen", holder=bx.bob.address):
        bx.bond.redeem_for(bx.payer, [bx.alice.address, bx.bob.address])  # all or nothing
    # Burns, forced transfers and recovery stay available after maturity.
    bx.bond.forced_transfer(bx.m.agent, bx.bob.address, bx.alice.address, Decimal(1))
    bx.bond.burn(bx.m.issuer, bx.bob.address, Decimal(1))


def _fund_principal(bx: Bx) -> int:
    """Fund what the principal reserve is short of (approving exactly that first); returns the amount."""
    agent = bx.bond.paying_agent.raw
    amount = (
        agent.principal_needed() - agent.principal_reserve() if agent.principal_funded() else agent.principal_needed()
    )
    bx.m.hkd.raw.approve(bx.funder, bx.agent, amount)
    receipt = bx.bond.fund_principal(bx.funder)
    assert event_args(bx.bond.paying_agent, receipt, "PrincipalDeposited") == [
        {"funder": bx.funder.address, "amount": amount}
    ]
    return amount


def _matured_and_funded(bx: Bx) -> None:
    at(bx.chain, bx.maturity)
    for k in range(4):
        bx.fund(k)
    assert _fund_principal(bx) == 150 * DENOMINATION


def test_supply_out_of_the_treasury_after_funding_is_topped_up_by_exactly_the_shortfall(bx: Bx) -> None:
    """The reviewer's sequence: the last holder was refused for good; the funder now funds exactly what is short."""
    _matured_and_funded(bx)
    agent = bx.bond.paying_agent.raw
    bx.bond.raw.forced_transfer(bx.m.agent, bx.m.treasury.address, bx.carol.address, 10 * UNIT)
    assert agent.principal_needed() == 160 * DENOMINATION
    bx.bond.redeem(bx.carol)
    bx.bond.redeem(bx.alice)
    with (
        unchanged(bx.chain, bx.bob, watch=bx.money),
        reverts("InsufficientPrincipal", needed=50 * DENOMINATION, available=40 * DENOMINATION),
    ):
        bx.bond.redeem(bx.bob)
    assert _fund_principal(bx) == 10 * DENOMINATION  # exactly the shortfall, not a second principal
    assert agent.principal_reserve() == agent.principal_needed() == 50 * DENOMINATION
    before = bx.hkd(bx.bob)
    bx.bond.redeem(bx.bob)
    assert bx.hkd(bx.bob) - before == 50 * DENOMINATION + 4 * 50 * CPT
    assert agent.principal_reserve() == 0
    with unchanged(bx.chain, bx.funder, watch=bx.money), reverts("NoPrincipalShortfall", needed=0, reserve=0):
        bx.bond.fund_principal(bx.funder)


def test_a_top_up_after_the_treasury_balance_was_forced_out_lets_every_holder_redeem(bx: Bx) -> None:
    _matured_and_funded(bx)
    agent = bx.bond.paying_agent.raw
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("NoPrincipalShortfall", needed=150 * DENOMINATION, reserve=150 * DENOMINATION),
    ):
        bx.bond.fund_principal(bx.funder)
    bx.bond.raw.forced_transfer(bx.m.agent, bx.m.treasury.address, bx.carol.address, 1000 * UNIT)
    assert _fund_principal(bx) == 1000 * DENOMINATION
    bx.bond.redeem_for(bx.payer, [bx.alice.address, bx.bob.address, bx.carol.address])
    assert agent.principal_reserve() == 0
    assert bx.bond.raw.total_supply() == 0


def test_a_sweep_after_supply_went_into_the_treasury_returns_exactly_the_surplus(bx: Bx) -> None:
    _matured_and_funded(bx)
    agent = bx.bond.paying_agent.raw
    bx.bond.raw.forced_transfer(bx.m.agent, bx.alice.address, bx.m.treasury.address, 10 * UNIT)
    assert agent.principal_needed() == 140 * DENOMINATION
    before = bx.hkd(bx.funder)
    receipt = bx.bond.sweep_principal(bx.funder)
    assert event_args(bx.bond.paying_agent, receipt, "PrincipalSwept") == [
        {"funder": bx.funder.address, "amount": 10 * DENOMINATION}
    ]
    assert bx.hkd(bx.funder) - before == 10 * DENOMINATION
    assert agent.principal_reserve() == agent.principal_needed() == 140 * DENOMINATION
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("NoPrincipalSurplus", needed=140 * DENOMINATION, reserve=140 * DENOMINATION),
    ):
        bx.bond.sweep_principal(bx.funder)  # what the remaining holders are owed stays
    before_alice, before_bob = bx.hkd(bx.alice), bx.hkd(bx.bob)
    bx.bond.redeem_for(bx.payer, [bx.alice.address, bx.bob.address])
    assert bx.hkd(bx.alice) - before_alice == 90 * DENOMINATION + 4 * 100 * CPT  # the coupons stay with alice
    assert bx.hkd(bx.bob) - before_bob == 50 * DENOMINATION + 4 * 50 * CPT
    assert agent.principal_reserve() == 0
    assert bx.hkd(bx.agent) == 0


def test_a_sweep_never_takes_what_holders_are_owed_only_the_rounding_dust(bx: Bx) -> None:
    agent = bx.bond.paying_agent.raw
    bx.bond.raw.transfer(bx.alice, bx.bob.address, 1)  # alice 100 - 1 wei, bob 50 + 1 wei: one unit of dust
    at(bx.chain, bx.maturity)
    with unchanged(bx.chain, bx.funder, watch=bx.money), reverts("PrincipalNotFunded"):
        bx.bond.sweep_principal(bx.funder)
    for k in range(4):
        bx.fund(k)
    assert _fund_principal(bx) == 150 * DENOMINATION
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("NoPrincipalSurplus", needed=150 * DENOMINATION, reserve=150 * DENOMINATION),
    ):
        bx.bond.sweep_principal(bx.funder)
    bx.bond.redeem(bx.alice)
    # alice was paid floor(99.999...999 x 1,000 HKD) = 99,999.999999 HKD: one unit above bob's 50,000 is dust.
    assert agent.principal_reserve() == 50 * DENOMINATION + 1
    assert agent.principal_needed() == 50 * DENOMINATION
    before = bx.hkd(bx.funder)
    receipt = bx.bond.sweep_principal(bx.funder)
    assert event_args(bx.bond.paying_agent, receipt, "PrincipalSwept") == [{"funder": bx.funder.address, "amount": 1}]
    assert bx.hkd(bx.funder) - before == 1
    with (
        unchanged(bx.chain, bx.funder, watch=bx.money),
        reverts("NoPrincipalSurplus", needed=50 * DENOMINATION, reserve=50 * DENOMINATION),
    ):
        bx.bond.sweep_principal(bx.funder)  # bob's bonds still need every unit left
    before = bx.hkd(bx.bob)
    bx.bond.redeem(bx.bob)
    assert bx.hkd(bx.bob) - before == 50 * DENOMINATION + 4 * 50 * CPT
    assert agent.principal_reserve() == 0


def test_the_whole_life_issue_call_redemption(bx: Bx) -> None:
    bond = bx.bond
    now = bx.chain.timestamp()
    with (
        unchanged(bx.chain, bx.caller),
        reverts("InvalidCallDate", callDate=now + NOTICE - 1, maturityDate=bx.maturity),
    ):
        bond.raw.call_bond(bx.caller, now + NOTICE - 1, 990 * HKD)
    call_date = bx.dates[1] + DAY  # after coupon 1, before coupon 2
    receipt = bond.call(bx.caller, datetime.fromtimestamp(call_date, tz=UTC), Decimal(1010))
    assert event_args(bond, receipt, "BondCalled") == [{"callDate": call_date, "callPrice": 1010 * HKD}]
    assert bond.call_terms() is not None and bond.call_terms().price == Decimal(1010)  # type: ignore[union-attr]
    with reverts("BondAlreadyCalled", callDate=call_date):
        bond.raw.call_bond(bx.caller, call_date + DAY, 1 * HKD)
    at(bx.chain, bx.dates[0])
    bond.transfer(bx.alice, bx.bob.address, Decimal(10))  # still trading before the call date
    bx.fund(0)
    at(bx.chain, call_date)
    _stopped(bx, BondRestriction.CALLED)
    bx.fund(1)
    at(bx.chain, bx.dates[2])
    assert bond.recorded_coupons() == 2  # coupons dated after the call date never record
    with reverts("CouponCancelledByCall", index=2):
        bond.paying_agent.raw.coupon_funding(2)
    principal = 150 * 1010 * HKD
    bx.m.hkd.raw.approve(bx.funder, bx.agent, principal)
    bond.fund_principal(bx.funder)
    before = bx.hkd(bx.alice)
    bond.redeem(bx.alice)
    assert bx.hkd(bx.alice) - before == 90 * 1010 * HKD + 100 * CPT + 90 * CPT
    bond.redeem_for(bx.payer, [bx.bob.address])
    assert bond.paying_agent.raw.principal_reserve() == 0


def test_a_mint_beyond_the_supply_bound_is_refused_with_code_66(bx: Bx) -> None:
    bound = bx.terms.max_supply_units(18)
    room = bound - bx.bond.raw.total_supply()
    assert bx.bond.raw.detect_transfer_restriction(ZERO, bx.m.treasury.address, room + 1) == 66
    with unchanged(bx.chain, bx.m.issuer, watch=bx.money), restricted(66, ZERO, bx.m.treasury.address, room + 1):
        bx.bond.raw.mint(bx.m.issuer, bx.m.treasury.address, room + 1)
    bx.bond.raw.mint(bx.m.issuer, bx.m.treasury.address, room)
    assert bx.bond.raw.total_supply() == bound


# --------------------------------------------------------------------------------------------- treasury change


def test_a_treasury_change_after_a_record_keeps_every_coupon_exact(bx: Bx) -> None:
    """The reviewer's sequence (alice 100, bob 50, treasury 1,000; coupon 0 funded; the treasury moves to carol, who
    holds 10 bonds): the old treasury is owed nothing for coupon 0, carol keeps hers, and later coupons are funded for
    the new outstanding supply, so what is claimable always equals what the agent holds."""
    bond, agent, old = bx.bond, bx.bond.paying_agent.raw, bx.m.treasury
    bond.mint(bx.m.issuer, bx.carol.address, Decimal(10))
    at(bx.chain, bx.dates[0])
    assert bx.fund(0) == 160 * CPT  # 3,600 HKD
    receipt = bond.set_treasury(bx.m.admin, bx.carol.address)
    assert event_args(bond, receipt, "TreasuryChanged") == [
        {"previousTreasury": old.address, "newTreasury": bx.carol.address}
    ]
    wallets = (bx.alice.address, bx.bob.address, bx.carol.address, old.address)
    assert [agent.claimable(w) for w in wallets] == [100 * CPT, 50 * CPT, 10 * CPT, 0]
    assert sum(agent.claimable(w) for w in wallets) == bx.hkd(bx.agent)
    assert bond.raw.outstanding_at_record(1) == 1150 * UNIT  # the old treasury's bonds are outstanding now
    at(bx.chain, bx.dates[1])
    assert bx.fund(1) == 1150 * CPT
    assert [agent.claimable(w) for w in wallets] == [200 * CPT, 100 * CPT, 10 * CPT, 1000 * CPT]
    assert sum(agent.claimable(w) for w in wallets) == bx.hkd(bx.agent)
    for holder in (bx.alice, bx.bob, bx.carol, old):
        bond.claim(holder)
    assert bx.hkd(bx.agent) == 0


def test_a_treasury_change_between_empty_wallets_keeps_coupons_exact(bx: Bx) -> None:
    bond, agent = bx.bond, bx.bond.paying_agent.raw
    bond.burn(bx.m.issuer, bx.m.treasury.address, Decimal(1000))
    at(bx.chain, bx.dates[0])
    bond.set_treasury(bx.m.admin, bx.carol.address)
    assert bond.raw.treasury() == bx.carol.address
    assert bx.fund(0) == 150 * CPT
    bond.mint(bx.m.issuer, bx.carol.address, Decimal(40))  # the new treasury's bonds are not outstanding
    at(bx.chain, bx.dates[1])
    assert bx.fund(1) == 150 * CPT
    assert [agent.claimable(w) for w in (bx.alice.address, bx.bob.address, bx.carol.address)] == [
        200 * CPT,
        100 * CPT,
        0,
    ]
    assert agent.claimable(bx.m.treasury.address) == 0


def test_only_the_admin_changes_the_treasury_and_a_refusal_changes_nothing(bx: Bx) -> None:
    bond = bx.bond
    at(bx.chain, bx.dates[0])

    def state() -> tuple[Any, ...]:
        return (bx.money(), bond.raw.treasury(), bond.raw.outstanding_at_record(1))

    for signer in (bx.m.issuer, bx.alice, bx.funder):
        with (
            unchanged(bx.chain, signer, watch=state),
            reverts(
                "AccessControlUnauthorizedAccount", account=signer.address, neededRole=role_id("DEFAULT_ADMIN_ROLE")
            ) as refusal,
        ):
            bond.set_treasury(signer, bx.carol.address)  # the wrapper from SecurityToken decodes the module's error
        assert isinstance(refusal.value, MissingRole)
    with unchanged(bx.chain, bx.m.admin, watch=state), reverts("ZeroAddress"):
        bond.raw.set_treasury(bx.m.admin, ZERO)


# --------------------------------------------------------------------------------------------- roles


def _role_cases(bx: Bx) -> dict[str, tuple[str, Callable[[LocalAccount], Any]]]:
    agent = bx.bond.paying_agent
    return {
        "callBond": ("CALLER_ROLE", lambda s: bx.bond.raw.call_bond(s, bx.dates[2], 1000 * HKD)),
        "fundCoupon": ("FUNDER_ROLE", lambda s: agent.raw.fund_coupon(s, 0)),
        "fundPrincipal": ("FUNDER_ROLE", lambda s: agent.raw.fund_principal(s)),
        "sweepPrincipal": ("FUNDER_ROLE", lambda s: agent.raw.sweep_principal(s)),
        "payCoupons": ("PAYER_ROLE", lambda s: agent.raw.pay_coupons(s, [bx.alice.address])),
        "redeemFor": ("PAYER_ROLE", lambda s: agent.raw.redeem_for(s, [bx.alice.address])),
    }


@pytest.mark.parametrize(
    "function", ["callBond", "fundCoupon", "fundPrincipal", "sweepPrincipal", "payCoupons", "redeemFor"]
)
def test_every_bond_duty_is_refused_to_accounts_without_its_role(bx: Bx, function: str) -> None:
    role, call = _role_cases(bx)[function]
    for signer in (bx.m.issuer, bx.alice, bx.m.admin):
        with (
            unchanged(bx.chain, signer, watch=bx.money),
            reverts("AccessControlUnauthorizedAccount", account=signer.address, neededRole=role_id(role)) as refusal,
        ):
            call(signer)
        assert isinstance(refusal.value, MissingRole)


def test_only_the_paying_agent_collects_accruals(bx: Bx) -> None:
    at(bx.chain, bx.dates[0])
    for signer in (bx.m.admin, bx.payer, bx.alice):
        with unchanged(bx.chain, signer, watch=bx.money), reverts("NotPayingAgent", caller=signer.address):
            bx.bond.raw.collect_coupons(signer, bx.alice.address, 1, False)


def test_the_duties_went_to_the_accounts_named_at_deployment(bx: Bx) -> None:
    agent = bx.bond.paying_agent
    assert bx.bond.has_role("CALLER_ROLE", bx.caller.address) and not bx.bond.has_role(
        "CALLER_ROLE", bx.m.admin.address
    )
    assert agent.has_role("FUNDER_ROLE", bx.funder.address) and not agent.has_role("FUNDER_ROLE", bx.m.admin.address)
    assert agent.has_role("PAYER_ROLE", bx.payer.address) and not agent.has_role("PAYER_ROLE", bx.m.admin.address)
    assert agent.has_role("DEFAULT_ADMIN_ROLE", bx.m.admin.address)
    assert bx.bond.has_role("ISSUER_ROLE", bx.m.issuer.address)


def test_deploy_refuses_a_payment_token_with_other_decimals_and_sends_nothing(bx: Bx) -> None:
    wrong = bx.terms.model_copy(update={"payment_decimals": 18})
    with nothing_sent(bx.chain, bx.m.admin), pytest.raises(SpecError, match="payment_decimals: 18 but the payment"):
        BondToken.deploy(
            bx.chain, bx.m.admin, name="X", symbol="X", decimals=18, registry=bx.m.registry,
            admin_module=bx.m.admin_module, terms=wrong,
        )  # fmt: skip


def test_call_validates_in_python_before_sending_naming_the_field(bx: Bx) -> None:
    now = bx.chain.timestamp()
    bad = [
        (datetime.fromtimestamp(now + NOTICE - 5, tz=UTC), Decimal(1000), "call_date"),  # short notice
        (datetime.fromtimestamp(bx.maturity, tz=UTC), Decimal(1000), "call_date"),  # not before maturity
        (datetime(2026, 12, 1), Decimal(1000), "call_date"),  # naive
        (datetime.fromtimestamp(now + 2 * NOTICE, tz=UTC), Decimal(0), "price"),
        (datetime.fromtimestamp(now + 2 * NOTICE, tz=UTC), Decimal("1000.0000001"), "price"),
    ]
    for when, price, field in bad:
        with nothing_sent(bx.chain, bx.caller), pytest.raises(SpecError, match=field):
            bx.bond.call(bx.caller, when, price)
    assert bx.bond.call_terms() is None
    with pytest.raises(SpecError, match="coupon index"):
        bx.bond.fund_coupon(bx.funder, -1)
    with pytest.raises(SpecError, match="non-empty list"):
        bx.bond.pay_coupons(bx.payer, [])


def test_redemption_pays_principal_and_coupons_in_a_single_transfer(bx: Bx) -> None:
    at(bx.chain, bx.maturity)
    for k in range(4):
        bx.fund(k)
    bx.m.hkd.raw.approve(bx.funder, bx.agent, 150 * DENOMINATION)
    bx.bond.fund_principal(bx.funder)
    receipt = bx.bond.redeem(bx.alice)
    transfers = event_args(bx.m.hkd, receipt, "Transfer")
    assert transfers == [{"from": bx.agent, "to": bx.alice.address, "value": 100 * DENOMINATION + 4 * 100 * CPT}]
    assert event_args(bx.bond, receipt, "Transfer") == [{"from": bx.alice.address, "to": ZERO, "value": 100 * UNIT}]
    assert event_args(bx.bond, receipt, "CouponsCollected") == [
        {"holder": bx.alice.address, "tokensBurned": 100 * UNIT, "coupons": 4 * 100 * CPT, "settledThrough": 4}
    ]
    assert bx.bond.paying_agent.principal_reserve() == 50 * 1000


def test_a_partly_frozen_holder_claims_coupons_but_redeems_only_once_the_freeze_is_released(bx: Bx) -> None:
    bx.bond.freeze_partial(bx.m.agent, bx.alice.address, Decimal(10))
    at(bx.chain, bx.maturity)
    for k in range(4):
        bx.fund(k)
    bx.m.hkd.raw.approve(bx.funder, bx.agent, 150 * DENOMINATION)
    bx.bond.fund_principal(bx.funder)
    before = bx.hkd(bx.alice)
    bx.bond.claim(bx.alice)  # coupons are paid: only an address freeze holds them
    assert bx.hkd(bx.alice) - before == 4 * 100 * CPT
    with unchanged(bx.chain, bx.alice, watch=bx.money), reverts("HolderFrozen", holder=bx.alice.address):
        bx.bond.redeem(bx.alice)
    bx.bond.unfreeze_partial(bx.m.agent, bx.alice.address, Decimal(10))
    bx.bond.redeem(bx.alice)
    assert bx.hkd(bx.alice) - before == 4 * 100 * CPT + 100 * DENOMINATION


def test_deploy_refuses_a_payment_token_without_code_and_sends_nothing(bx: Bx) -> None:
    nowhere = bx.terms.model_copy(update={"payment_token": "0x" + "12" * 20})
    with nothing_sent(bx.chain, bx.m.admin), pytest.raises(SpecError, match="has no contract code"):
        BondToken.deploy(
            bx.chain, bx.m.admin, name="X", symbol="X", decimals=18, registry=bx.m.registry,
            admin_module=bx.m.admin_module, terms=nowhere,
        )  # fmt: skip
