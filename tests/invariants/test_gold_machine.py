"""Stateful property test of tokenized gold through hktoken's Python API (marker ``invariants``): bars in and out,
mints against the reserve, transfers, and physical redemption (request with permit, fulfil with bars, reject),
through ``GoldToken`` and ``GoldCustodian`` on the session anvil. The model predicts every step (a refusal raises
the predicted typed error and sends nothing) and, after every step, the chain must match it to the wei: balances,
supply, escrow, reserve, bar count, and supply <= fine weight in custody.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hktoken import GoldToken, HKTokenError, SpecError
from hktoken.chain import Chain
from hktoken.models.gold import GoldBar, GoldCode, text32
from hktoken.testing import nothing_sent
from tests.assets.conftest import Market, build_market
from tests.compliance._helpers import extra_account, fund

from ._model import ZERO, Refusal
from .conftest import budget
from .test_compliance_machine import check_refusal

pytestmark = pytest.mark.invariants

UNIT = 10**11  # base units per 1e-7 oz of fine weight
BARS = {
    f"HK-{i:04d}": GoldBar(
        serial=f"HK-{i:04d}",
        refiner="Heraeus Hong Kong",
        gross_oz=Decimal(gross),
        fineness=fine,
        vault="HK Airport Vault",
    )
    for i, (gross, fine) in enumerate(
        [("400.125", 9999), ("399.870", 9995), ("410.000", 9999), ("350.001", 9950), ("429.999", 9990)], start=1
    )
}
HOLDERS = ["alice", "bob"]
amounts = st.one_of(
    st.sampled_from(["all", "half", "over", "headroom"]), st.integers(1, 2000).map(lambda n: Decimal(n) / 8)
)


def fine(serial: str) -> int:
    b = BARS[serial]
    return b.gross_milli * b.fineness * UNIT


@dataclass
class GoldModel:
    custodian: str
    listed: set[str] = field(default_factory=set)
    balances: dict[str, int] = field(default_factory=dict)
    supply: int = 0
    escrowed: int = 0
    pending: dict[int, tuple[str, int]] = field(default_factory=dict)
    requests: int = 0

    @property
    def reserve(self) -> int:
        return sum(fine(s) for s in self.listed)

    def bal(self, wallet: str) -> int:
        return self.balances.get(wallet, 0)

    def move(self, sender: str, to: str, value: int) -> None:
        if sender == ZERO:
            self.supply += value
        else:
            self.balances[sender] = self.bal(sender) - value
        if to == ZERO:
            self.supply -= value
        else:
            self.balances[to] = self.bal(to) + value


class GoldMachine(RuleBasedStateMachine):
    market: ClassVar[Market]
    token: ClassVar[GoldToken]
    vault: ClassVar[LocalAccount]
    holders: ClassVar[dict[str, LocalAccount]]
    snapshot: ClassVar[str | None] = None
    outcomes: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        cls = type(self)
        if cls.snapshot is not None:
            self.market.chain.revert(cls.snapshot)
        cls.snapshot = self.market.chain.snapshot()
        self.model = GoldModel(custodian=self.token.custodian.address)

    @initialize()
    def list_first_bar(self) -> None:
        self.token.custodian.add_bars(self.vault, [BARS["HK-0001"]])
        self.model.listed.add("HK-0001")

    def units(self, how: str | Decimal, wallet: str) -> int:
        balance = self.model.bal(wallet)
        special = {
            "all": balance,
            "half": balance // 2,
            "over": balance + 1,
            "headroom": self.model.reserve - self.model.supply,
        }
        return special[how] if isinstance(how, str) else self.token.to_units(how)

    def step(self, refusal: Refusal | SpecError | None, send: Callable[[], object], effect: Callable[[], None]) -> None:
        if refusal is None:
            send()
            effect()
            self.outcomes[f"accepted {sys._getframe(1).f_code.co_name}"] += 1
            return
        name = "SpecError" if isinstance(refusal, SpecError) else refusal.error
        self.outcomes[f"refused {name}"] += 1

        with nothing_sent(self.market.chain, self.vault, self.market.issuer, *self.holders.values()):
            try:
                send()
            except HKTokenError as exc:
                if isinstance(refusal, SpecError):
                    assert type(exc) is SpecError, repr(exc)
                else:
                    check_refusal(exc, refusal)
            else:
                raise AssertionError(f"accepted a step the model refuses with {refusal!r}")

    # ----------------------------------------------------------------------------------------- bars

    @rule(serial=st.sampled_from(sorted(BARS)))
    def add_bar(self, serial: str) -> None:
        refusal = Refusal("BarAlreadyListed", {"serial": text32(serial, "s")}) if serial in self.model.listed else None
        self.step(
            refusal,
            lambda: self.token.custodian.add_bars(self.vault, [BARS[serial]]),
            lambda: self.model.listed.add(serial),
        )

    @rule(serial=st.sampled_from(sorted(BARS)))
    def remove_bar(self, serial: str) -> None:
        m = self.model
        refusal: Refusal | None = None
        if serial not in m.listed:
            refusal = Refusal("BarNotListed", {"serial": text32(serial, "s")})
        elif m.supply > m.reserve - fine(serial):
            refusal = Refusal("ReserveShortfall", {"supply": m.supply, "reserve": m.reserve - fine(serial)})
        self.step(
            refusal, lambda: self.token.custodian.remove_bars(self.vault, [serial]), lambda: m.listed.discard(serial)
        )

    # ----------------------------------------------------------------------------------------- tokens

    @rule(holder=st.sampled_from(HOLDERS), how=amounts)
    def mint(self, holder: str, how: str | Decimal) -> None:
        m, to = self.model, self.holders[holder].address
        value = self.units(how, to) or 1
        refusal = None
        if m.supply + value > m.reserve:
            code = int(GoldCode.MINT_EXCEEDS_RESERVE)
            refusal = Refusal("TransferRestricted", {"from": ZERO, "to": to, "amount": value, "code": code}, code)
        self.step(
            refusal,
            lambda: self.token.mint(self.market.issuer, to, self.token.from_units(value)),
            lambda: m.move(ZERO, to, value),
        )

    @rule(sender=st.sampled_from(HOLDERS), to=st.sampled_from(HOLDERS), how=amounts)
    def transfer(self, sender: str, to: str, how: str | Decimal) -> None:
        m, src, dst = self.model, self.holders[sender].address, self.holders[to].address
        value = self.units(how, src)
        refusal = None
        if m.bal(src) < value:
            refusal = Refusal("ERC20InsufficientBalance", {"sender": src, "balance": m.bal(src), "needed": value})
        self.step(
            refusal,
            lambda: self.token.transfer(self.holders[sender], dst, self.token.from_units(value)),
            lambda: m.move(src, dst, value),
        )

    # ----------------------------------------------------------------------------------------- redemption

    @rule(holder=st.sampled_from(HOLDERS), how=amounts)
    def request_redemption(self, holder: str, how: str | Decimal) -> None:
        m, wallet = self.model, self.holders[holder].address
        value = self.units(how, wallet)
        refusal = SpecError("pre-send check") if value == 0 or value > m.bal(wallet) else None

        def effect() -> None:
            m.move(wallet, m.custodian, value)
            m.escrowed += value
            m.requests += 1
            m.pending[m.requests] = (wallet, value)

        self.step(
            refusal,
            lambda: self.token.custodian.request_redemption(self.holders[holder], self.token.from_units(value)),
            effect,
        )

    @precondition(lambda self: bool(self.model.pending) and bool(self.model.listed))
    @rule(data=st.data())
    def fulfil(self, data: st.DataObject) -> None:
        m = self.model
        rid = data.draw(st.sampled_from(sorted(m.pending)), label="request")
        serials = data.draw(
            st.lists(st.sampled_from(sorted(m.listed)), min_size=1, max_size=3, unique=True), label="serials"
        )
        _holder, amount = m.pending[rid]
        released = sum(fine(s) for s in serials)
        refusal: Refusal | None = None
        if released < amount:
            refusal = Refusal("InsufficientBarsReleased", {"id": rid, "requested": amount, "released": released})
        elif m.supply - amount > m.reserve - released:
            refusal = Refusal("ReserveShortfall", {"supply": m.supply - amount, "reserve": m.reserve - released})

        def effect() -> None:
            del m.pending[rid]
            m.escrowed -= amount
            m.listed.difference_update(serials)
            m.move(m.custodian, ZERO, amount)

        self.step(refusal, lambda: self.token.custodian.fulfil(self.vault, rid, serials), effect)

    @precondition(lambda self: bool(self.model.pending))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        m = self.model
        rid = data.draw(st.sampled_from(sorted(m.pending)), label="request")
        holder, amount = m.pending.pop(rid)
        self.token.custodian.reject(self.vault, rid, "KYC-REVIEW")
        m.escrowed -= amount
        m.move(m.custodian, holder, amount)

    # ----------------------------------------------------------------------------------------- the check

    @invariant()
    def chain_matches_model(self) -> None:
        m, t, c = self.model, self.token.raw, self.token.custodian.raw
        for wallet in [*(h.address for h in self.holders.values()), m.custodian]:
            assert t.balance_of(wallet) == m.bal(wallet), f"balance of {wallet}"
        assert t.total_supply() == m.supply == sum(m.balances.values())
        assert c.escrowed() == m.escrowed == m.bal(m.custodian)
        assert c.reserve() == m.reserve
        assert c.bar_count() == len(m.listed)
        assert c.redemption_count() == m.requests
        assert m.supply <= m.reserve


def test_gold_machine(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    market = build_market(chain, accounts)
    vault = extra_account("invariants:gold-vault")
    fund(chain, vault)
    GoldMachine.market, GoldMachine.vault = market, vault
    GoldMachine.token = GoldToken.deploy(
        chain,
        market.admin,
        name="HK Gold",
        symbol="HKAU",
        registry=market.registry,
        roles=market.roles,
        admin_module=market.admin_module,
        custodians=[vault.address],
    )
    GoldMachine.holders = dict(zip(HOLDERS, market.onboard("GOLD-ALICE", "GOLD-BOB"), strict=True))
    GoldMachine.snapshot = None
    GoldMachine.outcomes.clear()
    try:
        run_state_machine_as_test(GoldMachine, settings=budget(ci_examples=8))
    finally:
        if GoldMachine.snapshot is not None:
            chain.revert(GoldMachine.snapshot)
            GoldMachine.snapshot = None
        print(f"gold machine outcomes: {dict(GoldMachine.outcomes.most_common())}")
