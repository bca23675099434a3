"""The per-issuer mint rate limit (token bucket), the document registry, pause/unpause, the treasury and the
token constructor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import RWAToken
from hktoken.contracts.base import deploy_contract, role_id
from hktoken.contracts.token import Document
from hktoken.testing import reverts

from ._helpers import (
    MAX_UINT,
    ZERO,
    World,
    event_args,
    extra_account,
    fund,
    investor,
    restricted,
    unchanged,
)

UNIT = 10**18


@dataclass
class Rd:
    w: World
    alice: LocalAccount
    bob: LocalAccount
    issuer2: LocalAccount

    @property
    def token(self) -> RWAToken:
        return self.w.token

    def block_time(self, receipt: Any) -> int:
        return int(self.w.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


@pytest.fixture(scope="module")
def rd(world: World, accounts: list[LocalAccount]) -> Rd:
    alice, bob = accounts[6:8]
    issuer2 = extra_account("issuer2")
    fund(world.chain, issuer2)
    world.registry.register(world.admin, [investor(world.chain, "ALICE", [alice]), investor(world.chain, "BOB", [bob])])
    world.token.grant_role(world.admin, "ISSUER_ROLE", issuer2.address)
    world.token.batch_mint(world.issuer, [(alice.address, 1000), (bob.address, 1000), (world.treasury.address, 1000)])
    world.people = {"alice": alice, "bob": bob}
    return Rd(world, alice, bob, issuer2)


# --------------------------------------------------------------------------------------------- mint rate limit


def test_mint_rate_limit_starts_full_and_refuses_what_exceeds_it(rd: Rd) -> None:
    token, w, issuer = rd.token, rd.w, rd.w.issuer.address
    assert token.mint_allowance(issuer) is None  # no limit: unlimited
    receipt = token.set_mint_rate_limit(w.admin, issuer, 1000, 1000)
    assert token.event_names(receipt) == ["MintRateLimitSet"]
    assert event_args(token, receipt, "MintRateLimitSet") == [
        {"issuer": issuer, "amountPerPeriod": 1000 * UNIT, "period": 1000, "available": 1000 * UNIT}
    ]
    assert tuple(token.raw.mint_rate_limit(issuer)) == (1000 * UNIT, 1000)
    assert token.mint_allowance(issuer) == 1000  # starts full
    with (
        unchanged(w.chain, w.issuer, watch=w.state),
        reverts("MintRateLimitExceeded", issuer=issuer, requested=1001 * UNIT, available=1000 * UNIT),
    ):
        token.mint(w.issuer, rd.alice.address, 1001)
    receipt = token.mint(w.issuer, rd.alice.address, 1000)
    assert token.event_names(receipt) == ["Transfer"]  # consumption emits no event of its own
    assert token.mint_allowance(issuer) == 0
    # Pin the block the next mint would land in, one second on (no node may reuse a block's timestamp,
    # and a wall-clock second may pass): exactly one unit has refilled, so one base unit more is refused.
    w.chain.set_next_block_timestamp(rd.block_time(receipt) + 1)
    with (
        unchanged(w.chain, w.issuer, watch=w.state),
        reverts("MintRateLimitExceeded", issuer=issuer, requested=UNIT + 1, available=UNIT),
    ):
        token.mint(w.issuer, rd.alice.address, Decimal("1.000000000000000001"))
    # Per issuer: another issuer is not limited by it.
    assert token.mint_allowance(rd.issuer2.address) is None
    token.mint(rd.issuer2, rd.alice.address, 5000)


def test_mint_rate_limit_refills_continuously_up_to_the_cap(rd: Rd) -> None:
    token, w, issuer = rd.token, rd.w, rd.w.issuer.address
    token.set_mint_rate_limit(w.admin, issuer, 1000, 1000)  # 1 token per second
    t_mint = rd.block_time(token.mint(w.issuer, rd.bob.address, 1000))
    w.chain.increase_time(250)
    elapsed = w.chain.timestamp() - t_mint
    assert 250 <= elapsed <= 260
    assert token.mint_allowance(issuer) == elapsed  # refilled linearly, to the second
    receipt = token.mint(w.issuer, rd.bob.address, elapsed)
    t2 = rd.block_time(receipt)
    left = (t2 - t_mint) * UNIT - elapsed * UNIT  # what refilled while the mint was being mined
    assert token.raw.mint_allowance(issuer) == left
    # Simulation judges the block the mint would land in: pin its time so the refill is exact.
    w.chain.set_next_block_timestamp(t2 + 1)
    available = left + UNIT
    with (
        unchanged(w.chain, w.issuer, watch=w.state),
        reverts("MintRateLimitExceeded", issuer=issuer, requested=available + 1, available=available),
    ):
        token.raw.mint(w.issuer, rd.bob.address, available + 1)
    w.chain.increase_time(600)
    assert token.raw.mint_allowance(issuer) == (w.chain.timestamp() - t2) * UNIT + left
    w.chain.increase_time(10_000)
    assert token.mint_allowance(issuer) == 1000  # never above one period's worth
    token.mint(w.issuer, rd.bob.address, 1000)


def test_fractional_refill_rate(rd: Rd) -> None:
    """amountPerPeriod / period need not be a whole number per second."""
    token, w, issuer = rd.token, rd.w, rd.w.issuer.address
    token.raw.set_mint_rate_limit(w.admin, issuer, 7, 3)  # 7 base units every 3 seconds
    t_mint = rd.block_time(token.raw.mint(w.issuer, rd.bob.address, 7))
    w.chain.increase_time(1)
    elapsed = w.chain.timestamp() - t_mint
    assert token.raw.mint_allowance(issuer) == min(7, elapsed * 7 // 3)


def test_batch_mint_consumes_the_total_once(rd: Rd) -> None:
    token, w, issuer = rd.token, rd.w, rd.w.issuer.address
    token.set_mint_rate_limit(w.admin, issuer, 100, 3600)
    watch = w.state
    with (
        unchanged(w.chain, w.issuer, watch=watch),
        reverts("MintRateLimitExceeded", issuer=issuer, requested=101 * UNIT, available=100 * UNIT),
    ):
        token.batch_mint(w.issuer, [(rd.alice.address, 60), (rd.bob.address, 41)])
    receipt = token.batch_mint(w.issuer, [(rd.alice.address, 60), (rd.bob.address, 40)])
    assert token.event_names(receipt) == ["Transfer", "Transfer"]
    assert token.mint_allowance(issuer) == 0


def test_removing_a_limit_and_invalid_limits(rd: Rd) -> None:
    token, w, issuer = rd.token, rd.w, rd.w.issuer.address
    token.set_mint_rate_limit(w.admin, issuer, 1, 60)
    receipt = token.set_mint_rate_limit(w.admin, issuer, 0, 0)
    assert event_args(token, receipt, "MintRateLimitSet") == [
        {"issuer": issuer, "amountPerPeriod": 0, "period": 0, "available": MAX_UINT}
    ]
    assert token.mint_allowance(issuer) is None and tuple(token.raw.mint_rate_limit(issuer)) == (0, 0)
    token.mint(w.issuer, rd.alice.address, 10**6)
    with unchanged(w.chain, w.admin, watch=w.state), reverts("InvalidMintRatePeriod"):
        token.raw.set_mint_rate_limit(w.admin, issuer, 1, 0)
    with unchanged(w.chain, w.admin, watch=w.state), reverts("ZeroAddress"):
        token.raw.set_mint_rate_limit(w.admin, ZERO, 1, 1)


def test_mint_restrictions_are_checked_before_the_rate_limit(rd: Rd) -> None:
    """Spec, MINT: codes 1, 3, 5, 7-10, 12-14 'Then the issuer's token bucket': a mint that is both restricted
    and over the bucket reports the restriction."""
    token, w, issuer = rd.token, rd.w, rd.w.issuer.address
    token.set_mint_rate_limit(w.admin, issuer, 10, 3600)
    stranger = extra_account("stranger").address
    with unchanged(w.chain, w.issuer, watch=w.state), restricted(3, ZERO, stranger, 11 * UNIT):
        token.mint(w.issuer, stranger, 11)
    token.pause(w.pauser)
    with unchanged(w.chain, w.issuer, watch=w.state), restricted(1, ZERO, rd.alice.address, 11 * UNIT):
        token.mint(w.issuer, rd.alice.address, 11)


# --------------------------------------------------------------------------------------------- documents


def test_document_registry(rd: Rd) -> None:
    token, w = rd.token, rd.w
    h1, h2, h3, h4 = (bytes([i]) * 32 for i in (1, 2, 3, 4))
    assert token.documents() == []
    receipt = token.set_document(w.admin, "prospectus", "ipfs://prospectus-v1", h1)
    assert token.event_names(receipt) == ["DocumentUpdated"]
    assert event_args(token, receipt, "DocumentUpdated") == [
        {"name": b"prospectus".ljust(32, b"\0"), "uri": "ipfs://prospectus-v1", "documentHash": h1}
    ]
    t1 = datetime.fromtimestamp(rd.block_time(receipt), tz=UTC)
    assert token.document("prospectus") == Document("prospectus", "ipfs://prospectus-v1", h1, t1)
    token.set_document(w.admin, "terms", "https://issuer.hk/terms.pdf", h2)
    token.set_document(w.admin, "custody-report", "ipfs://custody", h3)
    assert token.documents() == ["prospectus", "terms", "custody-report"]
    w.chain.increase_time(100)
    receipt = token.set_document(w.admin, "prospectus", "ipfs://prospectus-v2", h4)  # an update keeps its place
    assert token.documents() == ["prospectus", "terms", "custody-report"]
    t2 = datetime.fromtimestamp(rd.block_time(receipt), tz=UTC)
    assert t2 > t1 and token.document("prospectus") == Document("prospectus", "ipfs://prospectus-v2", h4, t2)

    receipt = token.remove_document(w.admin, "prospectus")
    assert token.event_names(receipt) == ["DocumentRemoved"]
    assert event_args(token, receipt, "DocumentRemoved") == [
        {"name": b"prospectus".ljust(32, b"\0"), "uri": "ipfs://prospectus-v2", "documentHash": h4}
    ]
    assert token.documents() == ["custody-report", "terms"]  # the last entry takes the removed one's place
    assert token.document("prospectus") == Document("prospectus", "", bytes(32), datetime.fromtimestamp(0, tz=UTC))
    with (
        unchanged(w.chain, w.admin, watch=token.documents),
        reverts("DocumentNotFound", name=b"prospectus".ljust(32, b"\0")),
    ):
        token.remove_document(w.admin, "prospectus")
    with unchanged(w.chain, w.admin, watch=token.documents), reverts("EmptyDocumentName"):
        token.raw.set_document(w.admin, bytes(32), "x", h1)
    token.remove_document(w.admin, "terms")
    token.remove_document(w.admin, "custody-report")
    assert token.documents() == []


# --------------------------------------------------------------------------------------------- pause, treasury


def test_pause_and_unpause_events(rd: Rd) -> None:
    token, w = rd.token, rd.w
    receipt = token.pause(w.pauser)
    assert token.event_names(receipt) == ["Paused"]
    assert event_args(token, receipt, "Paused") == [{"account": w.pauser.address}]
    assert token.paused() is True
    with unchanged(w.chain, w.pauser, watch=w.state), reverts("EnforcedPause"):
        token.pause(w.pauser)
    with unchanged(w.chain, rd.alice, watch=w.state), restricted(1, rd.alice.address, rd.bob.address, UNIT):
        token.transfer(rd.alice, rd.bob.address, 1)
    receipt = token.unpause(w.pauser)
    assert token.event_names(receipt) == ["Unpaused"]
    assert event_args(token, receipt, "Unpaused") == [{"account": w.pauser.address}]
    assert token.paused() is False
    with unchanged(w.chain, w.pauser, watch=w.state), reverts("ExpectedPause"):
        token.unpause(w.pauser)
    token.transfer(rd.alice, rd.bob.address, 1)


def test_treasury_change_moves_the_exemption(rd: Rd) -> None:
    token, w = rd.token, rd.w
    old, new = w.treasury, extra_account("treasury-2")
    fund(w.chain, new)
    receipt = token.set_treasury(w.admin, new.address)
    assert token.event_names(receipt) == ["TreasuryChanged"]
    assert event_args(token, receipt, "TreasuryChanged") == [
        {"previousTreasury": old.address, "newTreasury": new.address}
    ]
    assert token.treasury() == new.address
    # The new (unregistered) treasury receives exits and distributes; the old one is a plain unverified wallet.
    token.transfer(rd.alice, new.address, 10)
    token.transfer(new, rd.bob.address, 5)
    assert token.can_receive(new.address) and not token.can_receive(old.address)
    with unchanged(w.chain, old, watch=w.state), restricted(2, old.address, rd.alice.address, UNIT):
        token.transfer(old, rd.alice.address, 1)
    with unchanged(w.chain, rd.alice, watch=w.state), restricted(3, rd.alice.address, old.address, UNIT):
        token.transfer(rd.alice, old.address, 1)
    token.transfer(old, new.address, 1000)  # the old treasury may still exit to the new one
    assert token.raw_balance_of(new.address) == 1005 * UNIT
    with unchanged(w.chain, w.admin, watch=w.state), reverts("ZeroAddress"):
        token.raw.set_treasury(w.admin, ZERO)


# --------------------------------------------------------------------------------------------- constructor


def test_constructor_grants_admin_only_and_announces_the_treasury(rd: Rd) -> None:
    w = rd.w
    contract = deploy_contract(
        w.chain, w.admin, "RWAToken", "Bond", "BND", 6, w.registry.address, w.admin.address, w.treasury.address,
        w.token.admin_module(),
    )  # fmt: skip
    token = RWAToken(w.chain, contract.address)
    block = w.chain.w3.eth.block_number
    logs = w.chain.w3.eth.get_logs({"address": token.address, "fromBlock": block, "toBlock": block})
    receipt = {"logs": logs}
    assert token.event_names(receipt) == ["TreasuryChanged", "RoleGranted"]  # type: ignore[arg-type]
    assert event_args(token, receipt, "TreasuryChanged") == [
        {"previousTreasury": ZERO, "newTreasury": w.treasury.address}
    ]
    assert event_args(token, receipt, "RoleGranted") == [
        {"role": role_id("DEFAULT_ADMIN_ROLE"), "account": w.admin.address, "sender": w.admin.address}
    ]
    assert (token.name, token.symbol, token.decimals) == ("Bond", "BND", 6)
    assert token.raw.registry() == w.registry.address and token.treasury() == w.treasury.address
    assert token.admin_module() == w.token.admin_module()
    for role in ("ISSUER_ROLE", "AGENT_ROLE", "PAUSER_ROLE", "COMPLIANCE_ROLE"):
        assert not token.has_role(role, w.admin.address)


@pytest.mark.parametrize(
    ("which", "error"),
    [
        ("registry-without-code", "InvalidRegistry"),
        ("zero-admin", "ZeroAddress"),
        ("zero-treasury", "ZeroAddress"),
        ("module-without-code", "InvalidAdminModule"),
    ],
)
def test_constructor_refuses_bad_arguments(rd: Rd, which: str, error: str) -> None:
    w = rd.w
    registry = rd.alice.address if which == "registry-without-code" else w.registry.address
    admin = ZERO if which == "zero-admin" else w.admin.address
    treasury = ZERO if which == "zero-treasury" else w.treasury.address
    module = rd.alice.address if which == "module-without-code" else w.token.admin_module()
    expected = {"InvalidRegistry": {"registry": registry}, "InvalidAdminModule": {"module": module}}
    with unchanged(w.chain, w.admin), reverts(error, **expected.get(error, {})):
        deploy_contract(w.chain, w.admin, "RWAToken", "B", "B", 18, registry, admin, treasury, module)
