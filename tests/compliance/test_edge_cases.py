"""Edge cases other implementations got wrong, each its own named test."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import TransactionReverted, TransferCheck
from hktoken.abi import python_name
from hktoken.contracts.token import RWAToken
from hktoken.models.restrictions import message_for
from hktoken.testing import reverts

from ._helpers import (
    DAY,
    HK,
    INST,
    KP,
    MAX_UINT,
    PRO,
    YEAR,
    ZERO,
    World,
    batch_call,
    event_args,
    extra_account,
    fund,
    id32,
    investor,
    restricted,
    unchanged,
    unfrozen_shortfall,
    when,
)

# Runs on RWAToken and on every asset token (tests/compliance/_kinds.py): the conformance battery.
EVERY_TOKEN = True


@dataclass
class Ed:
    w: World
    alice: LocalAccount  # ALICE wallet 1, 1000
    a2: LocalAccount  # ALICE wallet 2, unfunded
    bob: LocalAccount  # BOB, 1000
    carol: LocalAccount  # CAROL, 1000, KYC for 30 days
    dan: LocalAccount  # DAN, 1000
    erin: str  # ERIN, registered, unfunded
    u: LocalAccount  # never registered
    spender: LocalAccount
    investor_of: dict[str, str]

    @property
    def token(self) -> RWAToken:
        return self.w.token

    def u18(self, amount: Any) -> int:
        return self.w.u(amount)

    def holders_from_balances(self) -> int:
        bal = self.w.state()["balances"]
        return len({self.investor_of[a] for a, b in bal.items() if b and a in self.investor_of})


@pytest.fixture(scope="module")
def ed(world: World, accounts: list[LocalAccount]) -> Ed:
    chain = world.chain
    alice, bob, carol, dan = accounts[6:10]
    a2, u, spender, erin = (extra_account(n) for n in ("a2", "u", "spender", "erin"))
    fund(chain, a2, u, spender)
    world.registry.register(
        world.admin,
        [
            investor(chain, "ALICE", [alice, a2]),
            investor(chain, "BOB", [bob]),
            investor(chain, "CAROL", [carol], ttl=30 * DAY),
            investor(chain, "DAN", [dan]),
            investor(chain, "ERIN", [erin]),
        ],
    )
    world.token.batch_mint(world.issuer, [(a.address, 1000) for a in (alice, bob, carol, dan, world.treasury)])
    world.people = {"alice": alice, "a2": a2, "bob": bob, "carol": carol, "dan": dan, "erin": erin, "u": u}
    investor_of: dict[str, str] = {
        alice.address: "ALICE",
        a2.address: "ALICE",
        bob.address: "BOB",
        carol.address: "CAROL",
    }
    investor_of |= {dan.address: "DAN", erin.address: "ERIN"}
    assert world.token.holder_count() == 4
    return Ed(world, alice, a2, bob, carol, dan, erin.address, u, spender, investor_of)


# --------------------------------------------------------------------------------------------- KYC expiry


def test_kyc_expiry_is_honoured_not_only_revocation(ed: Ed) -> None:
    token, w, registry = ed.token, ed.w, ed.w.registry
    carol, bob = ed.carol.address, ed.bob.address
    expiry = int(registry.profile(carol).kyc_expiry.timestamp())
    amount = ed.u18(10)
    # The second before expiry: verified. At the expiry second: not (kycExpiry > block.timestamp).
    w.chain.set_next_block_timestamp(expiry - 1)
    w.chain.mine()
    assert registry.is_verified(carol)
    assert token.check_transfer(carol, bob, 10).code == 0 and token.check_transfer(bob, carol, 10).code == 0
    w.chain.set_next_block_timestamp(expiry)
    w.chain.mine()
    assert not registry.is_verified(carol)
    assert registry.profile(carol).revoked is False  # expiry alone, nobody revoked anything
    # Expiry has codes of its own (15 sender, 16 recipient): an operator sees why, not just "not verified".
    assert token.check_transfer(carol, bob, 10) == TransferCheck(15, "sender KYC expired")
    assert token.check_transfer(bob, carol, 10) == TransferCheck(16, "recipient KYC expired")
    assert token.raw.detect_transfer_restriction(ZERO, carol, amount) == 16
    assert token.can_receive(carol) is False
    assert token.can_send(carol) is True  # it may still exit to the treasury
    assert token.can_transfer(carol, w.treasury.address, 10) is True

    with unchanged(w.chain, ed.carol, watch=w.state), restricted(15, carol, bob, amount):
        token.transfer(ed.carol, bob, 10)
    with unchanged(w.chain, ed.bob, watch=w.state), restricted(16, bob, carol, amount):
        token.transfer(ed.bob, carol, 10)
    with unchanged(w.chain, w.issuer, watch=w.state), restricted(16, ZERO, carol, amount):
        token.mint(w.issuer, carol, 10)
    with unchanged(w.chain, w.agent, watch=w.state), restricted(16, bob, carol, amount):
        token.forced_transfer(w.agent, bob, carol, 10)

    receipt = registry.renew_kyc(w.admin, "CAROL", when(w.chain, YEAR))
    assert registry.event_names(receipt) == ["KycRenewed"]
    assert registry.is_verified(carol)
    token.transfer(ed.bob, carol, 10)
    assert token.raw_balance_of(carol) == ed.u18(1010)


# --------------------------------------------------------------------------------------------- forced transfer


@pytest.mark.parametrize("amount", [100, 900, 1000, 1001], ids=["within-unfrozen", "into-frozen", "whole", "above"])
def test_forced_transfer_to_the_same_address_reverts_and_changes_nothing(ed: Ed, amount: int) -> None:
    token, w, alice = ed.token, ed.w, ed.alice.address
    token.freeze_partial(w.agent, alice, 300)
    token.set_address_frozen(w.agent, alice, True)
    with unchanged(w.chain, w.agent, watch=w.state), reverts("ForcedTransferToSameAccount", account=alice):
        token.forced_transfer(w.agent, alice, alice, amount)
    legs = ([ed.bob.address, alice], [w.treasury.address, alice], [1, ed.u18(amount)])
    with unchanged(w.chain, w.agent, watch=w.state), reverts("ForcedTransferToSameAccount", account=alice):
        token.raw.batch_forced_transfer(w.agent, *legs)
    assert token.frozen_tokens(alice) == 300 and token.is_frozen(alice)


FORCED_FROZEN = [
    # (frozen before, amount, frozen after or None when nothing is released), balance 1000: the unfrozen part goes
    # first, then only what is taken beyond it is released, so a frozen amount above the balance keeps its excess
    # (ERC-7943 reference: 1000 held, 1500 frozen, 100 taken -> 1400 frozen).
    pytest.param(800, 200, None, id="exactly-the-unfrozen-part"),
    pytest.param(800, 201, 799, id="one-into-frozen"),
    pytest.param(800, 500, 500, id="into-frozen"),
    pytest.param(800, 1000, 0, id="whole-balance"),
    pytest.param(1500, 100, 1400, id="frozen-above-balance"),
    pytest.param(5000, 100, 4900, id="pre-frozen-future-receipts"),
]


@pytest.mark.parametrize(("frozen", "amount", "frozen_after"), FORCED_FROZEN)
def test_forced_transfer_into_frozen_tokens_lowers_the_frozen_amount_first(
    ed: Ed, frozen: int, amount: int, frozen_after: int | None
) -> None:
    token, w, alice, bob = ed.token, ed.w, ed.alice.address, ed.bob.address
    token.set_frozen_tokens(w.agent, alice, frozen)
    before = w.state()
    receipt = token.forced_transfer(w.agent, alice, bob, amount)
    raw = ed.u18(amount)
    if frozen_after is None:
        assert token.event_names(receipt) == ["Transfer", "ForcedTransfer"]
        assert token.frozen_tokens(alice) == frozen
    else:
        # ERC-3643 `TokensUnfrozen` (what was released) and ERC-7943 `Frozen` (the NEW frozen amount) before
        # `Transfer`, `ForcedTransfer` after.
        assert token.event_names(receipt) == ["TokensUnfrozen", "Frozen", "Transfer", "ForcedTransfer"]
        released = ed.u18(frozen - frozen_after)
        assert event_args(token, receipt, "TokensUnfrozen") == [{"user": alice, "amount": released}]
        assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": ed.u18(frozen_after)}]
        assert token.frozen_tokens(alice) == frozen_after
    assert event_args(token, receipt, "Transfer") == [{"from": alice, "to": bob, "value": raw}]
    assert event_args(token, receipt, "ForcedTransfer") == [{"from": alice, "to": bob, "amount": raw}]
    after = w.state()
    assert after["balances"][alice] == before["balances"][alice] - raw
    assert after["balances"][bob] == before["balances"][bob] + raw
    assert after["supply"] == before["supply"]
    assert after["holders"] == ed.holders_from_balances()


@pytest.mark.parametrize(("frozen", "amount", "frozen_after"), FORCED_FROZEN)
def test_burn_beyond_the_unfrozen_amount_lowers_the_frozen_amount_first(
    ed: Ed, frozen: int, amount: int, frozen_after: int | None
) -> None:
    token, w, alice = ed.token, ed.w, ed.alice.address
    token.set_frozen_tokens(w.agent, alice, frozen)
    before = w.state()
    receipt = token.burn(w.issuer, alice, amount)
    raw = ed.u18(amount)
    if frozen_after is None:
        assert token.event_names(receipt) == ["Transfer"]
        assert token.frozen_tokens(alice) == frozen
    else:
        assert token.event_names(receipt) == ["TokensUnfrozen", "Frozen", "Transfer"]
        released = ed.u18(frozen - frozen_after)
        assert event_args(token, receipt, "TokensUnfrozen") == [{"user": alice, "amount": released}]
        assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": ed.u18(frozen_after)}]
        assert token.frozen_tokens(alice) == frozen_after
    assert event_args(token, receipt, "Transfer") == [{"from": alice, "to": ZERO, "value": raw}]
    after = w.state()
    assert after["balances"][alice] == before["balances"][alice] - raw
    assert after["supply"] == before["supply"] - raw
    assert after["holders"] == ed.holders_from_balances()


HOLDER_MOVES = [
    # (from, to, amount, change in holder count)
    pytest.param("alice", "erin", 1000, 0, id="whole-balance-to-a-new-investor"),
    pytest.param("alice", "bob", 1000, -1, id="whole-balance-to-an-existing-holder"),
    pytest.param("alice", "treasury", 1000, -1, id="whole-balance-to-the-treasury"),
    pytest.param("alice", "erin", 10, +1, id="part-to-a-new-investor"),
    pytest.param("alice", "a2", 1000, 0, id="whole-balance-to-own-second-wallet"),
    pytest.param("alice", "a2", 10, 0, id="part-to-own-second-wallet"),
    pytest.param("treasury", "erin", 10, +1, id="treasury-to-a-new-investor"),
    pytest.param("treasury", "bob", 1000, 0, id="treasury-to-an-existing-holder"),
]


@pytest.mark.parametrize(("sender", "recipient", "amount", "delta"), HOLDER_MOVES)
def test_forced_transfers_keep_holder_counts_right(
    ed: Ed, sender: str, recipient: str, amount: int, delta: int
) -> None:
    token, w = ed.token, ed.w
    names = {"treasury": w.treasury.address} | {k: v.address for k, v in w.people.items()}
    before = token.holder_count()
    token.forced_transfer(w.agent, names[sender], names[recipient], amount)
    assert token.holder_count() == before + delta == ed.holders_from_balances()
    key = w.registry.profile(ed.alice.address).key
    alice_wallets = sum(1 for a in (ed.alice, ed.a2) if token.raw_balance_of(a.address))
    assert token.raw.funded_wallets(key) == alice_wallets


def test_batch_forced_round_trip_keeps_holder_count(ed: Ed) -> None:
    token, w = ed.token, ed.w
    all_of_alice = ed.u18(1000)
    legs = ([ed.alice.address, ed.erin], [ed.erin, ed.alice.address], [all_of_alice, all_of_alice])
    receipt = token.raw.batch_forced_transfer(w.agent, *legs)
    assert token.event_names(receipt) == ["Transfer", "ForcedTransfer"] * 2
    assert token.holder_count() == 4 == ed.holders_from_balances()
    assert token.raw_balance_of(ed.alice.address) == all_of_alice and token.raw_balance_of(ed.erin) == 0


# --------------------------------------------------------------------------------------------- recovery


def test_recovery_moves_balance_frozen_amount_and_freeze_flag(ed: Ed) -> None:
    token, w = ed.token, ed.w
    lost, new = ed.alice.address, ed.a2.address
    token.freeze_partial(w.agent, lost, 300)
    token.set_address_frozen(w.agent, lost, True)
    holders = token.holder_count()
    key = w.registry.profile(lost).key
    assert token.investor_balance("ALICE") == Decimal(1000)
    receipt = token.recover(w.agent, lost, new, "ALICE")
    # The frozen amount moves as ERC-3643 deltas and ERC-7943 totals, so both event streams add up.
    assert token.event_names(receipt) == [
        "TokensUnfrozen", "Frozen", "TokensFrozen", "Frozen", "AddressFrozen", "AddressFrozen", "Transfer",
        "RecoverySuccess",
    ]  # fmt: skip
    assert event_args(token, receipt, "Frozen") == [
        {"account": lost, "amount": 0},
        {"account": new, "amount": ed.u18(300)},
    ]
    assert event_args(token, receipt, "TokensUnfrozen") == [{"user": lost, "amount": ed.u18(300)}]
    assert event_args(token, receipt, "TokensFrozen") == [{"user": new, "amount": ed.u18(300)}]
    assert event_args(token, receipt, "AddressFrozen") == [
        {"user": lost, "isFrozen": False, "owner": w.agent.address},
        {"user": new, "isFrozen": True, "owner": w.agent.address},
    ]
    assert event_args(token, receipt, "Transfer") == [{"from": lost, "to": new, "value": ed.u18(1000)}]
    assert event_args(token, receipt, "RecoverySuccess") == [
        {"lostWallet": lost, "newWallet": new, "investorId": id32("ALICE")}
    ]
    after = w.state()
    assert (after["balances"][lost], after["balances"][new]) == (0, ed.u18(1000))
    assert (after["frozen"][lost], after["frozen"][new]) == (0, ed.u18(300))
    assert (after["flags"][lost], after["flags"][new]) == (False, True)
    assert token.holder_count() == holders
    assert token.raw.funded_wallets(key) == 1
    assert token.investor_balance("ALICE") == Decimal(1000)
    # The new wallet is frozen like the lost one was: the holder cannot move the tokens yet.
    with unchanged(w.chain, ed.a2, watch=w.state), restricted(4, new, ed.bob.address, ed.u18(1)):
        token.transfer(ed.a2, ed.bob.address, 1)


def test_recovery_of_a_lost_wallet_already_removed_from_the_registry(ed: Ed) -> None:
    token, w = ed.token, ed.w
    lost, new = ed.alice.address, ed.a2.address
    w.registry.remove_wallet(w.admin, lost)
    assert not w.registry.is_verified(lost) and w.registry.investor_of(lost) == "ALICE"
    # A removed wallet that still holds tokens keeps counting toward its investor.
    assert token.investor_balance("ALICE") == Decimal(1000)
    holders = token.holder_count()
    token.recover(w.agent, lost, new, "ALICE")
    assert token.investor_balance("ALICE") == Decimal(1000)
    assert token.holder_count() == holders == ed.holders_from_balances()


def test_recovery_into_a_funded_wallet_merges_balances_and_frozen_amounts(ed: Ed) -> None:
    token, w = ed.token, ed.w
    lost, new = ed.alice.address, ed.a2.address
    token.transfer(ed.alice, new, 50)
    token.freeze_partial(w.agent, new, 20)
    token.freeze_partial(w.agent, lost, 300)
    key = w.registry.profile(lost).key
    assert token.raw.funded_wallets(key) == 2
    holders = token.holder_count()
    receipt = token.recover(w.agent, lost, new, "ALICE")
    assert token.event_names(receipt) == [
        "TokensUnfrozen",
        "Frozen",
        "TokensFrozen",
        "Frozen",
        "Transfer",
        "RecoverySuccess",
    ]
    assert event_args(token, receipt, "Frozen")[1] == {"account": new, "amount": ed.u18(320)}
    assert event_args(token, receipt, "TokensFrozen") == [{"user": new, "amount": ed.u18(300)}]
    assert (token.raw_balance_of(lost), token.raw_balance_of(new)) == (0, ed.u18(1000))
    assert (token.frozen_tokens(lost), token.frozen_tokens(new)) == (Decimal(0), Decimal(320))
    assert token.raw.funded_wallets(key) == 1
    assert token.holder_count() == holders


def test_recovery_works_for_a_zero_balance(ed: Ed) -> None:
    token, w = ed.token, ed.w
    empty, new = ed.a2.address, ed.alice.address  # a2 never held anything
    holders, before = token.holder_count(), w.state()
    receipt = token.recover(w.agent, empty, new, "ALICE")
    assert token.event_names(receipt) == ["Transfer", "RecoverySuccess"]
    assert event_args(token, receipt, "Transfer") == [{"from": empty, "to": new, "value": 0}]
    assert w.state() == before and token.holder_count() == holders


@pytest.mark.parametrize(
    ("lost", "new", "investor_id"),
    [
        pytest.param("alice", "bob", "ALICE", id="new-wallet-of-another-investor"),
        pytest.param("bob", "a2", "ALICE", id="lost-wallet-of-another-investor"),
        pytest.param("alice", "a2", "BOB", id="both-wallets-not-of-that-investor"),
        pytest.param("u", "a2", "ALICE", id="lost-wallet-never-registered"),
        pytest.param("alice", "u", "ALICE", id="new-wallet-never-registered"),
    ],
)
def test_recovery_refuses_a_wallet_of_another_investor(ed: Ed, lost: str, new: str, investor_id: str) -> None:
    token, w = ed.token, ed.w
    lost_a, new_a = w.people[lost].address, w.people[new].address
    with (
        unchanged(w.chain, w.agent, watch=w.state),
        reverts("RecoveryInvestorMismatch", lostWallet=lost_a, newWallet=new_a, investorId=id32(investor_id)),
    ):
        token.recover(w.agent, lost_a, new_a, investor_id)


def test_recovery_to_the_same_wallet_is_refused(ed: Ed) -> None:
    token, w, alice = ed.token, ed.w, ed.alice.address
    with unchanged(w.chain, w.agent, watch=w.state), reverts("RecoveryToSameWallet", wallet=alice):
        token.recover(w.agent, alice, alice, "ALICE")


# --------------------------------------------------------------------------------------------- lost eligibility


def _lose_eligibility(ed: Ed, how: str) -> LocalAccount:
    w = ed.w
    if how == "revoked":
        w.registry.revoke(w.admin, "DAN")
        return ed.dan
    if how == "expired":
        w.chain.increase_time(31 * DAY)
        return ed.carol
    w.registry.remove_wallet(w.admin, ed.bob.address)  # "removed": the wallet is retired for good
    return ed.bob


@pytest.mark.parametrize("how", ["revoked", "expired", "removed"])
def test_holder_who_lost_eligibility_exits_to_the_treasury_and_nowhere_else(ed: Ed, how: str) -> None:
    token, w = ed.token, ed.w
    holder = _lose_eligibility(ed, how)
    h, treasury, alice = holder.address, w.treasury.address, ed.alice.address
    code = 15 if how == "expired" else 2  # an expired KYC has its own code
    assert not w.registry.is_verified(h)
    assert token.can_send(h) is True and token.can_receive(h) is False
    assert token.can_transfer(h, treasury, 100) is True
    assert token.can_transfer(h, alice, 100) is False
    assert token.check_transfer(h, alice, 100).code == code
    with unchanged(w.chain, holder, watch=w.state), restricted(code, h, alice, ed.u18(100)):
        token.transfer(holder, alice, 100)
    token.approve(holder, ed.spender.address, 200)
    with unchanged(w.chain, ed.spender, watch=w.state), restricted(code, h, alice, ed.u18(100)):
        token.transfer_from(ed.spender, h, alice, 100)
    with unchanged(w.chain, holder, watch=w.state), restricted(code, h, alice, ed.u18(1)):
        token.batch_transfer(holder, [(treasury, 1), (alice, 1)])
    token.transfer(holder, treasury, 100)
    token.transfer_from(ed.spender, h, treasury, 200)
    assert token.raw_balance_of(h) == ed.u18(700)
    assert token.raw_balance_of(treasury) == ed.u18(1300)


# --------------------------------------------------------------------------------------------- ERC-7943


def _scenario(ed: Ed, name: str) -> tuple[LocalAccount, str, int]:
    token, w = ed.token, ed.w
    alice, bob = ed.alice, ed.bob.address
    if name == "sender-frozen":
        token.set_address_frozen(w.agent, alice.address, True)
    elif name == "recipient-frozen":
        token.set_address_frozen(w.agent, bob, True)
    elif name == "recipient-unverified":
        return alice, ed.u.address, 10
    elif name == "within-unfrozen":
        token.freeze_partial(w.agent, alice.address, 990)
    elif name == "over-unfrozen":
        token.freeze_partial(w.agent, alice.address, 991)
    elif name == "frozen-above-balance":
        token.set_frozen_tokens(w.agent, alice.address, 5000)
    elif name == "paused":
        token.pause(w.pauser)
    elif name == "locked-up":
        w.comply("setLockupUntil", w.chain.timestamp() + DAY)
    elif name == "blocked-country":
        w.comply("setBlockedCountries", [HK], True)
    elif name == "class-mask":
        w.comply("setRequiredInvestorClasses", 1 << INST)
    elif name == "exit-to-treasury-with-rules":
        w.comply("setBlockedCountries", [HK], True)
        return alice, w.treasury.address, 10
    elif name == "max-holders-full-exit":
        w.comply("setMaxHolders", 4)
        return alice, ed.erin, 1000
    return alice, bob, 10


SCENARIOS = [
    "plain", "sender-frozen", "recipient-frozen", "recipient-unverified", "within-unfrozen", "over-unfrozen",
    "frozen-above-balance", "paused", "locked-up", "blocked-country", "class-mask",
    "exit-to-treasury-with-rules", "max-holders-full-exit",
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_can_transfer_is_false_exactly_when_the_transfer_fails(ed: Ed, scenario: str) -> None:
    token = ed.token
    sender, recipient, amount = _scenario(ed, scenario)
    allowed = token.can_transfer(sender.address, recipient, amount)
    code = token.check_transfer(sender.address, recipient, amount).code
    assert allowed is (code == 0)
    if not token.can_send(sender.address):
        assert not allowed  # ERC-7943: canSend false -> the transfer fails
    if not token.can_receive(recipient):
        assert not allowed  # ERC-7943: canReceive false -> the transfer fails
    try:
        token.transfer(sender, recipient, amount)
        succeeded = True
    except TransactionReverted as exc:
        succeeded = False
        assert getattr(exc, "code", None) == code
    assert succeeded is allowed
    expected_allowed = scenario in ("plain", "within-unfrozen", "exit-to-treasury-with-rules", "max-holders-full-exit")
    assert allowed is expected_allowed


@pytest.mark.parametrize("frozen", [0, 500], ids=["no-freeze", "partly-frozen"])
def test_can_transfer_is_not_false_for_a_plain_balance_shortfall(ed: Ed, frozen: int) -> None:
    token, w, alice, bob = ed.token, ed.w, ed.alice.address, ed.bob.address
    if frozen:
        token.freeze_partial(w.agent, alice, frozen)
    assert token.can_transfer(alice, bob, 1001) is True
    assert token.check_transfer(alice, bob, 1001).code == 0
    insufficient = reverts("ERC20InsufficientBalance", sender=alice, balance=ed.u18(1000), needed=ed.u18(1001))
    with unchanged(w.chain, ed.alice, watch=w.state), insufficient as refusal:
        token.transfer(ed.alice, bob, 1001)
    assert type(refusal.value) is TransactionReverted


def test_insufficient_unfrozen_balance_error_carries_account_amount_and_unfrozen(ed: Ed) -> None:
    token, w, alice, bob = ed.token, ed.w, ed.alice.address, ed.bob.address
    token.freeze_partial(w.agent, alice, 500)
    assert token.can_transfer(alice, bob, 500) is True
    assert token.can_transfer(alice, bob, Decimal("500.000000000000000001")) is False
    with unchanged(w.chain, ed.alice, watch=w.state), unfrozen_shortfall(alice, ed.u18(501), ed.u18(500)) as refusal:
        token.transfer(ed.alice, bob, 501)
    assert str(refusal.value) == f"TransferRestricted(code=6, reason={message_for(6)!r})"
    token.approve(ed.alice, ed.spender.address, 1000)
    with unchanged(w.chain, ed.spender, watch=w.state), unfrozen_shortfall(alice, ed.u18(1000), ed.u18(500)):
        token.transfer_from(ed.spender, alice, bob, 1000)
    token.transfer(ed.alice, bob, 500)  # exactly the unfrozen part is fine
    with unchanged(w.chain, ed.alice, watch=w.state), unfrozen_shortfall(alice, 1, 0):
        token.transfer(ed.alice, bob, Decimal("1e-18"))


def test_set_frozen_tokens_may_exceed_the_balance(ed: Ed) -> None:
    token, w, alice, bob = ed.token, ed.w, ed.alice.address, ed.bob.address
    receipt = token.set_frozen_tokens(w.agent, alice, 1500)
    assert token.event_names(receipt) == ["TokensFrozen", "Frozen"]  # the ERC-3643 delta, then the ERC-7943 total
    assert event_args(token, receipt, "TokensFrozen") == [{"user": alice, "amount": ed.u18(1500)}]
    assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": ed.u18(1500)}]
    assert token.frozen_tokens(alice) == 1500 and token.balance_of(alice) == 1000
    assert token.is_frozen(alice) is False  # a partial freeze is not an address freeze
    with unchanged(w.chain, ed.alice, watch=w.state), unfrozen_shortfall(alice, ed.u18(1), 0):
        token.transfer(ed.alice, bob, 1)
    with (
        unchanged(w.chain, w.agent, watch=w.state),
        reverts("FreezeExceedsBalance", account=alice, balance=ed.u18(1000), frozenAfter=ed.u18(1500) + 1),
    ):
        token.freeze_partial(w.agent, alice, Decimal("1e-18"))
    # ERC-7943's amount is a uint256: the whole range is accepted and read back exactly.
    receipt = token.raw.set_frozen_tokens(w.agent, alice, MAX_UINT)
    assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": MAX_UINT}]
    assert token.raw.get_frozen_tokens(alice) == MAX_UINT
    assert token.can_transfer(alice, bob, Decimal("1e-18")) is False
    receipt = token.set_frozen_tokens(w.agent, alice, 0)
    assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": 0}]
    assert token.raw.get_frozen_tokens(alice) == 0
    token.transfer(ed.alice, bob, 1000)


def test_partial_freeze_and_unfreeze_events_and_errors(ed: Ed) -> None:
    token, w, alice = ed.token, ed.w, ed.alice.address
    receipt = token.freeze_partial(w.agent, alice, 400)
    assert token.event_names(receipt) == ["TokensFrozen", "Frozen"]
    assert event_args(token, receipt, "TokensFrozen") == [{"user": alice, "amount": ed.u18(400)}]
    assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": ed.u18(400)}]
    with (
        unchanged(w.chain, w.agent, watch=w.state),
        reverts("FreezeExceedsBalance", account=alice, balance=ed.u18(1000), frozenAfter=ed.u18(1001)),
    ):
        token.freeze_partial(w.agent, alice, 601)
    with (
        unchanged(w.chain, w.agent, watch=w.state),
        reverts("UnfreezeExceedsFrozen", account=alice, frozen=ed.u18(400), amount=ed.u18(401)),
    ):
        token.unfreeze_partial(w.agent, alice, 401)
    receipt = token.unfreeze_partial(w.agent, alice, 150)
    assert token.event_names(receipt) == ["TokensUnfrozen", "Frozen"]
    assert event_args(token, receipt, "TokensUnfrozen") == [{"user": alice, "amount": ed.u18(150)}]
    assert event_args(token, receipt, "Frozen") == [{"account": alice, "amount": ed.u18(250)}]
    for function, args in (
        ("setAddressFrozen", (ZERO, True)),
        ("freezePartialTokens", (ZERO, 0)),
        ("unfreezePartialTokens", (ZERO, 0)),
        ("setFrozenTokens", (ZERO, 1)),
    ):
        with unchanged(w.chain, w.agent, watch=w.state), reverts("ZeroAddress"):
            getattr(token.raw, python_name(function))(w.agent, *args)
    receipt = token.raw.batch_set_address_frozen(w.agent, [alice, ed.bob.address], [True, False])
    assert event_args(token, receipt, "AddressFrozen") == [
        {"user": alice, "isFrozen": True, "owner": w.agent.address},
        {"user": ed.bob.address, "isFrozen": False, "owner": w.agent.address},
    ]
    assert token.is_frozen(alice) and not token.is_frozen(ed.bob.address)
    assert token.frozen_tokens(alice) == 250  # the address freeze and the partial freeze are independent


# --------------------------------------------------------------------------------------------- views


def _all_views(ed: Ed) -> list[Any]:
    token, registry = ed.token.address, ed.w.registry.address
    stranger, alice = ed.u.address, ed.alice.address
    calls: list[Any] = []
    for a, b in ((ZERO, ZERO), (ZERO, stranger), (stranger, ZERO), (stranger, stranger), (alice, stranger),
                 (stranger, alice), (alice, alice), (ZERO, alice), (alice, ZERO)):  # fmt: skip
        for amount in (0, 1, 2**255, MAX_UINT):
            calls.append(
                (token, "detectTransferRestriction", ["address", "address", "uint256"], [a, b, amount], ["uint8"])
            )
            calls.append((token, "canTransfer", ["address", "address", "uint256"], [a, b, amount], ["bool"]))
    for account in (ZERO, stranger, alice):
        for fn, out in (("canSend", "bool"), ("canReceive", "bool"), ("getFrozenTokens", "uint256"),
                        ("isFrozen", "bool"), ("balanceOf", "uint256"), ("mintAllowance", "uint256"),
                        ("nonces", "uint256")):  # fmt: skip
            calls.append((token, fn, ["address"], [account], [out]))
        calls.append((token, "mintRateLimit", ["address"], [account], ["uint128", "uint64"]))
        for fn, out in (("isVerified", "bool"), ("contains", "bool"), ("isRetired", "bool"),
                        ("investorOf", "bytes32"), ("investorCountry", "uint16")):  # fmt: skip
            calls.append((registry, fn, ["address"], [account], [out]))
        calls.append((registry, "profileOf", ["address"], [account], ["(uint48,uint64,uint16,uint8,bool,bool)"]))
        calls.append((registry, "packedProfilesOf", ["address", "address"], [account, ZERO], ["uint256", "uint256"]))
    for ident in (bytes(32), id32("NOBODY"), b"\xff" * 32):
        calls.append((token, "investorBalance", ["bytes32"], [ident], ["uint256"]))
        calls.append((token, "getDocument", ["bytes32"], [ident], ["string", "bytes32", "uint256"]))
        calls.append((registry, "walletsOf", ["bytes32"], [ident], ["address[]"]))
        calls.append((registry, "investor", ["bytes32"], [ident], ["(uint48,uint64,uint16,uint8,bool,bool)"]))
    for key in (0, 2**48 - 1):
        calls.append((token, "fundedWallets", ["uint48"], [key], ["uint32"]))
        calls.append((registry, "walletsOfKey", ["uint48"], [key], ["address[]"]))
        calls.append((registry, "idOfKey", ["uint48"], [key], ["bytes32"]))
    for code in (0, 14, 15, 255):
        calls.append((token, "messageForTransferRestriction", ["uint8"], [code], ["string"]))
    for country in (0, 999, 1000, 65535):
        calls.append((token, "countryStatus", ["uint16"], [country], ["uint8"]))
    calls.append((token, "investorBalance", ["bytes32"], [id32("ALICE")], ["uint256"]))
    return batch_call(ed.w.chain, calls)  # asserts that none of them reverted


def test_views_never_revert(ed: Ed) -> None:
    token, w = ed.token, ed.w
    _all_views(ed)
    # Now with every rule on, freezes, a mint limit and the pause: still no view reverts.
    token.apply_rules(
        w.compliance,
        {
            "allowed_countries": {HK}, "blocked_countries": {KP}, "required_classes": {PRO},
            "max_holders": 4, "max_balance_per_investor": 2000, "lockup_until": None,
            "minimum_transfer": 1, "denomination": 1, "supply_cap": 10_000,
        },
    )  # fmt: skip
    w.comply("setLockupUntil", w.chain.timestamp() + DAY)
    token.raw.set_frozen_tokens(w.agent, ed.alice.address, 2**200)
    token.set_address_frozen(w.agent, ed.u.address, True)
    token.set_mint_rate_limit(w.admin, w.issuer.address, 10, 3600)
    token.pause(w.pauser)
    values = _all_views(ed)
    assert values[-1] == ed.u18(1000)  # investorBalance(ALICE)
    assert token.raw.detect_transfer_restriction(ZERO, ed.alice.address, MAX_UINT) == 1
    assert token.message_for_restriction(255) == "unknown restriction code"
    assert token.document("nothing-here").uri == ""
    token.unpause(w.pauser)
    assert token.raw.detect_transfer_restriction(ZERO, ed.alice.address, MAX_UINT) == 10
    assert token.raw.detect_transfer_restriction(ed.bob.address, ed.alice.address, MAX_UINT) == 10
    assert token.raw.detect_transfer_restriction(ed.bob.address, w.treasury.address, MAX_UINT) == 11


# --------------------------------------------------------------------------------------------- batch forms

BATCH_MISMATCH = [
    ("batchTransfer", "holder", lambda ed: ([ed.bob.address, ed.dan.address], [1])),
    ("batchMint", "issuer", lambda ed: ([ed.bob.address], [1, 2])),
    ("batchBurn", "issuer", lambda ed: ([ed.bob.address, ed.dan.address], [1])),
    ("batchForcedTransfer", "agent", lambda ed: ([ed.bob.address], [ed.dan.address, ed.alice.address], [1])),
    ("batchForcedTransfer", "agent", lambda ed: ([ed.bob.address], [ed.dan.address], [1, 1])),
    ("batchSetAddressFrozen", "agent", lambda ed: ([ed.bob.address], [True, False])),
    ("batchFreezePartialTokens", "agent", lambda ed: ([ed.bob.address, ed.dan.address], [1])),
    ("batchUnfreezePartialTokens", "agent", lambda ed: ([ed.bob.address], [])),
]


@pytest.mark.parametrize(
    ("function", "caller", "args"),
    [pytest.param(*case, id=f"{case[0]}-{i}") for i, case in enumerate(BATCH_MISMATCH)],
)
def test_token_batch_forms_refuse_unequal_arrays(ed: Ed, function: str, caller: str, args: Any) -> None:
    w = ed.w
    signer = {"holder": ed.alice, "issuer": w.issuer, "agent": w.agent}[caller]
    with unchanged(w.chain, signer, watch=w.state), reverts("ArrayLengthMismatch"):
        getattr(ed.token.raw, python_name(function))(signer, *args(ed))


def test_batch_burn_and_batch_mint_are_all_or_nothing(ed: Ed) -> None:
    token, w = ed.token, ed.w
    with (
        unchanged(w.chain, w.issuer, watch=w.state),
        reverts("ERC20InsufficientBalance", sender=ed.bob.address, balance=ed.u18(1000), needed=ed.u18(1001)),
    ):
        token.batch_burn(w.issuer, [(ed.alice.address, 1), (ed.bob.address, 1001)])
    with unchanged(w.chain, w.issuer, watch=w.state), restricted(3, ZERO, ed.u.address, ed.u18(1)):
        token.batch_mint(w.issuer, [(ed.alice.address, 1), (ed.u.address, 1)])
    receipt = token.batch_burn(w.issuer, [(ed.alice.address, 1000), (ed.bob.address, 1)])
    assert token.event_names(receipt) == ["Transfer", "Transfer"]
    assert token.holder_count() == 3 == ed.holders_from_balances()


CAN_SEND_RECEIVE = [
    # (state, wallet, canSend, canReceive)
    ("plain", "bob", True, True),
    ("address-frozen", "bob", False, False),
    ("partly-frozen", "bob", True, True),
    ("never-registered", "u", True, False),
    ("revoked", "dan", True, False),
    ("kyc-expired", "carol", True, False),
    ("blocked-country", "bob", True, False),
    ("class-not-admitted", "bob", True, False),
    ("treasury", "treasury", True, True),
    ("treasury-address-frozen", "treasury", False, False),  # as for any wallet: transfers fail with codes 4/5
]


@pytest.mark.parametrize(
    ("state", "wallet", "can_send", "can_receive"), [pytest.param(*c, id=c[0]) for c in CAN_SEND_RECEIVE]
)
def test_can_send_and_can_receive(ed: Ed, state: str, wallet: str, can_send: bool, can_receive: bool) -> None:
    token, w = ed.token, ed.w
    address = w.treasury.address if wallet == "treasury" else w.people[wallet].address
    if state in ("address-frozen", "treasury-address-frozen"):
        token.set_address_frozen(w.agent, address, True)
    elif state == "partly-frozen":
        token.freeze_partial(w.agent, address, 999)
    elif state == "revoked":
        w.registry.revoke(w.admin, "DAN")
    elif state == "kyc-expired":
        w.chain.increase_time(31 * DAY)
    elif state == "blocked-country":
        w.comply("setBlockedCountries", [HK], True)
    elif state == "class-not-admitted":
        w.comply("setRequiredInvestorClasses", 1 << INST)
    assert (token.can_send(address), token.can_receive(address)) == (can_send, can_receive)
