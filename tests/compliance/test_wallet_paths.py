"""Every path that changes an investor's wallets (add, remove, recover, re-register a retired wallet), on the
onboarding-gas layout: the holder count and the max-balance sum over the investor's wallets stay exact.

ALICE starts with her primary wallet a1 holding 600; BOB holds 1,000 in b1; the max balance is 1,000 per
investor (BOB is at it, which never stops him sending).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import RWAToken, SpecError
from hktoken.testing import reverts

from ._helpers import World, extra_account, fund, id32, investor, restricted, unchanged

MAX = 1000


@dataclass
class Wp:
    w: World
    a1: LocalAccount
    a2: LocalAccount
    a3: LocalAccount
    b1: LocalAccount
    c1: LocalAccount

    @property
    def token(self) -> RWAToken:
        return self.w.token

    def key(self, investor_id: str) -> int:
        return self.w.registry.investor(investor_id).key

    def expect(self, *, holders: int, alice: int, funded: int) -> None:
        """Holder count, ALICE's balance summed over every wallet she ever had, her counted wallets."""
        token = self.token
        assert token.holder_count() == holders
        assert token.investor_balance("ALICE") == alice
        assert token.raw.funded_wallets(self.key("ALICE")) == funded
        # The sum the max-balance rule uses is the same sum, read from balances wallet by wallet.
        wallets = self.w.registry.raw.wallets_of_key(self.key("ALICE"))
        assert sum(token.raw_balance_of(x) for x in wallets) == token.to_units(alice)


@pytest.fixture(scope="module")
def wp(world: World, accounts: list[LocalAccount]) -> Wp:
    a1, b1, c1 = accounts[6:9]
    a2, a3 = extra_account("wp-a2"), extra_account("wp-a3")
    fund(world.chain, a2, a3)
    people = (("ALICE", a1), ("BOB", b1), ("CAROL", c1))
    world.registry.register(world.admin, [investor(world.chain, name, [wallet]) for name, wallet in people])
    world.token.batch_mint(world.issuer, [(a1.address, 600), (b1.address, 1000)])
    world.comply("setMaxBalancePerInvestor", world.u(MAX))
    world.people = {"a1": a1, "a2": a2, "a3": a3, "b1": b1, "c1": c1}
    return Wp(world, a1, a2, a3, b1, c1)


def test_add_a_wallet_and_fund_it(wp: Wp) -> None:
    w, token = wp.w, wp.token
    wp.expect(holders=2, alice=600, funded=1)
    w.registry.add_wallet(w.admin, "ALICE", wp.a2.address)
    wp.expect(holders=2, alice=600, funded=1)
    token.transfer(wp.a1, wp.a2.address, 100)  # between her own wallets: no rule, no new holder
    wp.expect(holders=2, alice=600, funded=2)
    token.transfer(wp.b1, wp.a2.address, 400)  # 600 + 400 = exactly the max, summed over both wallets
    wp.expect(holders=2, alice=1000, funded=2)
    with unchanged(w.chain, wp.b1, watch=w.state), restricted(10, wp.b1.address, wp.a1.address, w.u(1)):
        token.transfer(wp.b1, wp.a1.address, 1)
    token.transfer(wp.a1, wp.c1.address, 500)  # a1 empties: ALICE still holds through a2
    wp.expect(holders=3, alice=500, funded=1)
    token.transfer(wp.a2, wp.c1.address, 500)  # and now through nothing
    wp.expect(holders=2, alice=0, funded=0)
    assert token.holder_count() == 2  # BOB, CAROL


def test_remove_a_wallet_that_still_holds(wp: Wp) -> None:
    w, token = wp.w, wp.token
    w.registry.add_wallet(w.admin, "ALICE", wp.a2.address)
    token.transfer(wp.b1, wp.a2.address, 300)
    wp.expect(holders=2, alice=900, funded=2)
    w.registry.remove_wallet(w.admin, wp.a2.address)  # retired, still holding 300
    wp.expect(holders=2, alice=900, funded=2)
    # Its 300 still count toward ALICE's maximum.
    token.mint(w.issuer, wp.a1.address, 100)
    wp.expect(holders=2, alice=1000, funded=2)
    with unchanged(w.chain, w.issuer, watch=w.state), restricted(10, "0x" + "00" * 20, wp.a1.address, w.u(1)):
        token.mint(w.issuer, wp.a1.address, 1)
    # A retired wallet can still exit to the treasury, which uncounts it.
    token.transfer(wp.a2, w.treasury.address, 300)
    wp.expect(holders=2, alice=700, funded=1)


def test_recover_a_lost_wallet(wp: Wp) -> None:
    w, token = wp.w, wp.token
    w.registry.add_wallet(w.admin, "ALICE", wp.a3.address)
    w.registry.remove_wallet(w.admin, wp.a1.address)  # the primary is lost
    wp.expect(holders=2, alice=600, funded=1)
    token.recover(w.agent, wp.a1.address, wp.a3.address, "ALICE")
    wp.expect(holders=2, alice=600, funded=1)
    assert (token.raw_balance_of(wp.a1.address), token.balance_of(wp.a3.address)) == (0, Decimal(600))
    token.transfer(wp.b1, wp.a3.address, 400)  # the maximum still counts every wallet
    wp.expect(holders=2, alice=1000, funded=1)
    with unchanged(w.chain, wp.b1, watch=w.state), restricted(10, wp.b1.address, wp.a3.address, w.u(1)):
        token.transfer(wp.b1, wp.a3.address, 1)
    token.transfer(wp.a3, wp.c1.address, 1000)
    wp.expect(holders=2, alice=0, funded=0)


def test_a_retired_wallet_cannot_be_registered_again(wp: Wp) -> None:
    w, registry = wp.w, wp.w.registry
    registry.add_wallet(w.admin, "ALICE", wp.a2.address)
    wp.token.transfer(wp.a1, wp.a2.address, 50)
    registry.remove_wallet(w.admin, wp.a2.address)
    wp.expect(holders=2, alice=600, funded=2)

    def regstate() -> object:
        return registry.raw.last_key(), registry.raw.wallet_count(id32("ALICE")), registry.profile(wp.a2.address)

    with unchanged(w.chain, w.admin, watch=regstate), reverts("WalletRetired", wallet=wp.a2.address):
        registry.raw.add_wallet(w.admin, id32("CAROL"), wp.a2.address)
    with unchanged(w.chain, w.admin, watch=regstate), reverts("WalletRetired", wallet=wp.a2.address):
        registry.raw.register_investor(w.admin, id32("NEW"), wp.a2.address, 344, 2, 2**40, False)
    with unchanged(w.chain, w.admin, watch=regstate), pytest.raises(SpecError, match="already registered"):
        registry.register_investor(w.admin, investor(w.chain, "NEW", [wp.a2]))
    wp.expect(holders=2, alice=600, funded=2)


def test_a_secondary_wallet_alone_makes_its_investor_a_holder(wp: Wp) -> None:
    """The primary wallet's word anchors the investor: a holding in a secondary wallet is counted there."""
    w, token = wp.w, wp.token
    w.registry.add_wallet(w.admin, "CAROL", wp.a3.address)
    token.transfer(wp.b1, wp.a3.address, 10)  # CAROL's primary c1 holds nothing
    assert token.holder_count() == 3 and token.raw.funded_wallets(wp.key("CAROL")) == 1
    token.transfer(wp.b1, wp.c1.address, 10)  # now both: still one holder
    assert token.holder_count() == 3 and token.raw.funded_wallets(wp.key("CAROL")) == 2
    token.transfer(wp.c1, wp.b1.address, 10)
    token.transfer(wp.a3, wp.b1.address, 10)
    assert token.holder_count() == 2 and token.raw.funded_wallets(wp.key("CAROL")) == 0
