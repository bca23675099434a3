"""Stateful property test of delivery-versus-payment through hktoken's Python API (marker ``invariants``).

A hypothesis ``RuleBasedStateMachine`` signs trades between three verified investors and one wallet that was never
verified (so a buyer or seller without KYC), keeps them, and settles them later through ``DvPSettlement.settle``:
valid, expired (time moves by whole hours, trades are valid for 1.5 or 30.5 hours), signed by the wrong key for
either party, with a nonce already used (by a settlement, a cancellation, or a second trade signed with the same
free nonce), a frozen seller or buyer, a buyer short of stablecoin; the same trade twice; cancellations of fresh and
used nonces; the settlement's pause. The model predicts every step: the wrapper's own refusals (``TradeRefused``
naming the cause, before anything is sent), the asset token's (``TransferRestricted`` with its code, from the
compliance model of ``_model.py``) and the stablecoin's (``ERC20InsufficientBalance``). After every step: both
tokens' balances of every party and their supplies (both legs moved, or neither), the freeze flags, the pause, and
every nonce the machine ever signed or cancelled is used exactly when the model says (a nonce is used once).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hktoken import DvPSettlement, HKTokenError, RWAToken, Trade, TradeRefused
from hktoken.chain import Chain
from hktoken.testing import nothing_sent
from tests.assets.conftest import Market, build_market
from tests.compliance._helpers import MAX_UINT, batch_call, event_args, extra_account, fund

from ._model import Holder, Refusal, TokenModel
from .conftest import assert_reached, budget
from .test_compliance_machine import check_refusal

pytestmark = pytest.mark.invariants

HOUR = 3_600
HKD = 10**6
PARTIES = ["s1", "s2", "b1", "outsider"]  # the outsider was never verified
INVESTORS = ["s1", "s2", "b1"]
OPENING_ASSET = 5_000  # base units (2 decimals): 50 tokens each investor
OPENING_HKD = 2_000 * HKD

parties = st.sampled_from(PARTIES)
traders = st.sampled_from([*INVESTORS, *INVESTORS, "outsider"])  # the outsider in one trade in four or so


@dataclass
class Signed:
    trade: Trade
    seller: str
    buyer: str
    seller_signature: bytes
    buyer_signature: bytes


class DvPMachine(RuleBasedStateMachine):
    market: ClassVar[Market]
    token: ClassVar[RWAToken]
    dvp: ClassVar[DvPSettlement]
    signers: ClassVar[dict[str, LocalAccount]]
    relayer: ClassVar[LocalAccount]
    mallory: ClassVar[LocalAccount]
    snapshot: ClassVar[str | None] = None
    outcomes: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        chain, cls = self.market.chain, type(self)
        if cls.snapshot is not None:
            chain.revert(cls.snapshot)
        cls.snapshot = chain.snapshot()
        addresses = {n: s.address for n, s in self.signers.items()}
        self.asset = TokenModel(
            treasury=self.market.treasury.address,
            investors={n: Holder(n, [addresses[n]], registered=True, expiry=2**63) for n in INVESTORS},
            balances={addresses[n]: OPENING_ASSET for n in INVESTORS},
            supply=OPENING_ASSET * len(INVESTORS),
        )
        self.hkd = {a: OPENING_HKD for a in addresses.values()}
        self.used: set[tuple[str, int]] = set()
        self.seen: set[tuple[str, int]] = set()  # every (party, nonce) signed or cancelled: checked each step
        self.trades: list[Signed] = []
        self.paused = False

    # ----------------------------------------------------------------------------------------- helpers

    @property
    def chain(self) -> Chain:
        return self.market.chain

    def now(self) -> int:
        return self.chain.timestamp()

    def free_nonce(self, party: str) -> int:
        """The lowest nonce the model says is free (what ``DvPSettlement.next_free_nonce`` must also find)."""
        nonce = 0
        while (party, nonce) in self.used:
            nonce += 1
        return nonce

    def step(
        self, refusal: Refusal | TradeRefused | None, send: Callable[[], Any], effect: Callable[[Any], None]
    ) -> None:
        if refusal is None:
            effect(send())
            self.outcomes[f"accepted {sys._getframe(1).f_code.co_name}"] += 1
            return
        if isinstance(refusal, TradeRefused):
            self.outcomes[f"refused TradeRefused {refusal.cause}"] += 1
        else:
            self.outcomes[
                f"refused {refusal.error}" + (f" code {refusal.code}" if refusal.code is not None else "")
            ] += 1
        watched = [*self.signers.values(), self.relayer, self.market.agent, self.market.admin]
        with nothing_sent(self.chain, *watched):
            try:
                send()
            except HKTokenError as exc:
                if isinstance(refusal, TradeRefused):
                    assert type(exc) is TradeRefused and exc.cause == refusal.cause, repr(exc)
                else:
                    check_refusal(exc, refusal)
            else:
                raise AssertionError(f"accepted a step the model refuses with {refusal!r}")

    # ----------------------------------------------------------------------------------------- trades

    @rule(
        seller=traders,
        buyer=traders,
        amount=st.one_of(*[st.integers(1, 3_000)] * 4, st.just(OPENING_ASSET + 1)),  # one in five over the balance
        price=st.one_of(*[st.integers(1, 900 * HKD)] * 4, st.just(OPENING_HKD + 1)),
        valid_hours=st.sampled_from([Decimal("1.5"), Decimal("30.5")]),
        reuse_nonce=st.sampled_from([None, None, None, "seller", "buyer"]),
        then=st.sampled_from(
            ["keep", "settle", "settle", "settle", "settle", "forge seller", "forge buyer", "freeze the seller"]
        ),
    )
    def sign_trade(
        self,
        seller: str,
        buyer: str,
        amount: int,
        price: int,
        valid_hours: Decimal,
        reuse_nonce: str | None,
        then: str,
    ) -> None:
        """Both parties sign a trade, which is kept (for ``settle``) and most often settled at once (hypothesis's
        swarm testing switches rules off per example, so a separate ``settle`` is not always there). Each party
        signs at its next free nonce, so two trades signed before either settles share nonces; ``reuse_nonce``
        takes that party's lowest used nonce instead, when it has one."""
        if seller == buyer:
            buyer = PARTIES[(PARTIES.index(seller) + 1) % len(PARTIES)]
        s, b = self.signers[seller], self.signers[buyer]
        nonces = {}
        for role, party in (("seller", s.address), ("buyer", b.address)):
            assert self.dvp.next_free_nonce(party) == self.free_nonce(party)
            used = sorted(n for p, n in self.used if p == party)
            nonces[role] = used[0] if reuse_nonce == role and used else self.free_nonce(party)
        trade = self.dvp.trade(
            seller=s.address, buyer=b.address, asset=self.token, asset_amount=Decimal(amount) / 100,
            payment=self.market.hkd, payment_amount=Decimal(price) / HKD,
            expiry=datetime.fromtimestamp(self.now() + int(valid_hours * HOUR), tz=UTC),
            seller_nonce=nonces["seller"], buyer_nonce=nonces["buyer"],
        )  # fmt: skip
        assert (trade.asset_units, trade.payment_units) == (amount, price)
        self.trades.append(Signed(trade, seller, buyer, self.dvp.sign(trade, s), self.dvp.sign(trade, b)))
        self.seen.update({(s.address, trade.seller_nonce), (b.address, trade.buyer_nonce)})
        self.outcomes["signed a trade"] += 1
        if then == "freeze the seller" and seller != "outsider":
            self.set_frozen(seller, True)  # the asset leg refuses a frozen seller (code 4) once KYC passes
            self.settle_trade(len(self.trades) - 1, None)
            self.set_frozen(seller, False)
        elif then != "keep":
            self.settle_trade(len(self.trades) - 1, then.removeprefix("forge ") if then.startswith("forge") else None)

    @precondition(lambda self: bool(self.trades))
    @rule(data=st.data(), forged=st.sampled_from([None, None, None, "seller", "buyer"]))
    def settle(self, data: st.DataObject, forged: str | None) -> None:
        """Settle a kept trade (the latest most often, any of them, again after it settled), optionally with one
        party's signature made by another key."""
        index = data.draw(st.one_of(st.just(len(self.trades) - 1), st.integers(0, len(self.trades) - 1)), label="trade")
        self.settle_trade(index, forged)

    def settle_trade(self, index: int, forged: str | None) -> None:
        signed = self.trades[index]
        trade, seller, buyer = signed.trade, signed.trade.seller, signed.trade.buyer
        seller_sig, buyer_sig = signed.seller_signature, signed.buyer_signature
        forgery = bytes(self.mallory.sign_typed_data(full_message=trade.typed_data(self.dvp.domain)).signature)
        if forged == "seller":
            seller_sig = forgery
        elif forged == "buyer":
            buyer_sig = forgery
        amount, price, now = trade.asset_units, trade.payment_units, self.now()
        refusal: Refusal | TradeRefused | None = None
        if self.paused:
            refusal = TradeRefused("paused", "")
        elif trade.expiry_timestamp <= now:
            refusal = TradeRefused("expiry", "")
        elif forged:
            refusal = TradeRefused(f"{forged}_signature", "")
        elif (seller, trade.seller_nonce) in self.used:
            refusal = TradeRefused("seller_nonce", "")
        elif (buyer, trade.buyer_nonce) in self.used:
            refusal = TradeRefused("buyer_nonce", "")
        else:
            refusal = self.asset.transfer(seller, buyer, amount, now)  # the asset leg: the token's own rules
            if refusal is None and self.hkd[buyer] < price:  # then the payment leg
                refusal = Refusal(
                    "ERC20InsufficientBalance", {"sender": buyer, "balance": self.hkd[buyer], "needed": price}
                )

        def effect(receipt: Any) -> None:
            (event,) = event_args(self.dvp, receipt, "TradeSettled")
            assert (event["seller"], event["buyer"], event["assetAmount"], event["paymentAmount"]) == (
                seller, buyer, amount, price
            )  # fmt: skip
            self.asset.move(seller, buyer, amount)
            self.hkd[buyer] -= price
            self.hkd[seller] += price
            self.used.update({(seller, trade.seller_nonce), (buyer, trade.buyer_nonce)})

        self.step(refusal, lambda: self.dvp.settle(self.relayer, trade, seller_sig, buyer_sig), effect)

    @rule(party=parties, which=st.sampled_from(["fresh", "a kept trade's", "a used one"]))
    def cancel(self, party: str, which: str) -> None:
        """A party cancels a nonce: a fresh one, one of its kept trades', or one already used (refused before
        sending: ``TradeRefused``)."""
        signer = self.signers[party]
        nonces = [self.free_nonce(signer.address)]
        if which == "a kept trade's":
            nonces = [t.trade.seller_nonce for t in self.trades if t.trade.seller == signer.address] or nonces
        elif which == "a used one":
            nonces = sorted(n for p, n in self.used if p == signer.address) or nonces
        nonce = nonces[-1]
        refusal = TradeRefused("nonce", "") if (signer.address, nonce) in self.used else None

        def effect(receipt: Any) -> None:
            assert event_args(self.dvp, receipt, "NonceCancelled") == [{"party": signer.address, "nonce": nonce}]
            self.used.add((signer.address, nonce))

        self.seen.add((signer.address, nonce))
        self.step(refusal, lambda: self.dvp.cancel(signer, nonce), effect)

    @rule(party=st.sampled_from(INVESTORS), frozen=st.booleans())
    def set_frozen(self, party: str, frozen: bool) -> None:
        wallet = self.signers[party].address
        self.token.set_address_frozen(self.market.agent, wallet, frozen)
        self.asset.flagged[wallet] = frozen

    @precondition(lambda self: bool(self.trades))
    @rule(party=parties)
    def settle_while_paused(self, party: str) -> None:
        """The pauser stops settlement: the latest trade is refused (before sending), a cancellation still goes
        through, and settlement resumes."""
        self.dvp.pause(self.market.admin)
        self.paused = True
        self.settle_trade(len(self.trades) - 1, None)
        self.cancel(party, "fresh")
        self.dvp.unpause(self.market.admin)
        self.paused = False

    @rule(hours=st.sampled_from([1, 2, 31]))
    def time_passes(self, hours: int) -> None:
        """Whole hours; trades are valid for 1.5 or 30.5 hours, so none is ever settled on its expiry."""
        self.chain.increase_time(hours * HOUR)
        self.outcomes["time passes"] += 1

    # ----------------------------------------------------------------------------------------- the check

    @invariant()
    def chain_matches_model(self) -> None:
        token, hkd, dvp = self.token.address, self.market.hkd.address, self.dvp.address
        wallets = [s.address for s in self.signers.values()]
        seen = sorted(self.seen)
        calls: list[tuple[str, str, Sequence[str], Sequence[Any], Sequence[str]]] = [
            *((token, "balanceOf", ["address"], [w], ["uint256"]) for w in wallets),
            *((hkd, "balanceOf", ["address"], [w], ["uint256"]) for w in wallets),
            *((token, "isFrozen", ["address"], [w], ["bool"]) for w in wallets),
            (token, "totalSupply", [], [], ["uint256"]),
            (hkd, "totalSupply", [], [], ["uint256"]),
            (dvp, "paused", [], [], ["bool"]),
            *((dvp, "isNonceUsed", ["address", "uint256"], [p, n], ["bool"]) for p, n in seen),
        ]
        got = iter(batch_call(self.chain, calls))
        for wallet in wallets:
            assert next(got) == self.asset.bal(wallet), f"asset balance of {wallet}"
        for wallet in wallets:
            assert next(got) == self.hkd[wallet], f"stablecoin balance of {wallet}"
        for wallet in wallets:
            assert next(got) == self.asset.flagged.get(wallet, False), f"freeze flag of {wallet}"
        assert next(got) == self.asset.supply == sum(self.asset.balances.values())
        assert next(got) == sum(self.hkd.values())
        assert next(got) == self.paused
        assert [next(got) for _ in seen] == [key in self.used for key in seen], "nonces used"


def test_dvp_machine(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    market = build_market(chain, accounts)
    investors = market.onboard("MD-S1", "MD-S2", "MD-B1", hkd=OPENING_HKD // HKD)
    outsider = extra_account("invariants:dvp-outsider")  # never verified
    relayer, mallory = extra_account("invariants:dvp-relayer"), extra_account("invariants:dvp-mallory")
    fund(chain, outsider, relayer)
    market.hkd.mint(market.admin, outsider.address, Decimal(OPENING_HKD) / HKD)
    token = RWAToken.deploy(
        chain, market.admin, name="HK Machine Note", symbol="HKMN", decimals=2, registry=market.registry,
        treasury=market.treasury.address, roles=market.roles, admin_module=market.admin_module,
    )  # fmt: skip
    dvp = DvPSettlement.deploy(chain, market.admin)
    signers = dict(zip(PARTIES, [*investors, outsider], strict=True))
    for name, signer in signers.items():
        if name != "outsider":
            token.mint(market.issuer, signer.address, Decimal(OPENING_ASSET) / 100)
        token.raw.approve(signer, dvp.address, MAX_UINT)
        market.hkd.raw.approve(signer, dvp.address, MAX_UINT)
    DvPMachine.market, DvPMachine.token, DvPMachine.dvp, DvPMachine.signers = market, token, dvp, signers
    DvPMachine.relayer, DvPMachine.mallory = relayer, mallory
    DvPMachine.snapshot = None
    DvPMachine.outcomes.clear()
    try:
        run_state_machine_as_test(DvPMachine, settings=budget(ci_examples=8, ci_steps=30))
    finally:
        if DvPMachine.snapshot is not None:
            chain.revert(DvPMachine.snapshot)
            DvPMachine.snapshot = None
        print(f"dvp machine outcomes: {dict(DvPMachine.outcomes.most_common())}")
    assert_reached(
        DvPMachine.outcomes,
        [
            "accepted settle_trade",
            "accepted cancel",
            "refused TradeRefused expiry",
            "refused TradeRefused seller_signature",
            "refused TradeRefused buyer_signature",
            "refused TradeRefused seller_nonce",
            "refused TradeRefused buyer_nonce",
            "refused TradeRefused nonce",
            "refused TransferRestricted code 3",  # the buyer has no KYC
            "refused TransferRestricted code 4",  # the seller is frozen
        ],
    )
