"""Stateful property test of the compliance core through hktoken's Python API (marker ``invariants``).

A hypothesis ``RuleBasedStateMachine`` drives random sequences of registry and token operations (register, revoke,
reinstate, renew and expire investors; mint, burn, transfer, approve, transferFrom, permit; full and partial freezes,
forced transfer, recovery; pause) through ``InvestorRegistry`` and ``RWAToken`` on the session anvil. ``TokenModel``
predicts every step: a refused step must raise the predicted typed error (``TransferRestricted`` with its code,
reason and arguments, or the custom error and its arguments) and send nothing (``nothing_sent``); after every step
the chain must match the model to the wei (balances, frozen amounts, freeze flags, supply, holder count, pause,
allowances, permit nonces). Each example starts from the same snapshot.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

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

from hktoken import HKTokenError, TransactionReverted, TransferRestricted
from hktoken.chain import Chain
from hktoken.models.restrictions import Restriction as R
from hktoken.models.restrictions import message_for
from hktoken.testing import nothing_sent
from tests.compliance._helpers import (
    DAY,
    World,
    batch_call,
    build_world,
    extra_account,
    fund,
    investor,
    token_state,
    when,
)

from ._model import ZERO, Holder, Refusal, TokenModel
from .conftest import assert_reached, budget

pytestmark = pytest.mark.invariants

HOURS_6 = 6 * 3600  # expiries sit 6 h off whole days; time moves by whole days: never near a boundary
INVESTORS = {"INV-A": ["a"], "INV-B": ["b1", "b2"], "INV-C": ["c"], "INV-D": ["d"]}
START_TTL = {"INV-A": 400, "INV-B": 2, "INV-C": 30}  # days; INV-D is registered by a rule
NAMES = [name for wallets in INVESTORS.values() for name in wallets]

wallet_names = st.sampled_from(NAMES)
investor_ids = st.sampled_from(sorted(INVESTORS))
# An amount: a multiple of 0.25 token, or relative to the sender's balance ("over" is one base unit too many).
amounts = st.one_of(st.sampled_from(["all", "half", "over"]), st.integers(1, 400).map(lambda n: Decimal(n) / 4))


class ComplianceMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    signers: ClassVar[dict[str, LocalAccount]]
    snapshot: ClassVar[str | None] = None
    outcomes: ClassVar[Counter[str]] = Counter()  # accepted / refused-by-error tallies, printed at the end

    def __init__(self) -> None:
        super().__init__()
        chain = self.world.chain
        cls = type(self)
        if cls.snapshot is not None:
            chain.revert(cls.snapshot)
        cls.snapshot = chain.snapshot()
        self.last_permit: dict[str, Any] | None = None
        self.model = TokenModel(
            treasury=self.world.treasury.address,
            investors={i: Holder(i, [self.signers[n].address for n in ns]) for i, ns in INVESTORS.items()},
        )

    @initialize()
    def register_start_investors(self) -> None:
        chain, world = self.world.chain, self.world
        people = [
            investor(chain, i, [self.signers[n] for n in INVESTORS[i]], ttl=d * DAY + HOURS_6)
            for i, d in START_TTL.items()
        ]
        world.registry.register(world.admin, people)
        for person in people:
            holder = self.model.investors[person.id]
            holder.registered, holder.expiry = True, int(person.kyc_expiry.timestamp())
        for name in ("a", "b1", "c"):  # opening balances, so that early steps have something to move or freeze
            self.token.mint(world.issuer, self.w(name), Decimal(100))
            self.model.move(ZERO, self.w(name), self.token.to_units(Decimal(100)))

    # ----------------------------------------------------------------------------------------- helpers

    @property
    def token(self) -> Any:
        return self.world.token

    def now(self) -> int:
        return self.world.chain.timestamp()

    def w(self, name: str) -> str:
        return self.signers[name].address

    def units(self, how: str | Decimal, sender: str) -> int:
        balance = self.model.bal(sender)
        if how == "all":
            return balance
        if how == "half":
            return balance // 2
        if how == "over":
            return balance + 1
        return self.token.to_units(how)

    def step(self, refusal: Refusal | None, send: Callable[[], object], effect: Callable[[], None]) -> None:
        """Send, expecting ``refusal`` (then nothing may be sent) or acceptance (then apply ``effect`` to the model)."""
        if refusal is None:
            send()
            effect()
            self.outcomes[f"accepted {sys._getframe(1).f_code.co_name}"] += 1
            return
        self.outcomes[f"refused {refusal.error}" + (f" code {refusal.code}" if refusal.code is not None else "")] += 1
        watched = [*self.signers.values(), self.world.admin, self.world.issuer, self.world.agent, self.world.pauser]
        with nothing_sent(self.world.chain, *watched):
            try:
                send()
            except HKTokenError as exc:
                check_refusal(exc, refusal)
            else:
                raise AssertionError(f"accepted a step the model refuses with {refusal}")

    # ----------------------------------------------------------------------------------------- registry

    @precondition(lambda self: not self.model.investors["INV-D"].registered)
    @rule(days=st.integers(1, 5))
    def register_d(self, days: int) -> None:
        person = investor(self.world.chain, "INV-D", [self.signers["d"]], ttl=days * DAY + HOURS_6)
        self.world.registry.register(self.world.admin, [person])
        holder = self.model.investors["INV-D"]
        holder.registered, holder.expiry = True, int(person.kyc_expiry.timestamp())

    @rule(investor_id=investor_ids)
    def revoke(self, investor_id: str) -> None:
        holder = self.model.investors[investor_id]
        if not holder.registered:
            refusal = Refusal("InvestorNotRegistered", {"id": investor_id.encode().ljust(32, b"\0")})
        else:
            refusal = None
        self.step(
            refusal,
            lambda: self.world.registry.revoke(self.world.admin, investor_id),
            lambda: setattr(holder, "revoked", True),
        )

    @rule(investor_id=investor_ids)
    def reinstate(self, investor_id: str) -> None:
        holder = self.model.investors[investor_id]
        refusal = (
            None
            if holder.registered
            else Refusal("InvestorNotRegistered", {"id": investor_id.encode().ljust(32, b"\0")})
        )
        self.step(
            refusal,
            lambda: self.world.registry.reinstate(self.world.admin, investor_id),
            lambda: setattr(holder, "revoked", False),
        )

    @rule(investor_id=investor_ids, days=st.integers(1, 60))
    def renew(self, investor_id: str, days: int) -> None:
        holder = self.model.investors[investor_id]
        expiry = when(self.world.chain, days * DAY + HOURS_6)
        refusal = (
            None
            if holder.registered
            else Refusal("InvestorNotRegistered", {"id": investor_id.encode().ljust(32, b"\0")})
        )
        self.step(
            refusal,
            lambda: self.world.registry.renew_kyc(self.world.admin, investor_id, expiry),
            lambda: setattr(holder, "expiry", int(expiry.timestamp())),
        )

    @rule(days=st.sampled_from([1, 2, 7]))
    def time_passes(self, days: int) -> None:
        """Expire investors by moving the chain's clock (whole days)."""
        self.world.chain.increase_time(days * DAY)
        self.world.chain.mine()

    # ----------------------------------------------------------------------------------------- issuer

    @rule(to=wallet_names, how=amounts)
    def mint(self, to: str, how: str | Decimal) -> None:
        wallet = self.w(to)
        value = self.units(how, wallet) or 1
        refusal = self.model.mint(wallet, value, self.now())
        self.step(
            refusal,
            lambda: self.token.mint(self.world.issuer, wallet, self.token.from_units(value)),
            lambda: self.model.move(ZERO, wallet, value),
        )

    @rule(owner=wallet_names, how=amounts)
    def burn(self, owner: str, how: str | Decimal) -> None:
        wallet = self.w(owner)
        value = self.units(how, wallet)
        refusal = self.model.burn(wallet, value)
        self.step(
            refusal,
            lambda: self.token.burn(self.world.issuer, wallet, self.token.from_units(value)),
            lambda: self.model.move(wallet, ZERO, value, seize=True),
        )

    # ----------------------------------------------------------------------------------------- holders

    @rule(sender=wallet_names, to=wallet_names, how=amounts)
    def transfer(self, sender: str, to: str, how: str | Decimal) -> None:
        src, dst = self.w(sender), self.w(to)
        value = self.units(how, src)
        refusal = self.model.transfer(src, dst, value, self.now())
        self.step(
            refusal,
            lambda: self.token.transfer(self.signers[sender], dst, self.token.from_units(value)),
            lambda: self.model.move(src, dst, value),
        )

    @rule(owner=wallet_names, spender=wallet_names, how=amounts)
    def approve(self, owner: str, spender: str, how: str | Decimal) -> None:
        src, who = self.w(owner), self.w(spender)
        value = self.units(how, src)
        self.token.approve(self.signers[owner], who, self.token.from_units(value))
        self.model.allowances[(src, who)] = value

    @rule(spender=wallet_names, owner=wallet_names, to=wallet_names, how=amounts)
    def transfer_from(self, spender: str, owner: str, to: str, how: str | Decimal) -> None:
        src, dst, who = self.w(owner), self.w(to), self.w(spender)
        value = self.units(how, src)
        refusal = self.model.transfer_from(who, src, dst, value, self.now())

        def effect() -> None:
            self.model.spend_allowance(src, who, value)
            self.model.move(src, dst, value)

        self.step(
            refusal,
            lambda: self.token.transfer_from(self.signers[spender], src, dst, self.token.from_units(value)),
            effect,
        )

    @rule(owner=wallet_names, spender=wallet_names, how=amounts, replay=st.booleans())
    def permit(self, owner: str, spender: str, how: str | Decimal, replay: bool) -> None:
        """A signed permit sent by the agent (anyone may send it); a replayed one is refused (nonce used)."""
        if replay and self.last_permit is not None:
            signed = self.last_permit
            refusal: Refusal | None = (
                Refusal("ERC2612ExpiredSignature", {"deadline": signed["deadline"]})
                if self.now() > signed["deadline"]
                else Refusal("ERC2612InvalidSigner", {"owner": signed["owner"]})
            )
        else:
            src = self.w(owner)
            signed = self.token.sign_permit(
                self.signers[owner], self.w(spender), self.token.from_units(self.units(how, src))
            )
            refusal = None
        self.step(
            refusal,
            lambda: self.token.permit(self.world.agent, signed),
            lambda: self.model.allowances.__setitem__((signed["owner"], signed["spender"]), signed["value"]),
        )
        self.last_permit = signed

    # ----------------------------------------------------------------------------------------- agent

    @rule(target_=wallet_names, frozen=st.booleans())
    def set_address_frozen(self, target_: str, frozen: bool) -> None:
        wallet = self.w(target_)
        self.token.set_address_frozen(self.world.agent, wallet, frozen)
        self.model.flagged[wallet] = frozen

    @rule(data=st.data(), partial=st.booleans(), how=amounts)
    def freeze_then_mint(self, data: st.DataObject, partial: bool, how: str | Decimal) -> None:
        """Freeze a wallet (its whole address, or part of its balance) and mint to it at once: an address-frozen
        recipient is refused (code 5), a partly frozen one is not. The target is a wallet that could receive a mint
        now when there is one, so the freeze is what the mint meets (the random ``mint`` rarely follows a freeze)."""
        now = self.now()
        ready = [n for n in NAMES if self.model.mint(self.w(n), 1, now) is None]
        target_ = data.draw(st.sampled_from(ready or NAMES), label="target")
        wallet = self.w(target_)
        if partial:
            frozen = self.model.unfrozen(wallet) // 2
            assert self.model.freeze_partial(wallet, frozen) is None  # half of the unfrozen part always fits
            self.token.freeze_partial(self.world.agent, wallet, self.token.from_units(frozen))
            self.model.frozen[wallet] = self.model.frozen.get(wallet, 0) + frozen
        else:
            self.token.set_address_frozen(self.world.agent, wallet, True)
            self.model.flagged[wallet] = True
        value = self.units(how, wallet) or 1
        refusal = self.model.mint(wallet, value, self.now())
        if refusal is not None and refusal.code == R.RECIPIENT_FROZEN:
            self.outcomes["freeze_then_mint met the address freeze (code 5)"] += 1
        self.step(
            refusal,
            lambda: self.token.mint(self.world.issuer, wallet, self.token.from_units(value)),
            lambda: self.model.move(ZERO, wallet, value),
        )

    @rule(target_=wallet_names, how=amounts)
    def freeze_partial(self, target_: str, how: str | Decimal) -> None:
        wallet = self.w(target_)
        value = self.units(how, wallet)
        refusal = self.model.freeze_partial(wallet, value)

        def effect() -> None:
            self.model.frozen[wallet] = self.model.frozen.get(wallet, 0) + value

        self.step(
            refusal, lambda: self.token.freeze_partial(self.world.agent, wallet, self.token.from_units(value)), effect
        )

    @rule(target_=wallet_names, how=amounts)
    def unfreeze_partial(self, target_: str, how: str | Decimal) -> None:
        wallet = self.w(target_)
        frozen = self.model.frozen.get(wallet, 0)
        value = {"all": frozen, "half": frozen // 2, "over": frozen + 1}.get(how) if isinstance(how, str) else None
        value = self.token.to_units(how) if value is None else value
        refusal = self.model.unfreeze_partial(wallet, value)

        def effect() -> None:
            self.model.frozen[wallet] = frozen - value

        self.step(
            refusal, lambda: self.token.unfreeze_partial(self.world.agent, wallet, self.token.from_units(value)), effect
        )

    @rule(sender=wallet_names, to=st.one_of(wallet_names, st.just("treasury")), how=amounts)
    def forced_transfer(self, sender: str, to: str, how: str | Decimal) -> None:
        src = self.w(sender)
        dst = self.world.treasury.address if to == "treasury" else self.w(to)
        value = self.units(how, src)
        refusal = self.model.forced_transfer(src, dst, value, self.now())
        self.step(
            refusal,
            lambda: self.token.forced_transfer(self.world.agent, src, dst, self.token.from_units(value)),
            lambda: self.model.move(src, dst, value, seize=True),
        )

    @rule(lost=wallet_names, new=wallet_names, investor_id=investor_ids)
    def recover(self, lost: str, new: str, investor_id: str) -> None:
        old, fresh = self.w(lost), self.w(new)
        refusal = self.model.recover(old, fresh, investor_id, self.now())
        self.step(
            refusal,
            lambda: self.token.recover(self.world.agent, old, fresh, investor_id),
            lambda: self.model.recovered(old, fresh),
        )

    @rule(forward=st.booleans())
    def recover_between_own_wallets(self, forward: bool) -> None:
        """Recovery between INV-B's two wallets (the random ``recover`` rarely picks a matching pair)."""
        lost, new = ("b1", "b2") if forward else ("b2", "b1")
        old, fresh = self.w(lost), self.w(new)
        refusal = self.model.recover(old, fresh, "INV-B", self.now())
        self.step(
            refusal,
            lambda: self.token.recover(self.world.agent, old, fresh, "INV-B"),
            lambda: self.model.recovered(old, fresh),
        )

    # ----------------------------------------------------------------------------------------- pauser

    @rule()
    def toggle_pause(self) -> None:
        if self.model.paused:
            self.token.unpause(self.world.pauser)
        else:
            self.token.pause(self.world.pauser)
        self.model.paused = not self.model.paused

    @rule()
    def pause_twice(self) -> None:
        """Pausing a paused token (or unpausing a live one) is refused with OpenZeppelin's error."""
        if self.model.paused:
            self.step(Refusal("EnforcedPause", {}), lambda: self.token.pause(self.world.pauser), lambda: None)
        else:
            self.step(Refusal("ExpectedPause", {}), lambda: self.token.unpause(self.world.pauser), lambda: None)

    # ----------------------------------------------------------------------------------------- the check

    @invariant()
    def chain_matches_model(self) -> None:
        model, wallets = self.model, [s.address for s in self.signers.values()]
        state = token_state(self.token, [*wallets, model.treasury])
        for wallet in [*wallets, model.treasury]:
            assert state["balances"][wallet] == model.bal(wallet), f"balance of {wallet}"
            assert state["frozen"][wallet] == model.frozen.get(wallet, 0), f"frozen amount of {wallet}"
            assert state["flags"][wallet] == model.flagged.get(wallet, False), f"freeze flag of {wallet}"
        assert state["supply"] == model.supply == sum(model.balances.values())
        assert state["holders"] == model.holder_count()
        assert state["paused"] == model.paused
        pairs = sorted(model.allowances)
        got = (
            batch_call(
                self.world.chain,
                [(self.token.address, "allowance", ["address", "address"], list(p), ["uint256"]) for p in pairs],
            )
            if pairs
            else []
        )
        assert dict(zip(pairs, got, strict=True)) == model.allowances


def check_refusal(exc: HKTokenError, refusal: Refusal) -> None:
    """``exc`` is exactly the typed error the model predicted."""
    assert isinstance(exc, TransactionReverted), repr(exc)
    assert exc.error == refusal.error, f"expected {refusal}, got {exc!r}"
    if refusal.code is not None:
        assert type(exc) is TransferRestricted, repr(exc)
        assert exc.code == refusal.code
        assert exc.reason == message_for(refusal.code)
        assert exc.arguments == refusal.args, f"expected {refusal}, got {exc.arguments}"
    elif refusal.error == "ERC2612InvalidSigner":
        assert exc.arguments["owner"] == refusal.args["owner"]  # the recovered signer is whatever the old nonce gives
    else:
        assert exc.arguments == refusal.args, f"expected {refusal}, got {exc.arguments}"


def machine_signers(chain: Chain) -> dict[str, LocalAccount]:
    signers = {name: extra_account(f"invariants:{name}") for name in NAMES}
    fund(chain, *signers.values())
    return signers


def test_compliance_machine(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    ComplianceMachine.world = build_world(chain, accounts)
    ComplianceMachine.signers = machine_signers(chain)
    ComplianceMachine.snapshot = None
    ComplianceMachine.outcomes.clear()
    try:
        run_state_machine_as_test(ComplianceMachine, settings=budget())
    finally:
        if ComplianceMachine.snapshot is not None:
            chain.revert(ComplianceMachine.snapshot)
            ComplianceMachine.snapshot = None
        print(f"compliance machine outcomes: {dict(ComplianceMachine.outcomes.most_common())}")
    assert_reached(
        ComplianceMachine.outcomes, ["freeze_then_mint met the address freeze (code 5)", "accepted freeze_then_mint"]
    )
