"""On a node that mines on a timer (``anvil --block-time 2``) the pending block has the right number but a
timestamp from the wall clock, behind the next block's, while the transaction lands in the next block, one
interval later. The sender simulates at that landing time, so a transfer that passes at the lock-up's end is not
refused before sending, and one that lands before it still is (nothing sent)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from web3.exceptions import ContractLogicError

from hktoken import ComplianceRules, InvestorRegistry, RWAToken
from hktoken.abi import Calldata
from hktoken.chain import Anvil, Chain
from hktoken.models.investor import Investor, InvestorClass
from hktoken.testing import nothing_sent, reverts

pytestmark = pytest.mark.slow  # every transaction waits for the next block, two seconds apart

INTERVAL = 2


@pytest.fixture(scope="module")
def interval_node() -> Iterator[Anvil]:
    node = Anvil(block_time=INTERVAL)
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

    # The lock-up ends at the next block's time: latest + the interval. anvil stamps its pending block from the wall
    # clock, which stays below that until the very moment the next block is due, so for nearly the whole interval
    # a simulation against the pending block is refused, while the transaction lands at the lock-up's end. A 2 s
    # interval leaves over a second for the check below and the transfer, whatever the node's sub-second phase.
    call = {"from": alice.address, "to": token.address,
            "data": Calldata(token.artifact.abi, "transfer")(bob.address, 1)}  # fmt: skip
    for _attempt in range(3):  # a machine too loaded to act within the interval tries again
        lockup = _next_block(chain) + 2 * INTERVAL
        token.raw.set_lockup_until(admin, lockup)  # mined in the block after, at lockup - INTERVAL
        if chain.w3.eth.get_block("latest")["timestamp"] != lockup - INTERVAL:
            continue
        try:  # what fooled the simulation: against the pending block the transfer is refused
            chain.w3.eth.estimate_gas(call, "pending")  # type: ignore[arg-type]
        except ContractLogicError:
            break
    else:
        pytest.fail("could not catch the pending block before the lock-up's end in three intervals")
    receipt = token.transfer(alice, bob.address, 1)
    assert receipt["status"] == 1
    assert chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] >= lockup
    assert (token.raw_balance_of(alice.address), token.raw_balance_of(bob.address)) == (9, 1)
