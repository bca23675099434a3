"""The base is open for extension with no change to the core: a tiny asset token made only for this test
(contracts/mocks/ExtensionProbeToken.sol) adds one restriction code through `_assetRestrictionCode` and one
per-holder counter through `_onHolderUpdate`. Its transfer, `canTransfer` and `detectTransferRestriction` agree on
every path, and the counter moves with every balance change, at no extra storage slot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken.contracts._abi import ExtensionProbeTokenFunctions
from hktoken.contracts.base import ERC20Wrapper
from hktoken.testing import reverts

from ._helpers import ZERO, World, extra_account, fund, id32, investor, restricted, unchanged

CLOSED = 64
OPEN_FOR = 3600
NAMESPACE = 0x758C394F5B174F8A98BD624F9711D993BD71AE7E538A5219DD912C2AE53E5C00  # TokenStorage.SLOT (ERC-7201)


class Probe(ERC20Wrapper[ExtensionProbeTokenFunctions]):
    """The probe through the shared token wrapper and its generated surface."""

    artifact_name = "ExtensionProbeToken"
    surface_type = ExtensionProbeTokenFunctions


@dataclass
class Px:
    w: World
    probe: Probe
    alice: LocalAccount
    bob: LocalAccount
    spender: LocalAccount
    stranger: str

    def counters(self) -> dict[str, int]:
        wallets = (self.alice.address, self.bob.address, self.w.treasury.address, self.stranger)
        return {w: self.probe.raw.balance_changes(w) for w in wallets}

    def state(self) -> tuple[Any, ...]:
        wallets = (self.alice.address, self.bob.address, self.w.treasury.address)
        return tuple(self.probe.raw_balance_of(w) for w in wallets), self.counters(), self.probe.raw.total_supply()


@pytest.fixture(scope="module")
def px(world: World, accounts: list[LocalAccount]) -> Px:
    alice, bob = accounts[6:8]
    spender = extra_account("probe-spender")
    fund(world.chain, spender)
    world.registry.register(world.admin, [investor(world.chain, "ALICE", [alice]), investor(world.chain, "BOB", [bob])])
    admin = world.admin
    probe = Probe.deploy_artifact(
        world.chain, admin, world.registry.address, admin.address, world.treasury.address,
        world.token.admin_module(), world.chain.timestamp() + OPEN_FOR,
    )  # fmt: skip
    probe.grant_roles(admin, {"ISSUER_ROLE": [admin.address], "AGENT_ROLE": [admin.address]})
    probe.raw.mint(admin, alice.address, 1000)
    probe.raw.mint(admin, world.treasury.address, 1000)
    probe.approve(alice, spender.address, 100)
    return Px(world, probe, alice, bob, spender, extra_account("probe-stranger").address)


def _paths(px: Px) -> dict[str, tuple[str, str, Callable[[], Any], LocalAccount]]:
    """(sender, recipient, the call, its signer) of every holder path and mint, each moving 1 base unit."""
    probe, a, b, admin = px.probe.raw, px.alice, px.bob.address, px.w.admin
    return {
        "transfer": (a.address, b, lambda: probe.transfer(a, b, 1), a),
        "transferFrom": (a.address, b, lambda: probe.transfer_from(px.spender, a.address, b, 1), px.spender),
        "batchTransfer": (a.address, b, lambda: probe.batch_transfer(a, [b], [1]), a),
        "mint": (ZERO, b, lambda: probe.mint(admin, b, 1), admin),
        "batchMint": (ZERO, b, lambda: probe.batch_mint(admin, [b], [1]), admin),
        "to-unverified": (a.address, px.stranger, lambda: probe.transfer(a, px.stranger, 1), a),
    }


PATHS = ["transfer", "transferFrom", "batchTransfer", "mint", "batchMint", "to-unverified"]


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("path", PATHS)
def test_transfer_views_and_revert_agree_on_every_path(px: Px, path: str, closed: bool) -> None:
    if closed:
        px.w.chain.set_next_block_timestamp(px.probe.raw.closes_at())
        px.w.chain.mine()
    sender, recipient, call, signer = _paths(px)[path]
    view = px.probe.raw.detect_transfer_restriction(sender, recipient, 1)
    # The core's checks come first (an unverified recipient is code 3 even once closed); then the asset's rule.
    expected = 3 if path == "to-unverified" else (CLOSED if closed else 0)
    assert view == expected
    assert px.probe.raw.can_transfer(sender, recipient, 1) is (expected == 0)
    if expected == 0:
        before = px.counters()
        call()
        after = px.counters()
        changed = {w for w in after if after[w] != before[w]}
        assert changed == {w for w in (sender, recipient) if w != ZERO}
        assert all(after[w] == before[w] + 1 for w in changed)
        return
    with unchanged(px.w.chain, signer, watch=px.state), restricted(expected, sender, recipient, 1) as refusal:
        call()
    assert refusal.value.code == expected


def test_the_asset_code_has_its_own_message_everywhere(px: Px) -> None:
    probe, w = px.probe, px.w
    w.chain.set_next_block_timestamp(probe.raw.closes_at())
    w.chain.mine()
    assert probe.raw.message_for_transfer_restriction(CLOSED) == "asset closed"
    assert probe.raw.message_for_transfer_restriction(3) == "recipient not verified"  # the core's table, unchanged
    assert probe.raw.message_for_transfer_restriction(65) == "unknown restriction code"
    assert probe.raw.asset_closed() == CLOSED


def test_burns_forced_transfers_and_recovery_pass_the_hook_and_move_the_counter(px: Px) -> None:
    """The probe's rule spares burns, forced transfers and recoveries (its hook sees `op`); the per-holder
    counter still moves on each, inside the same balance word."""
    probe, w, alice, bob = px.probe.raw, px.w, px.alice.address, px.bob.address
    w.chain.set_next_block_timestamp(probe.closes_at())
    w.chain.mine()
    before = px.counters()
    probe.forced_transfer(w.admin, alice, bob, 10)
    probe.burn(w.admin, bob, 4)
    after = px.counters()
    assert (after[alice], after[bob]) == (before[alice] + 1, before[bob] + 2)
    assert (px.probe.raw_balance_of(alice), px.probe.raw_balance_of(bob)) == (990, 6)
    assert probe.holder_count() == 2  # the core's holder accounting runs beside the asset's hook
    # Recovery to ALICE's second wallet: both sides' counters move, the holder count does not.
    new = extra_account("probe-alice-2").address
    w.registry.add_wallet(w.admin, "ALICE", new)
    probe.recovery_address(w.admin, alice, new, id32("ALICE"))
    assert (probe.balance_changes(alice), probe.balance_changes(new)) == (after[alice] + 1, 1)
    assert (px.probe.raw_balance_of(alice), px.probe.raw_balance_of(new)) == (0, 990)
    assert probe.holder_count() == 2


def test_the_counter_lives_in_the_balance_word(px: Px) -> None:
    """`_onHolderUpdate` writes no slot of its own: the holder's 96 asset bits sit above its balance."""
    slot = int.from_bytes(
        keccak(bytes(12) + bytes.fromhex(px.alice.address[2:]) + (NAMESPACE + 1).to_bytes(32, "big")), "big"
    )
    word = int.from_bytes(px.w.chain.w3.eth.get_storage_at(px.probe.address, slot), "big")
    assert word & (2**128 - 1) == px.probe.raw_balance_of(px.alice.address) == 1000
    assert word >> 160 == px.probe.raw.balance_changes(px.alice.address) == 1


def test_role_checks_of_the_shared_module_apply_to_the_probe(px: Px) -> None:
    with unchanged(px.w.chain, px.bob), reverts("AccessControlUnauthorizedAccount", account=px.bob.address):
        px.probe.raw.set_max_holders(px.bob, 1)
