"""On a node that mines on a timer (``anvil --block-time 1``) the pending block has the right number but repeats
the latest block's timestamp, while the transaction lands in the next block, one interval later. The sender
simulates at that landing time, so a transfer that passes at the lock-up's end is not refused before sending, and
one that lands before it still is (nothing sent)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hktoken import ComplianceRules, InvestorRegistry, RWAToken
from hktoken.chain import Anvil, Chain
from hktoken.models.investor import Investor, InvestorClass
from hktoken.testing import nothing_sent, reverts

pytestmark = pytest.mark.slow  # every transaction waits for the next one-second block


@pytest.fixture(scope="module")
def interval_node() -> Iterator[Anvil]:
    node = Anvil(block_time=1)
    node.start()
    try:
        yield node
    finally:
        node.stop()


def _next_block(chain: Chain, timeout: float = 5.0) -> int:
    """Wait (polling, with a deadline) for a new block; return its timestamp."""
    start = chain.w3.eth.block_number
    deadline = time.monotonic() + timeout
    while chain.w3.eth.block_number == start:
        assert time.monotonic() < deadline, "no block within the deadline"
        time.sleep(0.02)
    return chain.timestamp()


def test_a_transfer_landing_on_the_lockup_end_is_simulated_at_its_landing_time(interval_node: Anvil) -> None:
    chain = interval_node.chain
    assert chain is not None
    admin, alice, bob = interval_node.accounts[0], interval_node.accounts[1], interval_node.accounts[2]
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=30)
    registry = InvestorRegistry.deploy(chain, admin)
    registry.register(
        admin,
        [
            Investor(
                id=n, wallets=[w.address], country=344, investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry
            )
            for n, w in (("HK-ALICE", alice), ("HK-BOB", bob))
        ],
    )
    far = datetime.fromtimestamp(chain.timestamp() + 3600, tz=UTC)
    token = RWAToken.deploy(
        chain,
        admin,
        name="Locked",
        symbol="LCK",
        decimals=0,
        registry=registry,
        rules=ComplianceRules(lockup_until=far),
    )
    token.mint(admin, alice.address, 10)
    with nothing_sent(chain, alice), reverts("TransferRestricted", code=11) as refused:
        token.transfer(alice, bob.address, 1)  # an hour before the lock-up's end: refused, nothing sent
    assert refused.value.tx_hash is None

    # Set the lock-up to end one second after the latest block, and catch the pending block repeating that block's
    # time (what fooled the simulation). anvil stamps its pending block from the wall clock, so late in the second
    # (a loaded machine) it already claims the landing time; such an attempt proves nothing and is made again.
    for _attempt in range(8):
        lockup = _next_block(chain) + 2
        token.raw.set_lockup_until(admin, lockup)  # mined one second later: at lockup - 1
        latest, pending = chain.w3.eth.get_block("latest"), chain.w3.eth.get_block("pending")
        if latest["timestamp"] == lockup - 1 and pending["timestamp"] == lockup - 1:
            break
    else:
        pytest.fail("could not catch the pending block repeating the time of the block before the lock-up's end")
    assert pending["number"] == latest["number"] + 1
    receipt = token.transfer(alice, bob.address, 1)
    assert receipt["status"] == 1
    assert chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] >= lockup
    assert (token.raw_balance_of(alice.address), token.raw_balance_of(bob.address)) == (9, 1)
