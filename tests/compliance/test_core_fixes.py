"""The deviations an independent review found in the compliance core, each pinned by a test that failed before
the fix: frozen spenders, holder-count drift through registry changes, and the mint rate limit's exact refill,
kept consumption and explicit suspension. (Forced transfers and recoveries into wallets that cannot receive,
pre-frozen future receipts, release events and the KYC-expired codes are pinned in test_matrix.py and
test_edge_cases.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import RWAToken
from hktoken.testing import reverts

from ._helpers import (
    MAX_UINT,
    World,
    event_args,
    extra_account,
    fund,
    investor,
    restricted,
    unchanged,
)


@dataclass
class Fx:
    w: World
    alice: LocalAccount  # ALICE (primary wallet), 1000
    bob: LocalAccount  # BOB, 1000
    carol: LocalAccount  # CAROL, registered, unfunded
    spender: LocalAccount  # never registered

    @property
    def token(self) -> RWAToken:
        return self.w.token

    def holders_from_balances(self) -> int:
        """Investors with any non-zero wallet, computed from balances and the registry."""
        registry, token = self.w.registry, self.token
        owners = {registry.investor_of(a.address) for a in (self.alice, self.bob, self.carol, *self.extra)}
        return sum(1 for o in owners if o is not None and token.investor_balance(o) > 0)

    @property
    def extra(self) -> list[LocalAccount]:
        return [self.w.treasury]


@pytest.fixture(scope="module")
def fx(world: World, accounts: list[LocalAccount]) -> Fx:
    alice, bob, carol = accounts[6:9]
    spender = extra_account("fix-spender")
    fund(world.chain, spender)
    world.registry.register(
        world.admin,
        [investor(world.chain, n, [a]) for n, a in (("ALICE", alice), ("BOB", bob), ("CAROL", carol))],
    )
    world.token.batch_mint(world.issuer, [(alice.address, 1000), (bob.address, 1000), (world.treasury.address, 1000)])
    world.people = {"alice": alice, "bob": bob, "carol": carol, "spender": spender}
    return Fx(world, alice, bob, carol, spender)


# --------------------------------------------------------------------------------------------- frozen spenders


def test_an_address_frozen_spender_cannot_spend_an_allowance(fx: Fx) -> None:
    token, w, alice, bob = fx.token, fx.w, fx.alice.address, fx.bob.address
    token.approve(fx.alice, fx.spender.address, 100)
    token.set_address_frozen(w.agent, fx.spender.address, True)

    def watch() -> object:
        return w.state(), token.allowance(alice, fx.spender.address)

    with unchanged(w.chain, fx.spender, watch=watch), restricted(17, alice, bob, w.u(60)) as refusal:
        token.transfer_from(fx.spender, alice, bob, 60)
    assert refusal.value.reason == "spender address frozen"
    token.set_address_frozen(w.agent, fx.spender.address, False)
    token.transfer_from(fx.spender, alice, bob, 60)
    assert (token.balance_of(alice), token.balance_of(bob)) == (Decimal(940), Decimal(1060))
    assert token.allowance(alice, fx.spender.address) == 40


# --------------------------------------------------------------------------------------------- holder-count drift


def test_a_former_treasury_registered_later_cannot_make_the_holder_count_drift(fx: Fx) -> None:
    """The review's case: the treasury's tokens were never counted; once the address is registered as a second
    wallet of ALICE, its full exit must not uncount ALICE, whose primary wallet still holds."""
    token, w, registry = fx.token, fx.w, fx.w.registry
    old_treasury = w.treasury
    key = registry.profile(fx.alice.address).key
    assert token.holder_count() == 2  # ALICE and BOB; the unregistered treasury is not counted
    token.set_treasury(w.admin, extra_account("fix-new-treasury").address)
    registry.add_wallet(w.admin, "ALICE", old_treasury.address)
    assert token.raw.funded_wallets(key) == 1 and token.holder_count() == 2

    token.transfer(old_treasury, fx.bob.address, 1000)  # the ex-treasury's full exit
    assert token.holder_count() == 2 == fx.holders_from_balances()
    assert token.raw.funded_wallets(key) == 1

    # With the count right, a cap of 2 keeps a third investor out.
    w.comply("setMaxHolders", 2)
    with unchanged(w.chain, fx.alice, watch=w.state), restricted(9, fx.alice.address, fx.carol.address, w.u(1)):
        token.transfer(fx.alice, fx.carol.address, 1)


def test_a_wallet_funded_before_registration_is_counted_from_its_next_balance_change(fx: Fx) -> None:
    token, w, registry = fx.token, fx.w, fx.w.registry
    old_treasury, alice = w.treasury, fx.alice
    key = registry.profile(alice.address).key
    token.set_treasury(w.admin, extra_account("fix-new-treasury").address)
    registry.add_wallet(w.admin, "ALICE", old_treasury.address)
    token.transfer(old_treasury, fx.bob.address, 1)  # a partial exit: now counted under ALICE
    assert token.raw.funded_wallets(key) == 2 and token.holder_count() == 2
    token.transfer(alice, fx.bob.address, 1000)  # ALICE's primary empties: ALICE still holds through the other
    assert token.raw.funded_wallets(key) == 1 and token.holder_count() == 2 == fx.holders_from_balances()
    token.transfer(old_treasury, fx.bob.address, 999)  # and now ALICE holds nothing
    assert token.raw.funded_wallets(key) == 0 and token.holder_count() == 1 == fx.holders_from_balances()


# --------------------------------------------------------------------------------------------- mint rate limit


@pytest.fixture
def whole_units(fx: Fx) -> RWAToken:
    """A 0-decimal token on the same registry: whole units make a lost refill fraction visible."""
    w = fx.w
    token = RWAToken.deploy(
        w.chain, w.admin, name="Units", symbol="UNT", decimals=0, registry=w.registry,
        treasury=w.treasury.address, admin_module=w.token.admin_module(),
    )  # fmt: skip
    return token


def test_the_refill_is_exact_to_the_base_unit(fx: Fx, whole_units: RWAToken) -> None:
    """100 per day, 1 unit minted every 840 s: each mint used to discard the fractional refill, so the bucket
    drained and the 101st mint was refused. Exact: a day's refill per day, to the base unit."""
    token, w, issuer = whole_units, fx.w, fx.w.admin
    rate, period, step = 100, 86_400, 840
    receipt = token.set_mint_rate_limit(w.admin, issuer.address, 100, period)
    t = int(w.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    scaled = rate * period  # the model: units x seconds, as the contract keeps it
    for _ in range(130):
        t += step
        w.chain.set_next_block_timestamp(t)
        token.mint(issuer, fx.alice.address, 1)
        scaled = min(scaled + step * rate, rate * period) - period
        assert token.mint_allowance(issuer.address) == scaled // period
    assert token.balance_of(fx.alice.address) == 130
    assert token.mint_allowance(issuer.address) == 95  # the old arithmetic had refused the 101st mint


def test_within_one_period_an_issuer_mints_at_most_a_full_bucket_plus_its_refill(fx: Fx) -> None:
    """The documented semantics: a bucket of `amountPerPeriod` refilling at `amountPerPeriod` per `period`."""
    token, w, issuer = fx.token, fx.w, fx.w.issuer
    receipt = token.set_mint_rate_limit(w.admin, issuer.address, 1000, 1000)
    t = int(w.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    w.chain.set_next_block_timestamp(t + 1)
    token.mint(issuer, fx.alice.address, 1000)
    w.chain.set_next_block_timestamp(t + 1000)
    w.chain.mine()
    assert token.mint_allowance(issuer.address) == 999  # 999 s of refill: 1,999 inside one period, never more


def test_changing_a_limit_keeps_what_was_consumed(fx: Fx) -> None:
    token, w, issuer = fx.token, fx.w, fx.w.issuer.address
    receipt = token.set_mint_rate_limit(w.admin, issuer, 1000, 1000)
    t = int(w.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    w.chain.set_next_block_timestamp(t + 1)
    token.mint(w.issuer, fx.alice.address, 1000)  # drained
    w.chain.set_next_block_timestamp(t + 2)
    receipt = token.set_mint_rate_limit(w.admin, issuer, 500, 1000)  # 1 refilled: 999 consumed > 500
    assert event_args(token, receipt, "MintRateLimitSet") == [
        {"issuer": issuer, "amountPerPeriod": w.u(500), "period": 1000, "available": 0}
    ]
    assert token.mint_allowance(issuer) == 0  # the cut does not refill the bucket
    w.chain.set_next_block_timestamp(t + 12)
    receipt = token.set_mint_rate_limit(w.admin, issuer, 2000, 1000)  # 5 refilled at 0.5/s: 495 consumed
    assert event_args(token, receipt, "MintRateLimitSet")[0]["available"] == w.u(1505)
    assert token.mint_allowance(issuer) == 1505
    # The mint would land one second later (no node may reuse a block's timestamp): 2 more at the new 2/s.
    w.chain.set_next_block_timestamp(t + 13)
    with (
        unchanged(w.chain, w.issuer, watch=w.state),
        reverts("MintRateLimitExceeded", requested=w.u(1508), available=w.u(1507)),
    ):
        token.mint(w.issuer, fx.alice.address, 1508)


def test_suspending_an_issuer_is_an_explicit_action(fx: Fx) -> None:
    token, w, issuer = fx.token, fx.w, fx.w.issuer
    assert token.raw.is_minting_suspended(issuer.address) is False
    with unchanged(w.chain, issuer, watch=w.state), reverts("AccessControlUnauthorizedAccount"):
        token.raw.set_minting_suspended(issuer, issuer.address, True)
    receipt = token.raw.set_minting_suspended(w.admin, issuer.address, True)
    assert event_args(token, receipt, "MintingSuspensionSet") == [{"issuer": issuer.address, "suspended": True}]
    assert token.raw.is_minting_suspended(issuer.address) is True
    assert token.mint_allowance(issuer.address) == 0
    with unchanged(w.chain, issuer, watch=w.state), reverts("MintingSuspended", issuer=issuer.address):
        token.mint(issuer, fx.alice.address, 1)
    # Removing the limit (0 = unlimited) does not lift a suspension: they are separate decisions.
    token.set_mint_rate_limit(w.admin, issuer.address, 0, 0)
    assert token.raw.is_minting_suspended(issuer.address) is True
    token.raw.set_minting_suspended(w.admin, issuer.address, False)
    assert token.raw.mint_allowance(issuer.address) == MAX_UINT
    token.mint(issuer, fx.alice.address, 1)
    assert token.balance_of(fx.alice.address) == 1001
