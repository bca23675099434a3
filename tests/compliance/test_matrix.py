"""The matrix: every path that moves tokens x every kind of bad party -> the outcome the spec defines.

Paths: transfer, transferFrom, permit + transferFrom, batchTransfer, mint, batchMint, burn, batchBurn,
forcedTransfer, batchForcedTransfer, recoveryAddress. Conditions: unverified (never registered), KYC expired
(time travel, not revocation), revoked, address-frozen, partly frozen (amount above the unfrozen balance),
wrong country, wrong class, over a cap (max balance / max holders), token paused.

Every refusal is asserted with its exact error, code, reason and decoded arguments, with nothing mined and
no state changed; every success with balances (to the wei), frozen amounts, supply, holder count and the
events in order with their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.contracts.token import RWAToken
from hktoken.testing import reverts

from ._helpers import (
    DAY,
    INST,
    PRO,
    RETAIL,
    SG,
    ZERO,
    World,
    addr,
    extra_account,
    fund,
    id32,
    investor,
    restricted,
    unchanged,
    unfrozen_shortfall,
)

# Runs on RWAToken and on every asset token (tests/compliance/_kinds.py): the conformance battery.
EVERY_TOKEN = True

AMOUNT = Decimal(100)
OK = "ok"
CONDITIONS = (
    "unverified",
    "expired",
    "revoked",
    "frozen",
    "partly_frozen",
    "wrong_country",
    "wrong_class",
    "max_balance",
    "max_holders",
    "paused",
)


@dataclass
class Mx:
    w: World
    alice: LocalAccount  # ALICE, HK professional, 1000
    bob: LocalAccount  # BOB, HK professional, 100
    x1: LocalAccount  # XAVIER wallet 1, SG retail, KYC for 30 days, 1000
    x2: LocalAccount  # XAVIER wallet 2, unfunded
    rose: LocalAccount  # ROSE, SG retail, KYC for 30 days, unfunded (a would-be new holder)
    u: LocalAccount  # never registered
    spender: LocalAccount  # never registered: spenders are not checked
    new_treasury: LocalAccount
    investor_of: dict[str, str]

    @property
    def token(self) -> RWAToken:
        return self.w.token


@pytest.fixture(scope="module")
def mx(world: World, accounts: list[LocalAccount]) -> Mx:
    chain = world.chain
    alice, bob, x1, rose = accounts[6:10]
    x2, u, spender, new_treasury = (extra_account(n) for n in ("x2", "u", "spender", "new-treasury"))
    fund(chain, x2, u, spender, new_treasury)
    world.registry.register(
        world.admin,
        [
            investor(chain, "ALICE", [alice]),
            investor(chain, "BOB", [bob]),
            investor(chain, "XAVIER", [x1, x2], country=SG, klass=RETAIL, ttl=30 * DAY),
            investor(chain, "ROSE", [rose], country=SG, klass=RETAIL, ttl=30 * DAY),
        ],
    )
    world.token.batch_mint(
        world.issuer,
        [(alice.address, 1000), (bob.address, 100), (x1.address, 1000), (world.treasury.address, 1000)],
    )
    world.people = {
        "alice": alice, "bob": bob, "x1": x1, "x2": x2, "rose": rose, "u": u, "spender": spender,
        "new_treasury": new_treasury,
    }  # fmt: skip
    investor_of: dict[str, str] = {
        alice.address: "ALICE",
        bob.address: "BOB",
        x1.address: "XAVIER",
        x2.address: "XAVIER",
    }
    investor_of[rose.address] = "ROSE"
    assert world.token.holder_count() == 3
    return Mx(world, alice, bob, x1, x2, rose, u, spender, new_treasury, investor_of)


def apply_condition(mx: Mx, condition: str, side: str) -> LocalAccount:
    """Make the party on ``side`` bad in the way ``condition`` says; returns that party."""
    w, token = mx.w, mx.token
    recipient_side = side == "recipient"
    if condition == "unverified":
        if recipient_side:
            return mx.u
        # A holder that was never registered: the treasury, once the treasury moved elsewhere.
        token.set_treasury(w.admin, mx.new_treasury.address)
        assert not w.registry.contains(w.treasury.address) and token.raw_balance_of(w.treasury.address) > 0
        return w.treasury
    target = mx.rose if recipient_side else mx.x1
    if condition == "expired":
        w.chain.increase_time(31 * DAY)
        assert not w.registry.is_verified(target.address) and w.registry.is_verified(mx.alice.address)
    elif condition == "revoked":
        w.registry.revoke(w.admin, "ROSE" if recipient_side else "XAVIER")
    elif condition == "frozen":
        token.set_address_frozen(w.agent, target.address, True)
    elif condition == "partly_frozen":
        if recipient_side:
            token.set_frozen_tokens(w.agent, target.address, 50)  # more than its zero balance
        else:
            token.freeze_partial(w.agent, target.address, 950)  # 50 of 1000 unfrozen
    elif condition == "wrong_country":
        w.comply("setBlockedCountries", [SG], True)
    elif condition == "wrong_class":
        w.comply("setRequiredInvestorClasses", (1 << PRO) | (1 << INST))
    elif condition == "max_balance":
        w.comply("setMaxBalancePerInvestor", w.u(1000))
        if recipient_side:
            target = mx.x1  # XAVIER already holds exactly the maximum
    elif condition == "max_holders":
        w.comply("setMaxHolders", token.holder_count())
    elif condition == "paused":
        token.pause(w.pauser)
    else:  # pragma: no cover
        raise AssertionError(condition)
    return target


# --------------------------------------------------------------------------------------------- paths


@dataclass
class Leg:
    sender: str | None  # None: mint
    recipient: str | None  # None: burn
    amount: int
    kind: str  # transfer / mint / burn / forced


@dataclass
class Op:
    legs: list[Leg]
    signer: LocalAccount  # the one account run() sends from
    run: Callable[[], Any]


def build_op(mx: Mx, path: str, side: str, target: LocalAccount) -> Op:
    w, token = mx.w, mx.token
    a, one = w.u(AMOUNT), w.u(1)
    s, r = (mx.alice, target.address) if side == "recipient" else (target, mx.bob.address)
    if side == "exit":
        r = token.treasury()
    if side == "holder":
        return _burn_op(mx, path, s)

    if path == "transfer":
        return Op([Leg(s.address, r, a, "transfer")], s, lambda: token.transfer(s, r, AMOUNT))
    if path == "transfer_from":
        token.approve(s, mx.spender.address, AMOUNT)
        return Op(
            [Leg(s.address, r, a, "transfer")],
            mx.spender,
            lambda: token.transfer_from(mx.spender, s.address, r, AMOUNT),
        )
    if path == "permit_transfer_from":
        permit = token.sign_permit(s, mx.spender.address, AMOUNT)
        token.permit(mx.spender, permit)  # an approval, not a balance change: never restricted
        assert token.allowance(s.address, mx.spender.address) == AMOUNT
        return Op(
            [Leg(s.address, r, a, "transfer")],
            mx.spender,
            lambda: token.transfer_from(mx.spender, s.address, r, AMOUNT),
        )
    if path == "batch_transfer":
        companion = token.treasury() if side == "exit" else mx.bob.address
        return Op(
            [Leg(s.address, r, a, "transfer"), Leg(s.address, companion, one, "transfer")],
            s,
            lambda: token.batch_transfer(s, [(r, AMOUNT), (companion, 1)]),
        )
    if path == "mint":
        return Op([Leg(None, r, a, "mint")], w.issuer, lambda: token.mint(w.issuer, r, AMOUNT))
    if path == "batch_mint":
        return Op(
            [Leg(None, r, a, "mint"), Leg(None, mx.bob.address, one, "mint")],
            w.issuer,
            lambda: token.batch_mint(w.issuer, [(r, AMOUNT), (mx.bob.address, 1)]),
        )
    if path == "forced_transfer":
        return Op(
            [Leg(s.address, r, a, "forced")], w.agent, lambda: token.forced_transfer(w.agent, s.address, r, AMOUNT)
        )
    if path == "batchForcedTransfer":
        if side == "sender":
            legs = [Leg(s.address, r, a, "forced"), Leg(mx.alice.address, mx.bob.address, one, "forced")]
        else:
            legs = [Leg(s.address, r, a, "forced"), Leg(mx.bob.address, mx.alice.address, one, "forced")]
        return Op(
            legs,
            w.agent,
            lambda: token.raw.batch_forced_transfer(
                w.agent,
                [leg.sender for leg in legs],
                [leg.recipient for leg in legs],
                [leg.amount for leg in legs],
            ),
        )
    raise AssertionError(path)  # pragma: no cover


def _burn_op(mx: Mx, path: str, holder: LocalAccount) -> Op:
    token, issuer, a = mx.token, mx.w.issuer, mx.w.u(AMOUNT)
    if path == "burn":
        return Op([Leg(holder.address, None, a, "burn")], issuer, lambda: token.burn(issuer, holder.address, AMOUNT))
    assert path == "batch_burn"
    return Op(
        [Leg(holder.address, None, a, "burn"), Leg(mx.bob.address, None, mx.w.u(1), "burn")],
        issuer,
        lambda: token.batch_burn(issuer, [(holder.address, AMOUNT), (mx.bob.address, 1)]),
    )


# --------------------------------------------------------------------------------------------- the table

TRANSFER_SENDER = {
    "unverified": 2, "expired": 15, "revoked": 2, "frozen": 4, "partly_frozen": 6, "wrong_country": OK,
    "wrong_class": OK, "max_balance": OK, "max_holders": OK, "paused": 1,
}  # fmt: skip
TRANSFER_RECIPIENT = {
    "unverified": 3, "expired": 16, "revoked": 3, "frozen": 5, "partly_frozen": OK, "wrong_country": 7,
    "wrong_class": 8, "max_balance": 10, "max_holders": 9, "paused": 1,
}  # fmt: skip
# A holder who lost eligibility may still exit to the treasury (sender check waived, rules 7-10/12/13
# skipped), but freezes and the pause still apply.
TRANSFER_EXIT = {
    "unverified": OK, "expired": OK, "revoked": OK, "frozen": 4, "partly_frozen": 6, "wrong_country": OK,
    "wrong_class": OK, "max_balance": OK, "max_holders": OK, "paused": 1,
}  # fmt: skip
MINT_RECIPIENT = dict(TRANSFER_RECIPIENT)  # mint to a frozen recipient is code 5, as for a transfer
EVERYTHING_OK = dict.fromkeys(CONDITIONS, OK)  # burn and forced-from ignore pause, freezes and rules
# ERC-7943: a forced transfer delivers only where `canReceive(to)`: verified, not frozen, country and class admitted.
CAN_RECEIVE = {"unverified": 3, "expired": 16, "revoked": 3, "frozen": 5, "wrong_country": 7, "wrong_class": 8}
FORCED_RECIPIENT = dict(EVERYTHING_OK, **CAN_RECEIVE)

TABLE: dict[tuple[str, str], dict[str, Any]] = {}
for _path in ("transfer", "transfer_from", "permit_transfer_from", "batch_transfer"):
    TABLE[(_path, "sender")] = TRANSFER_SENDER
    TABLE[(_path, "recipient")] = TRANSFER_RECIPIENT
    TABLE[(_path, "exit")] = TRANSFER_EXIT
for _path in ("mint", "batch_mint"):
    TABLE[(_path, "recipient")] = MINT_RECIPIENT
for _path in ("burn", "batch_burn"):
    TABLE[(_path, "holder")] = EVERYTHING_OK
for _path in ("forced_transfer", "batchForcedTransfer"):
    TABLE[(_path, "sender")] = EVERYTHING_OK
    TABLE[(_path, "recipient")] = FORCED_RECIPIENT

CELLS = [
    pytest.param(path, side, condition, expected[condition], id=f"{path}-{side}-{condition}")
    for (path, side), expected in TABLE.items()
    for condition in CONDITIONS
]


def _view_code(mx: Mx, leg: Leg) -> int | None:
    """The ERC-1404 view for the leg (None for burns and forced transfers, which have no view)."""
    if leg.kind == "transfer":
        return int(mx.token.raw.detect_transfer_restriction(leg.sender, leg.recipient, leg.amount))
    if leg.kind == "mint":
        return int(mx.token.raw.detect_transfer_restriction(ZERO, leg.recipient, leg.amount))
    return None


@pytest.mark.parametrize(("path", "side", "condition", "expected"), CELLS)
def test_matrix(mx: Mx, path: str, side: str, condition: str, expected: Any) -> None:
    token = mx.token
    target = apply_condition(mx, condition, side)
    op = build_op(mx, path, side, target)
    first = op.legs[0]

    def watch() -> dict[str, Any]:
        state = mx.w.state()
        state["allowance"] = int(token.raw.allowance(first.sender or ZERO, mx.spender.address))
        return state

    view = _view_code(mx, first)
    if view is not None:
        assert view == (0 if expected == OK else expected)
        if first.kind == "transfer":
            assert first.sender is not None and first.recipient is not None
            assert token.can_transfer(first.sender, first.recipient, AMOUNT) is (expected == OK)

    if expected != OK:
        before = watch()
        if expected == 6:
            assert first.sender is not None
            unfrozen = max(0, before["balances"][first.sender] - before["frozen"][first.sender])
            refusal = unfrozen_shortfall(first.sender, first.amount, unfrozen)
        else:
            refusal = restricted(expected, first.sender or ZERO, first.recipient or ZERO, first.amount)
        with unchanged(mx.w.chain, op.signer, watch=watch), refusal:
            op.run()
        return

    before = watch()
    receipt = op.run()
    after = watch()
    _check_success(mx, op, before, after, receipt)


def _check_success(mx: Mx, op: Op, before: dict[str, Any], after: dict[str, Any], receipt: Any) -> None:
    """Replay the legs on a model of the token and compare everything."""
    token = mx.token
    bal, frozen, supply = dict(before["balances"]), dict(before["frozen"]), before["supply"]
    names: list[str] = []
    transfers, frozen_events, forced_events = [], [], []
    for leg in op.legs:
        if leg.kind in ("burn", "forced"):
            # Burns and forced transfers take frozen tokens last: only what they take beyond the unfrozen balance
            # is released (`TokensUnfrozen`, then `Frozen` with the new amount, BEFORE `Transfer`).
            released = leg.amount - max(0, bal[leg.sender] - frozen[leg.sender])
            if released > 0:
                frozen[leg.sender] -= released
                names += ["TokensUnfrozen", "Frozen"]
                frozen_events.append({"account": leg.sender, "amount": frozen[leg.sender]})
        if leg.sender is not None:
            bal[leg.sender] -= leg.amount
        else:
            supply += leg.amount
        if leg.recipient is not None:
            bal[leg.recipient] += leg.amount
        else:
            supply -= leg.amount
        names.append("Transfer")
        transfers.append({"from": leg.sender or ZERO, "to": leg.recipient or ZERO, "value": leg.amount})
        if leg.kind == "forced":
            names.append("ForcedTransfer")
            forced_events.append({"from": leg.sender, "to": leg.recipient, "amount": leg.amount})

    assert after["balances"] == bal
    assert after["frozen"] == frozen
    assert after["flags"] == before["flags"]
    assert after["supply"] == supply
    holders = {mx.investor_of[w] for w, b in bal.items() if b > 0 and w in mx.investor_of}
    assert after["holders"] == len(holders)
    assert token.event_names(receipt) == names
    assert [dict(e["args"]) for e in token.events(receipt, "Transfer")] == transfers
    assert [dict(e["args"]) for e in token.events(receipt, "Frozen")] == frozen_events
    assert [dict(e["args"]) for e in token.events(receipt, "ForcedTransfer")] == forced_events
    if op.legs[0].kind == "transfer" and after["allowance"] != before["allowance"]:
        assert before["allowance"] - after["allowance"] == op.legs[0].amount


# --------------------------------------------------------------------------------------------- recovery

RECOVERY = {
    "unverified": "RecoveryInvestorMismatch",  # a never-registered wallet is not the investor's
    "expired": 16,  # the new wallet must be able to receive (canReceive): verified ...
    "revoked": 3,
    "frozen": OK,  # the address freeze moves to the new wallet
    "partly_frozen": OK,  # the frozen amount moves to the new wallet
    "wrong_country": 7,  # ... with its country and class admitted (XAVIER's wallets are both SG retail)
    "wrong_class": 8,  # pause, lock-up and the holder rules are ignored
    "max_balance": OK,
    "max_holders": OK,
    "paused": OK,
}


@pytest.mark.parametrize(("condition", "expected"), list(RECOVERY.items()), ids=list(RECOVERY))
def test_matrix_recovery(mx: Mx, condition: str, expected: Any) -> None:
    token, agent = mx.token, mx.w.agent
    lost = mx.x1.address
    if condition == "unverified":
        new = mx.u.address
    else:
        assert apply_condition(mx, condition, "lost") == mx.x1
        new = mx.x2.address
    before = mx.w.state()
    balance = before["balances"][lost]

    def recover() -> Any:
        return token.recover(agent, lost, new, "XAVIER")

    if expected == "RecoveryInvestorMismatch":
        with (
            unchanged(mx.w.chain, agent, watch=mx.w.state),
            reverts("RecoveryInvestorMismatch", lostWallet=lost, newWallet=new, investorId=id32("XAVIER")),
        ):
            recover()
        return
    if expected != OK:
        with unchanged(mx.w.chain, agent, watch=mx.w.state), restricted(expected, lost, new, balance):
            recover()
        return

    receipt = recover()
    after = mx.w.state()
    names: list[str] = []
    expected_frozen = dict(before["frozen"])
    expected_flags = dict(before["flags"])
    if before["frozen"][lost]:
        names += ["TokensUnfrozen", "Frozen", "TokensFrozen", "Frozen"]
        expected_frozen[lost], expected_frozen[new] = 0, before["frozen"][new] + before["frozen"][lost]
        assert [dict(e["args"]) for e in token.events(receipt, "Frozen")] == [
            {"account": lost, "amount": 0},
            {"account": new, "amount": expected_frozen[new]},
        ]
    if before["flags"][lost]:
        names += ["AddressFrozen", "AddressFrozen"]
        expected_flags[lost], expected_flags[new] = False, True
        assert [dict(e["args"]) for e in token.events(receipt, "AddressFrozen")] == [
            {"user": lost, "isFrozen": False, "owner": agent.address},
            {"user": new, "isFrozen": True, "owner": agent.address},
        ]
    names += ["Transfer", "RecoverySuccess"]
    assert token.event_names(receipt) == names
    assert [dict(e["args"]) for e in token.events(receipt, "Transfer")] == [{"from": lost, "to": new, "value": balance}]
    assert [dict(e["args"]) for e in token.events(receipt, "RecoverySuccess")] == [
        {"lostWallet": lost, "newWallet": new, "investorId": id32("XAVIER")}
    ]
    expected_balances = dict(before["balances"], **{lost: 0, new: before["balances"][new] + balance})
    assert after["balances"] == expected_balances
    assert after["frozen"] == expected_frozen
    assert after["flags"] == expected_flags
    assert after["supply"] == before["supply"]
    assert after["holders"] == before["holders"]
    assert token.investor_balance("XAVIER") == token.from_units(balance + before["balances"][new])
    assert addr(new) in mx.w.registry.wallets_of("XAVIER")
