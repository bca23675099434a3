"""HKDStablecoin: 6 decimals, issuance and burning, the block-list (send, receive, spend), the pause, and no
KYC gate. (Its role checks are in test_roles.py.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import HKDStablecoin, SpecError
from hktoken.abi import python_name
from hktoken.contracts.base import deploy_contract
from hktoken.testing import reverts

from ._helpers import ZERO, batch_call, event_args, extra_account, fund, unchanged

HKD = 10**6


@dataclass
class Sc:
    chain: Any
    coin: HKDStablecoin
    admin: LocalAccount  # every duty
    a: LocalAccount  # never registered anywhere
    b: LocalAccount
    spender: LocalAccount

    def signers(self) -> tuple[LocalAccount, ...]:
        return (self.admin, self.a, self.b, self.spender)

    def state(self) -> list[Any]:
        c = self.coin.address
        calls: list[Any] = [(c, "totalSupply", [], [], ["uint256"]), (c, "paused", [], [], ["bool"])]
        for who in (self.admin, self.a, self.b, self.spender):
            calls.append((c, "balanceOf", ["address"], [who.address], ["uint256"]))
            calls.append((c, "isBlocked", ["address"], [who.address], ["bool"]))
            calls.append((c, "allowance", ["address", "address"], [who.address, self.spender.address], ["uint256"]))
        return batch_call(self.chain, calls)


@pytest.fixture(scope="module")
def sc(chain: Any, accounts: list[LocalAccount]) -> Sc:
    admin = accounts[0]
    a, b, spender = (extra_account(n) for n in ("hkd-a", "hkd-b", "hkd-spender"))
    fund(chain, a, b, spender)
    coin = HKDStablecoin.deploy(chain, admin)
    coin.mint(admin, a.address, 1000)
    coin.mint(admin, admin.address, 500)
    coin.approve(a, spender.address, 300)
    return Sc(chain, coin, admin, a, b, spender)


def test_metadata_and_units(sc: Sc) -> None:
    coin = sc.coin
    assert (coin.raw.name(), coin.raw.symbol(), coin.raw.decimals()) == ("HKD Stablecoin", "HKDS", 6)
    assert coin.to_units(Decimal("1.5")) == 1_500_000
    with pytest.raises(SpecError):
        coin.to_units(Decimal("0.0000001"))
    with pytest.raises(SpecError):
        coin.transfer(sc.a, sc.b.address, 0.5)  # type: ignore[arg-type]  # floats are refused before anything is sent


def test_mint_and_burn(sc: Sc) -> None:
    coin, admin = sc.coin, sc.admin
    supply = coin.total_supply()
    receipt = coin.mint(admin, sc.b.address, Decimal("1000.5"))
    assert event_args(coin, receipt, "Transfer") == [{"from": ZERO, "to": sc.b.address, "value": 1_000_500_000}]
    assert coin.balance_of(sc.b.address) == Decimal("1000.5")
    receipt = coin.burn(admin, Decimal("0.25"))  # from the issuer's own balance
    assert event_args(coin, receipt, "Transfer") == [{"from": admin.address, "to": ZERO, "value": 250_000}]
    assert coin.balance_of(admin.address) == Decimal("499.75")
    assert coin.total_supply() == supply + Decimal("1000.25")
    with (
        unchanged(sc.chain, admin, watch=sc.state),
        reverts("ERC20InsufficientBalance", sender=admin.address, balance=499_750_000, needed=500 * HKD),
    ):
        coin.burn(admin, 500)


def test_not_kyc_gated(sc: Sc) -> None:
    coin = sc.coin
    receipt = coin.transfer(sc.a, sc.b.address, 100)  # neither is registered anywhere
    assert event_args(coin, receipt, "Transfer") == [{"from": sc.a.address, "to": sc.b.address, "value": 100 * HKD}]
    coin.raw.transfer_from(sc.spender, sc.a.address, sc.b.address, 300 * HKD)
    assert (coin.balance_of(sc.a.address), coin.balance_of(sc.b.address)) == (Decimal(600), Decimal(400))


BLOCKED: list[tuple[str, str, Callable[[Sc], Any], Callable[[Sc], str]]] = [
    # (id, who is blocked, action, the account AccountIsBlocked names)
    ("sender", "a", lambda s: s.coin.transfer(s.a, s.b.address, 1), lambda s: s.a.address),
    ("recipient", "b", lambda s: s.coin.transfer(s.a, s.b.address, 1), lambda s: s.b.address),
    ("mint-recipient", "b", lambda s: s.coin.mint(s.admin, s.b.address, 1), lambda s: s.b.address),
    (
        "spender",
        "spender",
        lambda s: s.coin.raw.transfer_from(s.spender, s.a.address, s.b.address, HKD),
        lambda s: s.spender.address,
    ),
    (
        "owner-via-spender",
        "a",
        lambda s: s.coin.raw.transfer_from(s.spender, s.a.address, s.b.address, HKD),
        lambda s: s.a.address,
    ),
    (
        "recipient-via-spender",
        "b",
        lambda s: s.coin.raw.transfer_from(s.spender, s.a.address, s.b.address, HKD),
        lambda s: s.b.address,
    ),
    ("burning-issuer", "admin", lambda s: s.coin.burn(s.admin, 1), lambda s: s.admin.address),
]


@pytest.mark.parametrize(("blocked", "action", "named"), [pytest.param(*c[1:], id=c[0]) for c in BLOCKED])
def test_blocked_account_can_neither_send_receive_nor_spend(
    sc: Sc, blocked: str, action: Callable[[Sc], Any], named: Callable[[Sc], str]
) -> None:
    coin = sc.coin
    account = getattr(sc, blocked).address
    receipt = coin.block(sc.admin, account)
    assert event_args(coin, receipt, "AccountBlocked") == [{"account": account}]
    assert coin.is_blocked(account)
    with unchanged(sc.chain, *sc.signers(), watch=sc.state), reverts("AccountIsBlocked", account=named(sc)):
        action(sc)
    receipt = coin.unblock(sc.admin, account)
    assert event_args(coin, receipt, "AccountUnblocked") == [{"account": account}]
    assert not coin.is_blocked(account)
    action(sc)  # unblocked, the same action goes through


def test_block_list_refuses_the_zero_address(sc: Sc) -> None:
    for function in ("blockAccount", "unblockAccount"):
        with unchanged(sc.chain, sc.admin, watch=sc.state), reverts("ZeroAddress"):
            getattr(sc.coin.raw, python_name(function))(sc.admin, ZERO)


PAUSED_ACTIONS = [
    ("transfer", lambda s: s.coin.transfer(s.a, s.b.address, 1)),
    ("transferFrom", lambda s: s.coin.raw.transfer_from(s.spender, s.a.address, s.b.address, HKD)),
    ("mint", lambda s: s.coin.mint(s.admin, s.b.address, 1)),
    ("burn", lambda s: s.coin.burn(s.admin, 1)),
]


@pytest.mark.parametrize("action", [pytest.param(a, id=i) for i, a in PAUSED_ACTIONS])
def test_pause_stops_every_balance_change(sc: Sc, action: Callable[[Sc], Any]) -> None:
    coin = sc.coin
    receipt = coin.pause(sc.admin)
    assert event_args(coin, receipt, "Paused") == [{"account": sc.admin.address}]
    with unchanged(sc.chain, *sc.signers(), watch=sc.state), reverts("EnforcedPause"):
        action(sc)
    coin.approve(sc.a, sc.b.address, 1)  # approvals are not balance changes
    receipt = coin.unpause(sc.admin)
    assert event_args(coin, receipt, "Unpaused") == [{"account": sc.admin.address}]
    action(sc)


def test_constructor_refuses_a_zero_admin(sc: Sc) -> None:
    with unchanged(sc.chain, sc.admin), reverts("ZeroAddress"):
        deploy_contract(sc.chain, sc.admin, "HKDStablecoin", ZERO)


def test_permit_then_transfer_from(sc: Sc) -> None:
    coin, owner, spender, relayer = sc.coin, sc.a, sc.spender, sc.b
    assert coin.nonces(owner.address) == coin.raw.nonces(owner.address) == 0
    permit = coin.sign_permit(owner, spender.address, Decimal("250.5"))
    receipt = coin.permit(relayer, permit)  # anyone may submit it: the owner sends nothing
    assert event_args(coin, receipt, "Approval") == [
        {"owner": owner.address, "spender": spender.address, "value": 250_500_000}
    ]
    assert coin.nonces(owner.address) == 1
    assert coin.allowance(owner.address, spender.address) == Decimal("250.5")  # replaces the earlier 300
    receipt = coin.transfer_from(spender, owner.address, relayer.address, Decimal("250.5"))
    assert event_args(coin, receipt, "Transfer") == [
        {"from": owner.address, "to": relayer.address, "value": 250_500_000}
    ]
    assert (coin.balance_of(owner.address), coin.balance_of(relayer.address)) == (Decimal("749.5"), Decimal("250.5"))
    assert coin.allowance(owner.address, spender.address) == 0

    # The same signature again: the nonce moved on, so it recovers to another signer and is refused.
    with unchanged(sc.chain, relayer, owner, watch=sc.state), reverts("ERC2612InvalidSigner", owner=owner) as refusal:
        coin.permit(relayer, permit)
    assert refusal.value.arguments["signer"] != owner.address
    stale = coin.sign_permit(owner, spender.address, 1, deadline=sc.chain.timestamp() - 1)
    with unchanged(sc.chain, relayer, watch=sc.state), reverts("ERC2612ExpiredSignature", deadline=stale["deadline"]):
        coin.permit(relayer, stale)
    assert coin.nonces(owner.address) == 1
