"""Stateful property test of the ETF share class's dealing through hktoken's Python API (marker ``invariants``).

A hypothesis ``RuleBasedStateMachine`` drives random sequences through ``FundAdministrator`` and ``FundToken`` on
the session anvil: subscription and redemption requests (whole creation units, one base unit off, more than the
balance), cancels (open and closed epochs), cut-offs, NAV publications (within the move bound, on it, beyond it so
that they need a confirmation, stale, not newer, valued before the cut-off), confirmations (right and wrong value),
strikes, claims and time (whole hours; every NAV is valued 30 minutes off them). ``FundModel`` is written from
docs/fund.md; a refused step must raise the predicted typed error and send nothing. Checked:

- forward pricing, from the chain's own events: every strike settles its epoch at the NAV last published for it, and
  that publication is in a later block than every request of the epoch (no request is filled at a NAV published
  before it);
- every claim to the wei: a subscription is filled with the most whole units the cash pays for, fee included, at
  ceil(unit x NAV) a unit, and cash in = shares out x unit cost + fee + refund; a redemption pays floor(unit x NAV)
  a unit less the fee; the strike pulls exactly the epoch's redemption proceeds from the cash account;
- after every step: stablecoin balances (participants, administrator, cash account, fee receiver), share balances
  and supply, the epochs (totals, NAV, as-of, struck), every request's pending and claimable views, the dealing
  state (open and closed epoch, last NAV and its as-of, cut-off, the pending NAV), and the administrator holding
  exactly the unclaimed subscription cash plus the unclaimed redemption proceeds (no dust).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from hktoken import FundAdministrator, FundRoles, FundTerms, FundToken, HKTokenError, SpecError
from hktoken.chain import Chain
from hktoken.testing import nothing_sent
from tests.assets.conftest import Market, build_market
from tests.compliance._helpers import batch_call, event_args, extra_account, fund

from ._model import ZERO, Refusal
from .conftest import assert_reached, budget
from .test_compliance_machine import check_refusal

pytestmark = pytest.mark.invariants

SHARE = 10**18  # share base units per share
HKD = 10**6
UNIT = 33 * SHARE // 100  # a creation unit of 0.33 shares: unit prices round (ceil to buy, floor to sell)
INITIAL_NAV = 10 * HKD
MAX_AGE = 86_400
BOUND_BPS = 500
SUB_FEE_BPS, RED_FEE_BPS = 10, 20
BPS = 10_000
HOUR = 3_600
APS = ["ap1", "ap2"]
AP_HKD = 1_000_000 * HKD
CASH_HKD = 1_000_000 * HKD

cash_amounts = st.one_of(st.integers(1, 400).map(lambda n: Decimal(n) / 4), st.integers(1, 200 * HKD))
# A NAV move in bps of the last struck NAV (0.5% is exactly the bound, which passes), plus a base unit to round.
nav_moves = st.sampled_from([0, 100, -200, 500, -500, 501, 800, -1200])
# When the NAV is valued: now, 30 min ago, stale (older than the maximum age), or the last struck NAV's as-of.
valuations = st.sampled_from(["now", "30 min ago", "30 min ago", "stale", "not newer"])


@dataclass
class EpochModel:
    subscription_cash: int = 0
    redemption_shares: int = 0
    nav: int = 0
    as_of: int = 0
    struck: bool = False


@dataclass
class PendingModel:
    nav: int
    as_of: int
    needs_confirmation: bool
    confirmed: bool = False


def unit_cost(nav: int) -> int:
    return -(-UNIT * nav // SHARE)


def unit_proceeds(nav: int) -> int:
    return UNIT * nav // SHARE


def subscription_fill(cash: int, nav: int) -> tuple[int, int, int, int]:
    """(shares, cost, fee, refund): the most whole units ``cash`` pays for, fee included (searched down)."""
    units = cash // unit_cost(nav)
    while units and units * unit_cost(nav) + units * unit_cost(nav) * SUB_FEE_BPS // BPS > cash:
        units -= 1
    cost = units * unit_cost(nav)
    fee = cost * SUB_FEE_BPS // BPS
    return units * UNIT, cost, fee, cash - cost - fee


def redemption_payment(shares: int, nav: int) -> tuple[int, int, int]:
    proceeds = shares // UNIT * unit_proceeds(nav)
    fee = proceeds * RED_FEE_BPS // BPS
    return proceeds, fee, proceeds - fee


@dataclass
class FundModel:
    administrator: str
    cash_account: str
    fee_receiver: str
    hkd: dict[str, int]
    shares: dict[str, int] = field(default_factory=dict)
    supply: int = 0
    open: int = 1
    closed: int = 0
    cut_off: int = 0
    last_nav: int = INITIAL_NAV
    last_as_of: int = 0
    pending: PendingModel | None = None
    epochs: dict[int, EpochModel] = field(default_factory=dict)
    requests: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # [cash, shares]
    request_blocks: dict[int, list[int]] = field(default_factory=dict)  # epoch -> blocks of its requests (events)
    published_block: dict[int, int] = field(default_factory=dict)  # epoch -> block of the NAV last published for it

    def epoch(self, number: int) -> EpochModel:
        return self.epochs.setdefault(number, EpochModel())

    def request(self, number: int, ap: str) -> list[int]:
        self.epoch(number)
        return self.requests.setdefault((number, ap), [0, 0])

    def move_cash(self, sender: str, to: str, value: int) -> None:
        self.hkd[sender] = self.hkd.get(sender, 0) - value
        self.hkd[to] = self.hkd.get(to, 0) + value

    def move_shares(self, sender: str, to: str, value: int) -> None:
        if sender == ZERO:
            self.supply += value
        else:
            self.shares[sender] = self.shares.get(sender, 0) - value
        if to == ZERO:
            self.supply -= value
        else:
            self.shares[to] = self.shares.get(to, 0) + value

    def needs_confirmation(self, nav: int) -> bool:
        return abs(nav - self.last_nav) * BPS > self.last_nav * BOUND_BPS

    def escrow(self) -> int:
        """What the administrator must hold: unclaimed subscription cash, and struck redemptions' unclaimed proceeds."""
        total = 0
        for (number, _ap), (cash, shares) in self.requests.items():
            e = self.epoch(number)
            total += cash + (redemption_payment(shares, e.nav)[0] if e.struck else 0)
        return total

    # ----------------------------------------------------------------------------------------- predictions

    def publish(self, as_of: int, now: int) -> Refusal | None:
        if as_of <= self.last_as_of:
            return Refusal("NavNotNewer", {"asOf": as_of, "lastAsOf": self.last_as_of})
        if now - as_of > MAX_AGE:
            return Refusal("NavStale", {"asOf": as_of, "maxAge": MAX_AGE})
        if as_of < self.cut_off:
            return Refusal("NavBeforeCutOff", {"asOf": as_of, "cutOff": self.cut_off})
        return None

    def strike(self, now: int) -> Refusal | None:
        if self.closed == 0 or self.pending is None:
            return Refusal("NoNavPending", {})
        if now - self.pending.as_of > MAX_AGE:
            return Refusal("NavStale", {"asOf": self.pending.as_of, "maxAge": MAX_AGE})
        if self.pending.needs_confirmation and not self.pending.confirmed:
            return Refusal("NavNotConfirmed", {"navPerShare": self.pending.nav, "lastNavPerShare": self.last_nav})
        return None

    def claim(self, number: int, ap: str, kind: int) -> Refusal | None:
        if not self.epoch(number).struck:
            return Refusal("EpochNotStruck", {"epoch": number})
        if self.request(number, ap)[kind] == 0:
            return Refusal("NoRequest", {"participant": ap, "epoch": number})
        return None

    def cancel(self, number: int, ap: str, kind: int) -> Refusal | None:
        if number != self.open:
            return Refusal("EpochNotOpen", {"epoch": number, "openEpoch": self.open})
        if self.request(number, ap)[kind] == 0:
            return Refusal("NoRequest", {"participant": ap, "epoch": number})
        return None


class FundMachine(RuleBasedStateMachine):
    market: ClassVar[Market]
    token: ClassVar[FundToken]
    adm: ClassVar[FundAdministrator]
    aps: ClassVar[dict[str, LocalAccount]]
    desk: ClassVar[LocalAccount]
    confirmer: ClassVar[LocalAccount]
    cash: ClassVar[LocalAccount]
    fees: ClassVar[str]
    snapshot: ClassVar[str | None] = None
    outcomes: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        chain, cls = self.market.chain, type(self)
        if cls.snapshot is not None:
            chain.revert(cls.snapshot)
        cls.snapshot = chain.snapshot()
        self.model = FundModel(
            administrator=self.adm.address,
            cash_account=self.cash.address,
            fee_receiver=self.fees,
            hkd={**{a.address: AP_HKD for a in self.aps.values()}, self.cash.address: CASH_HKD, self.adm.address: 0},
        )

    @initialize()
    def opening_shares(self) -> None:
        for ap in self.aps.values():  # 5 creation units each, so redemptions can start at once
            self.token.mint(self.market.issuer, ap.address, self.token.from_units(5 * UNIT))
            self.model.move_shares(ZERO, ap.address, 5 * UNIT)

    # ----------------------------------------------------------------------------------------- helpers

    @property
    def chain(self) -> Chain:
        return self.market.chain

    def now(self) -> int:
        return self.chain.timestamp()

    def cash_units(self, amount: Decimal | int) -> int:
        return amount if isinstance(amount, int) else int(amount * HKD)

    def step(self, refusal: Refusal | SpecError | None, send: Callable[[], Any], effect: Callable[[Any], None]) -> None:
        if refusal is None:
            effect(send())
            self.outcomes[f"accepted {sys._getframe(1).f_code.co_name}"] += 1
            return
        name = "SpecError" if isinstance(refusal, SpecError) else refusal.error
        self.outcomes[f"refused {name} ({sys._getframe(1).f_code.co_name})"] += 1
        watched = [*self.aps.values(), self.desk, self.confirmer, self.cash, self.market.issuer]
        with nothing_sent(self.chain, *watched):
            try:
                send()
            except HKTokenError as exc:
                if isinstance(refusal, SpecError):
                    assert type(exc) is SpecError, repr(exc)
                else:
                    check_refusal(exc, refusal)
            else:
                raise AssertionError(f"accepted a step the model refuses with {refusal!r}")

    # ----------------------------------------------------------------------------------------- participants

    @rule(ap=st.sampled_from(APS), cash=cash_amounts, cancel_at_once=st.sampled_from([False, False, True]))
    def request_subscription(self, ap: str, cash: Decimal | int, cancel_at_once: bool = False) -> None:
        """A subscription, sometimes cancelled at once (the epoch is still open: the cash comes back)."""
        m, signer = self.model, self.aps[ap]
        value = self.cash_units(cash)

        def effect(receipt: Any) -> None:
            (event,) = event_args(self.adm, receipt, "SubscriptionRequested")
            assert event == {"participant": signer.address, "epoch": m.open, "cash": value}
            m.request_blocks.setdefault(event["epoch"], []).append(receipt["blockNumber"])
            m.request(m.open, signer.address)[0] += value
            m.epoch(m.open).subscription_cash += value
            m.move_cash(signer.address, m.administrator, value)

        self.step(None, lambda: self.adm.request_subscription(signer, Decimal(value) / HKD), effect)
        if cancel_at_once:
            self.cancel(ap, False, "open")

    @rule(ap=st.sampled_from(APS), units=st.integers(1, 3), how=st.sampled_from(["whole", "whole", "odd", "over"]))
    def request_redemption(self, ap: str, units: int, how: str) -> None:
        """Whole creation units; one base unit more (not a multiple) and more than the balance are refused before
        anything is sent (SpecError)."""
        m, signer = self.model, self.aps[ap]
        balance = m.shares.get(signer.address, 0)
        value = {"whole": units * UNIT, "odd": units * UNIT + 1, "over": balance // UNIT * UNIT + UNIT}[how]
        refusal = SpecError("pre-send check") if value % UNIT or value > balance else None

        def effect(receipt: Any) -> None:
            (event,) = event_args(self.adm, receipt, "RedemptionRequested")
            assert event == {"participant": signer.address, "epoch": m.open, "shares": value}
            m.request_blocks.setdefault(event["epoch"], []).append(receipt["blockNumber"])
            m.request(m.open, signer.address)[1] += value
            m.epoch(m.open).redemption_shares += value
            m.move_shares(signer.address, m.administrator, value)

        self.step(refusal, lambda: self.adm.request_redemption(signer, self.token.from_units(value)), effect)

    @rule(ap=st.sampled_from(APS), redemption=st.booleans(), which=st.sampled_from(["open", "open", "previous"]))
    def cancel(self, ap: str, redemption: bool, which: str) -> None:
        m, signer, kind = self.model, self.aps[ap], int(redemption)
        number = m.open if which == "open" else max(m.open - 1, 1)
        refusal = m.cancel(number, signer.address, kind)

        def effect(_: Any) -> None:
            request = m.request(number, signer.address)
            if kind:
                m.epoch(number).redemption_shares -= request[1]
                m.move_shares(m.administrator, signer.address, request[1])
            else:
                m.epoch(number).subscription_cash -= request[0]
                m.move_cash(m.administrator, signer.address, request[0])
            request[kind] = 0

        def send() -> Any:
            if kind:
                return self.adm.cancel_redemption(signer, number)
            return self.adm.cancel_subscription(signer, number)

        self.step(refusal, send, effect)

    def settle(self, number: int, ap: str, kind: int) -> tuple[str, dict[str, Any]]:
        """Settle ``ap``'s struck request of ``kind`` (0 subscription, 1 redemption) in the model, as its claim or
        ``settleClaims`` does; returns the event the chain must emit for it, with its arguments."""
        m = self.model
        e, request = m.epochs[number], m.request(number, ap)
        if kind:
            redeemed = request[1]
            proceeds, fee, paid = redemption_payment(redeemed, e.nav)
            # Shares out x NAV, rounded in the fund's favour by less than one base unit a creation unit.
            units = redeemed // UNIT
            assert units and proceeds * SHARE <= redeemed * e.nav < (proceeds + units) * SHARE
            m.move_cash(m.administrator, ap, paid)
            m.move_cash(m.administrator, m.fee_receiver, fee)
            request[kind] = 0
            return "RedemptionClaimed", {"participant": ap, "epoch": number, "shares": redeemed,
                                         "proceeds": proceeds, "fee": fee, "paid": paid}  # fmt: skip
        shares, cost, fee, refund = subscription_fill(request[0], e.nav)
        # Cash in = shares out x NAV (rounded up, by less than one base unit a creation unit) + fee + refund.
        units = shares // UNIT
        assert (cost - units) * SHARE < shares * e.nav <= cost * SHARE or shares == 0
        assert request[0] == cost + fee + refund and fee == cost * SUB_FEE_BPS // BPS
        m.move_shares(ZERO, ap, shares)
        m.move_cash(m.administrator, m.cash_account, cost)
        m.move_cash(m.administrator, m.fee_receiver, fee)
        m.move_cash(m.administrator, ap, refund)
        request[kind] = 0
        return "SubscriptionClaimed", {"participant": ap, "epoch": number, "shares": shares, "cost": cost,
                                       "fee": fee, "refund": refund}  # fmt: skip

    @rule(ap=st.sampled_from(APS), redemption=st.booleans(), which=st.sampled_from(["last struck", "open"]))
    def claim(self, ap: str, redemption: bool, which: str) -> None:
        m, signer, kind = self.model, self.aps[ap], int(redemption)
        struck = [n for n, e in m.epochs.items() if e.struck]
        number = max(struck) if which == "last struck" and struck else m.open
        refusal = m.claim(number, signer.address, kind)

        def effect(receipt: Any) -> None:
            assert receipt["blockNumber"] > m.published_block[number]
            event, args = self.settle(number, signer.address, kind)
            assert event_args(self.adm, receipt, event) == [args]

        def send() -> Any:
            if kind:
                return self.adm.claim_redemption(signer, number)
            return self.adm.claim_subscription(signer, number)

        self.step(refusal, send, effect)

    @rule(names=st.lists(st.sampled_from(APS), min_size=1, max_size=3), which=st.sampled_from(["last struck", "open"]))
    def settle_claims(self, names: list[str], which: str) -> None:
        """The desk settles the APs' claims for them (``settleClaims``): each AP as its own claims would, subscription
        then redemption; one with nothing left (a repeat, or no request) skipped with ``ClaimSkipped`` code 0."""
        m = self.model
        struck = [n for n, e in m.epochs.items() if e.struck]
        number = max(struck) if which == "last struck" and struck else m.open
        refusal = None if m.epoch(number).struck else Refusal("EpochNotStruck", {"epoch": number})
        wallets = [self.aps[n].address for n in names]

        def effect(receipt: Any) -> None:
            assert receipt["blockNumber"] > m.published_block[number]
            expected: dict[str, list[dict[str, Any]]] = {"SubscriptionClaimed": [], "RedemptionClaimed": [],
                                                         "ClaimSkipped": []}  # fmt: skip
            for wallet in wallets:
                request = m.request(number, wallet)
                if not any(request):
                    expected["ClaimSkipped"].append({"participant": wallet, "epoch": number, "code": 0})
                    continue
                for kind in (0, 1):
                    if request[kind]:
                        event, args = self.settle(number, wallet, kind)
                        expected[event].append(args)
            for event, args in expected.items():
                assert event_args(self.adm, receipt, event) == args, event
            self.outcomes["settle_claims settled someone" if len(expected["ClaimSkipped"]) < len(wallets)
                          else "settle_claims skipped everyone"] += 1  # fmt: skip

        self.step(refusal, lambda: self.adm.settle_claims(self.desk, number, wallets), effect)

    # ----------------------------------------------------------------------------------------- the dealing desk

    @rule()
    def close_epoch(self) -> None:
        m = self.model
        refusal = Refusal("EpochAlreadyClosed", {"epoch": m.closed}) if m.closed else None

        def effect(receipt: Any) -> None:
            m.closed, m.open = m.open, m.open + 1
            m.cut_off = int(self.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])

        self.step(refusal, lambda: self.adm.close_epoch(self.desk), effect)

    @rule(move=nav_moves, valued=valuations)
    def publish_nav(self, move: int, valued: str) -> None:
        m, now = self.model, self.now()
        nav = m.last_nav * (BPS + move) // BPS + (1 if move not in (500, -500) else 0)
        as_of = {
            "now": now,
            "30 min ago": now - HOUR // 2,
            "stale": now - MAX_AGE - HOUR // 2,
            "not newer": m.last_as_of if m.last_as_of else now - HOUR // 2,
        }[valued]
        refusal = m.publish(as_of, now)

        def effect(receipt: Any) -> None:
            if m.closed == 0:
                m.closed, m.open = m.open, m.open + 1
            (event,) = event_args(self.adm, receipt, "NavPublished")
            assert event["epoch"] == m.closed and event["navPerShare"] == nav
            m.published_block[m.closed] = receipt["blockNumber"]
            m.pending = PendingModel(nav, as_of, m.needs_confirmation(nav))
            if m.pending.needs_confirmation:
                self.outcomes["published a NAV that needs confirmation"] += 1

        strike = self.adm.nav_strike(Decimal(nav) / HKD, datetime.fromtimestamp(as_of, tz=UTC))
        self.step(refusal, lambda: self.adm.publish_nav(self.desk, strike), effect)

    @rule(right=st.sampled_from([True, True, False]))
    def confirm_nav(self, right: bool) -> None:
        m = self.model
        seen = m.pending.nav if m.pending else m.last_nav
        seen = seen if right else seen + 1
        refusal: Refusal | None = None
        if m.closed == 0 or m.pending is None:
            refusal = Refusal("NoNavPending", {})
        elif seen != m.pending.nav:
            refusal = Refusal("NavMismatch", {"navPerShare": seen, "pendingNavPerShare": m.pending.nav})
        pending = m.pending
        self.step(
            refusal,
            lambda: self.adm.confirm_nav(self.confirmer, Decimal(seen) / HKD),
            lambda _: setattr(pending, "confirmed", True),
        )

    @rule()
    def strike(self) -> None:
        m = self.model
        refusal = m.strike(self.now())

        def effect(receipt: Any) -> None:
            assert m.pending is not None
            number, pending, e = m.closed, m.pending, m.epoch(m.closed)
            # Forward pricing, from the chain's events: the NAV struck was published after every request of its epoch.
            (event,) = event_args(self.adm, receipt, "EpochStruck")
            assert (event["epoch"], event["navPerShare"], event["asOf"]) == (number, pending.nav, pending.as_of)
            assert all(block < m.published_block[number] for block in m.request_blocks.get(number, []))
            pulled = e.redemption_shares // UNIT * unit_proceeds(pending.nav)
            assert event["redemptionCash"] == pulled
            e.nav, e.as_of, e.struck = pending.nav, pending.as_of, True
            m.last_nav, m.last_as_of = pending.nav, pending.as_of
            m.cut_off, m.closed, m.pending = 0, 0, None
            m.move_shares(m.administrator, ZERO, e.redemption_shares)
            m.move_cash(m.cash_account, m.administrator, pulled)

        self.step(refusal, lambda: self.adm.strike(self.desk), effect)

    @rule(move=nav_moves, by_desk=st.booleans())
    def deal_round(self, move: int, by_desk: bool) -> None:
        """A whole dealing round in one step (hypothesis's swarm testing switches rules off per example, so the
        separate rules seldom all meet): publish a fresh NAV unless a fresh one is pending, confirm it if it needs
        it, strike, and claim every request of the epoch (``by_desk``: the desk settles them all in one
        ``settleClaims``)."""
        m = self.model
        if m.pending is None or self.now() - m.pending.as_of > MAX_AGE:
            if self.now() <= m.last_as_of:
                self.time_passes(1)
            stale = m.publish(self.now() - MAX_AGE - HOUR // 2, self.now())
            if stale is not None and stale.error == "NavStale":
                self.publish_nav(move, "stale")  # refused first: a valuation older than the maximum age
            self.publish_nav(move, "now")
        assert m.pending is not None
        if m.pending.needs_confirmation and not m.pending.confirmed:
            self.strike()  # refused: NavNotConfirmed
            self.confirm_nav(True)
        number = m.closed
        self.cancel("ap1", False, "previous")  # the closed epoch: too late to cancel (EpochNotOpen)
        self.strike()
        if by_desk:
            self.settle_claims(APS, "last struck")
            return
        for ap, signer in self.aps.items():
            for redemption in (False, True):
                if m.request(number, signer.address)[int(redemption)]:
                    self.claim(ap, redemption, "last struck")

    @rule(hours=st.sampled_from([1, 5, 26]))
    def time_passes(self, hours: int) -> None:
        """Whole hours: NAVs are valued 30 minutes off them, so the age checks never meet their bound exactly."""
        self.chain.increase_time(hours * HOUR)
        self.outcomes["time passes"] += 1

    # ----------------------------------------------------------------------------------------- the check

    @invariant()
    def chain_matches_model(self) -> None:
        m, adm, hkd, token = self.model, self.adm.address, self.market.hkd.address, self.token.address
        aps = [a.address for a in self.aps.values()]
        cash_holders = [*aps, adm, m.cash_account, m.fee_receiver]
        numbers = sorted(m.epochs)
        pairs = sorted(m.requests)
        calls: list[tuple[str, str, Sequence[str], Sequence[Any], Sequence[str]]] = [
            *((hkd, "balanceOf", ["address"], [w], ["uint256"]) for w in cash_holders),
            *((token, "balanceOf", ["address"], [w], ["uint256"]) for w in [*aps, adm]),
            (token, "totalSupply", [], [], ["uint256"]),
            (adm, "openEpoch", [], [], ["uint256"]),
            (adm, "closedEpoch", [], [], ["uint256"]),
            (adm, "lastNavPerShare", [], [], ["uint128"]),
            (adm, "lastNavAsOf", [], [], ["uint64"]),
            (adm, "cutOffAt", [], [], ["uint64"]),
            (adm, "pendingNav", [], [], ["(uint128,uint64,uint64,address,bool,bool)"]),
            *((adm, "epochOf", ["uint256"], [n], ["(uint128,uint128,uint128,uint64,uint64)"]) for n in numbers),
        ]
        for number, ap in pairs:
            for view in ("pendingSubscriptionRequest", "claimableSubscriptionRequest"):
                calls.append((adm, view, ["uint256", "address"], [number, ap], ["uint256"]))
            for view in ("pendingRedemptionRequest", "claimableRedemptionRequest"):
                calls.append((adm, view, ["uint256", "address"], [number, ap], ["uint256"]))
        got = iter(batch_call(self.chain, calls))
        for wallet in cash_holders:
            assert next(got) == m.hkd.get(wallet, 0), f"stablecoin balance of {wallet}"
        for wallet in [*aps, adm]:
            assert next(got) == m.shares.get(wallet, 0), f"shares of {wallet}"
        assert next(got) == m.supply == sum(m.shares.values())
        assert (next(got), next(got)) == (m.open, m.closed)
        assert (next(got), next(got), next(got)) == (m.last_nav, m.last_as_of, m.cut_off)
        nav, as_of, published_at, publisher, needs, confirmed = next(got)
        if m.pending is None:
            assert (nav, as_of, published_at, publisher) == (0, 0, 0, ZERO)
        else:
            p = m.pending
            assert (nav, as_of, publisher.lower(), needs, confirmed) == (
                p.nav, p.as_of, self.desk.address.lower(), p.needs_confirmation, p.confirmed
            )  # fmt: skip
        for number in numbers:
            e = m.epochs[number]
            cash, shares, e_nav, e_as_of, struck_at = next(got)
            assert (cash, shares, e_nav, e_as_of, struck_at != 0) == (
                e.subscription_cash, e.redemption_shares, e.nav, e.as_of, e.struck
            ), f"epoch {number}"  # fmt: skip
        for number, ap in pairs:
            cash, shares = m.requests[(number, ap)]
            struck = m.epochs[number].struck
            assert (next(got), next(got)) == ((0, cash) if struck else (cash, 0)), f"subscription {number} {ap}"
            assert (next(got), next(got)) == ((0, shares) if struck else (shares, 0)), f"redemption {number} {ap}"
        assert m.hkd[adm] == m.escrow(), "the administrator holds exactly what it owes"


def test_fund_machine(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    market = build_market(chain, accounts)
    desk, confirmer, cash = (extra_account(f"invariants:fund-{n}") for n in ("desk", "confirmer", "cash"))
    fund(chain, desk, confirmer, cash)
    fees = extra_account("invariants:fund-fees").address
    aps = dict(zip(APS, market.onboard("MF-AP1", "MF-AP2", hkd=AP_HKD // HKD), strict=True))
    terms = FundTerms(
        payment_token=market.hkd.address,
        cash_account=cash.address,
        fee_receiver=fees,
        creation_unit=Decimal(UNIT) / SHARE,
        initial_nav=Decimal(INITIAL_NAV) / HKD,
        max_nav_age=timedelta(seconds=MAX_AGE),
        nav_move_bound_bps=BOUND_BPS,
        subscription_fee_bps=SUB_FEE_BPS,
        redemption_fee_bps=RED_FEE_BPS,
    )
    token = FundToken.deploy(
        chain, market.admin, name="HK Machine ETF", symbol="HKME", decimals=18, registry=market.registry,
        roles=market.roles, admin_module=market.admin_module, terms=terms,
        fund_roles=FundRoles(fund_admins=[desk.address], nav_confirmers=[confirmer.address],
                             participants=[a.address for a in aps.values()]),
    )  # fmt: skip
    adm = token.administrator()
    market.hkd.mint(market.admin, cash.address, Decimal(CASH_HKD) / HKD)
    market.hkd.raw.approve(cash, adm.address, 2**256 - 1)  # the cash account pays redemptions at the strike
    FundMachine.market, FundMachine.token, FundMachine.adm, FundMachine.aps = market, token, adm, aps
    FundMachine.desk, FundMachine.confirmer, FundMachine.cash, FundMachine.fees = desk, confirmer, cash, fees
    FundMachine.snapshot = None
    FundMachine.outcomes.clear()
    try:
        run_state_machine_as_test(FundMachine, settings=budget(ci_examples=10, ci_steps=25))
    finally:
        if FundMachine.snapshot is not None:
            chain.revert(FundMachine.snapshot)
            FundMachine.snapshot = None
        print(f"fund machine outcomes: {dict(FundMachine.outcomes.most_common())}")
    assert_reached(
        FundMachine.outcomes,
        [
            "accepted request_subscription",
            "accepted request_redemption",
            "refused SpecError (request_redemption)",
            "accepted cancel",
            "refused EpochNotOpen (cancel)",
            "accepted close_epoch",
            "accepted publish_nav",
            "published a NAV that needs confirmation",
            "refused NavStale (publish_nav)",
            "accepted confirm_nav",
            "accepted strike",
            "refused NavNotConfirmed (strike)",
            "accepted claim",
            "refused EpochNotStruck (claim)",
            "settle_claims settled someone",
            "settle_claims skipped everyone",
            "refused EpochNotStruck (settle_claims)",
        ],
    )
