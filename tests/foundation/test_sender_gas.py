"""The sender's gas limit: estimate + 20%, but never more than one transaction may use on the node (the block gas
limit, and EIP-7825's 2**24 on nodes that enforce it), so a batch that fits is sent and one that cannot fit is
refused before anything is sent, with how far to split it.

The transactions come from a tiny gas burner: ``n`` (the calldata word) fresh storage writes, about 22,150 gas
each, so any gas figure is one ``n`` away.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from hktoken.chain import Anvil, Chain, connect
from hktoken.chain.sender import EIP7825_TX_GAS_CAP, GAS_MARGIN_PERCENT
from hktoken.errors import ChainError
from hktoken.testing import nothing_sent

# runtime: n = calldataload(0); while n != 0 { n -= 1; sstore(n, n) }
BURNER_RUNTIME = "6000355b8015601357600190038080556003565b00"
BURNER_INIT = HexStr("0x6015600c60003960156000f3" + BURNER_RUNTIME)  # codecopy the 21-byte runtime, return it
SMALL_BLOCK = 1_000_000


def burn(n: int) -> HexStr:
    return HexStr("0x" + n.to_bytes(32, "big").hex())


def deploy_burner(chain: Chain, signer: LocalAccount) -> ChecksumAddress:
    receipt = chain.sender.send(signer, None, BURNER_INIT)
    address = receipt["contractAddress"]
    assert address is not None and chain.code_at(address) == "0x" + BURNER_RUNTIME
    return address


def with_margin(estimate: int) -> int:
    return estimate * (100 + GAS_MARGIN_PERCENT) // 100


Node = tuple[Anvil, Chain, ChecksumAddress]


def _node(*flags: str) -> Iterator[Anvil]:
    node = Anvil(extra_args=flags)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def _small_block_node() -> Iterator[Anvil]:
    yield from _node("--gas-limit", str(SMALL_BLOCK))


@pytest.fixture(scope="module")
def _osaka_node() -> Iterator[Anvil]:
    yield from _node("--enable-tx-gas-limit")


@pytest.fixture
def small_block(_small_block_node: Anvil) -> Node:
    """An anvil whose blocks hold 1,000,000 gas, and a fresh burner (its slots all empty)."""
    assert _small_block_node.chain is not None
    return (
        _small_block_node,
        _small_block_node.chain,
        deploy_burner(_small_block_node.chain, _small_block_node.accounts[0]),
    )


@pytest.fixture
def osaka_cap(_osaka_node: Anvil) -> Node:
    """An anvil with 30M-gas blocks that enforces EIP-7825's 2**24 per transaction, and a fresh burner."""
    assert _osaka_node.chain is not None
    return _osaka_node, _osaka_node.chain, deploy_burner(_osaka_node.chain, _osaka_node.accounts[0])


def test_the_margin_stops_at_the_block_gas_limit(small_block: Node) -> None:
    node, chain, burner = small_block
    signer = node.accounts[1]
    estimate = chain.sender.simulate(signer, burner, burn(44))
    assert estimate <= SMALL_BLOCK < with_margin(estimate)  # fits a block, but not with the full margin
    # What the sender did before the cap: the node refuses a gas limit above the block's.
    with nothing_sent(chain, signer), pytest.raises(ChainError, match="the node refused the transaction"):
        chain.sender.send(signer, burner, burn(44), gas=with_margin(estimate))

    receipt = chain.sender.send(signer, burner, burn(44))
    assert receipt["status"] == 1 and receipt["gasUsed"] <= estimate
    assert chain.w3.eth.get_transaction(receipt["transactionHash"])["gas"] == SMALL_BLOCK
    assert chain.sender.tx_gas_cap is None


def test_a_batch_bigger_than_a_block_is_refused_before_sending(
    small_block: Node,
) -> None:
    node, chain, burner = small_block
    signer = node.accounts[2]
    with nothing_sent(chain, signer), pytest.raises(ChainError) as info:
        chain.sender.send(signer, burner, burn(50))
    assert str(info.value) == (
        "the transaction needs more than the 1,000,000 gas one transaction may use on this node "
        "(Out of gas: gas required exceeds allowance: 1000000): split the batch into smaller transactions"
    )


def test_an_estimate_above_the_block_gas_limit_says_how_far_to_split(
    small_block: Node,
) -> None:
    chain = small_block[1]
    with pytest.raises(ChainError) as info:
        chain.sender.gas_limit(2_500_001)
    assert str(info.value) == (
        "the transaction needs 2,500,001 gas, more than the 1,000,000 one transaction may use on this node "
        "(the block gas limit): split the batch into at least 3 transactions (at most 1/3 of the items each)"
    )
    assert chain.sender.gas_limit(900_000) == SMALL_BLOCK
    assert chain.sender.gas_limit(800_000) == 960_000


def test_the_eip7825_cap_is_learned_from_the_node_and_kept(osaka_cap: Node) -> None:
    node, chain, burner = osaka_cap
    signer = node.accounts[1]
    estimate = chain.sender.simulate(signer, burner, burn(700))
    assert estimate <= EIP7825_TX_GAS_CAP < with_margin(estimate) < 30_000_000
    nonce = chain.w3.eth.get_transaction_count(signer.address)

    receipt = chain.sender.send(signer, burner, burn(700))  # refused at 1.2x, resent at the cap
    tx = chain.w3.eth.get_transaction(receipt["transactionHash"])
    assert (receipt["status"], tx["gas"], tx["nonce"]) == (1, EIP7825_TX_GAS_CAP, nonce)  # the refusal used no nonce
    assert chain.sender.tx_gas_cap == EIP7825_TX_GAS_CAP
    assert chain.sender.gas_limit(estimate) == EIP7825_TX_GAS_CAP  # known from now on: no second refusal
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce + 1


def test_an_estimate_above_the_eip7825_cap_is_refused_with_the_split(
    osaka_cap: Node,
) -> None:
    node, _chain, burner = osaka_cap
    chain = connect(node.url)  # a fresh sender that has not learned the cap yet
    signer = node.accounts[2]
    estimate = chain.sender.simulate(signer, burner, burn(800))
    assert EIP7825_TX_GAS_CAP < estimate < 30_000_000
    with nothing_sent(chain, signer), pytest.raises(ChainError) as info:
        chain.sender.send(signer, burner, burn(800))
    assert str(info.value) == (
        f"the transaction needs {estimate:,} gas, more than the 16,777,216 one transaction may use on this node "
        "(the per-transaction cap of EIP-7825): split the batch into at least 2 transactions (at most 1/2 of the "
        "items each)"
    )
    with nothing_sent(chain, signer), pytest.raises(ChainError) as info:
        chain.sender.send(signer, burner, burn(1), gas=EIP7825_TX_GAS_CAP + 1)
    assert str(info.value) == (
        "the node refused gas 16,777,217: above its 16,777,216 per-transaction cap (EIP-7825): "
        "pass gas of at most 16,777,216, or none to let hktoken estimate it"
    )
    chain.sender.send(signer, burner, burn(1))  # and the same sender goes on sending


def test_a_node_without_the_cap_gets_the_full_margin_above_2_to_the_24() -> None:
    node = Anvil()  # default anvil: 30M-gas blocks, EIP-7825 not enforced
    chain = node.start()
    try:
        signer = node.accounts[1]
        burner = deploy_burner(chain, signer)
        estimate = chain.sender.simulate(signer, burner, burn(700))
        receipt = chain.sender.send(signer, burner, burn(700))
        assert chain.w3.eth.get_transaction(receipt["transactionHash"])["gas"] == with_margin(estimate)
        assert with_margin(estimate) > EIP7825_TX_GAS_CAP and chain.sender.tx_gas_cap is None
    finally:
        node.stop()
