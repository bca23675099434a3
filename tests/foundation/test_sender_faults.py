"""The sender against nodes that misbehave: a revert mined and then reported as an error (Hardhat), a submission
that times out or finds no node, a transaction dropped from the pool or replaced by another tool, a nonce gap left
by a revert made outside hktoken, slow blocks, and a block that arrives between simulation and inclusion.

Faults are injected by a JSON-RPC proxy in front of a real anvil (``_rpc_proxy.RpcProxy``), never by patching the
sender. Nothing may ever be sent twice: each test counts the signer's transactions on the node.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3

from hktoken.chain import Anvil, Chain, connect
from hktoken.chain.sender import GAS_MARGIN_PERCENT
from hktoken.errors import ChainError, TransactionReverted
from hktoken.testing import nothing_sent

from ._rpc_proxy import Forward, Request, RpcProxy, rpc_error
from .conftest import ProbeEnv

WHO = Web3.to_checksum_address("0x" + "ab" * 20)
NOT_ALLOWED = (
    "0x"
    + function_signature_to_4byte_selector("NotAllowed(address,uint256)").hex()
    + encode(["address", "uint256"], [WHO, 1]).hex()
)
# runtime: sstore(0, gt(number, calldataload(0))): writes 0 over 0 up to block n, 1 (a fresh slot) after it
FLIP_RUNTIME = "600035431160005500"
FLIP_INIT = HexStr("0x6009600c60003960096000f3" + FLIP_RUNTIME)


def word(n: int) -> HexStr:
    return HexStr("0x" + n.to_bytes(32, "big").hex())


def count(chain: Chain, address: str, tag: str = "latest") -> int:
    return chain.w3.eth.get_transaction_count(Web3.to_checksum_address(address), tag)  # type: ignore[arg-type]


@pytest.fixture
def proxy_for() -> Iterator[Any]:
    """Start proxies in front of nodes; all stopped at teardown."""
    started: list[RpcProxy] = []

    def start(upstream: str) -> RpcProxy:
        proxy = RpcProxy(upstream).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture
def fresh_node() -> Iterator[Anvil]:
    node = Anvil()
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def manual_node() -> Iterator[Anvil]:
    """An anvil that mines only when asked (transactions stay in the pool)."""
    node = Anvil(extra_args=("--no-mining",))
    node.start()
    try:
        yield node
    finally:
        node.stop()


# --- 1. a mined revert reported as an error -------------------------------------------------------------------


@pytest.mark.parametrize("tracer", [True, False], ids=["with-tracer", "without-tracer"])
def test_a_revert_the_node_mined_and_then_reported_as_an_error_is_raised_decoded_with_its_hash(
    probe: ProbeEnv, proxy_for: Any, tracer: bool
) -> None:
    proxy: RpcProxy = proxy_for(probe.node.url)

    def mine_then_fail(request: Request, forward: Forward) -> dict[str, Any]:
        forward(request)  # anvil mines it (status 0); then answer as Hardhat does, with the word "nonce" in it
        return rpc_error(
            request,
            "VM Exception while processing transaction: reverted with custom error (nonce 12)",
            data=NOT_ALLOWED,
        )

    proxy.hooks["eth_sendRawTransaction"] = mine_then_fail
    if not tracer:
        proxy.hooks["debug_traceTransaction"] = lambda request, _: rpc_error(request, "Method not found", code=-32601)
    chain = connect(proxy.url, artifacts=probe.store)
    signer = probe.accounts[6]
    nonce = count(chain, signer.address)
    with pytest.raises(TransactionReverted) as info:  # an explicit gas limit skips the simulation, as a race would
        chain.sender.send(signer, probe.probe.address, probe.data("failCustom", WHO, 1), gas=100_000)
    exc = info.value
    assert not isinstance(exc, ChainError)
    assert (exc.error, exc.arguments, exc.data) == ("NotAllowed", {"who": WHO, "amount": 1}, NOT_ALLOWED)
    assert exc.tx_hash is not None
    assert chain.w3.eth.get_transaction_receipt(HexStr(exc.tx_hash))["status"] == 0
    assert proxy.calls.count("eth_sendRawTransaction") == 1  # never resent
    assert (count(chain, signer.address), count(chain, signer.address, "pending")) == (nonce + 1, nonce + 1)


def test_a_transaction_the_node_pooled_and_then_reported_as_known_is_waited_for_not_resent(
    probe: ProbeEnv, proxy_for: Any
) -> None:
    proxy: RpcProxy = proxy_for(probe.node.url)

    def take_then_complain(request: Request, forward: Forward) -> dict[str, Any]:
        forward(request)
        return rpc_error(request, "already known", code=-32000)

    proxy.hooks["eth_sendRawTransaction"] = take_then_complain
    chain = connect(proxy.url, artifacts=probe.store)
    signer = probe.accounts[7]
    nonce = count(chain, signer.address)
    receipt = chain.sender.send(signer, probe.probe.address, probe.data("bump"))
    assert receipt["status"] == 1
    assert chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce
    assert proxy.calls.count("eth_sendRawTransaction") == 1
    assert count(chain, signer.address) == nonce + 1
    assert probe.probe.functions.counter().call() == 1


def test_a_refusal_that_merely_mentions_a_nonce_is_not_retried(probe: ProbeEnv, proxy_for: Any) -> None:
    proxy: RpcProxy = proxy_for(probe.node.url)
    proxy.hooks["eth_sendRawTransaction"] = lambda request, _: rpc_error(request, "rejected: permit nonce mismatch")
    chain = connect(proxy.url, artifacts=probe.store)
    signer = probe.accounts[5]
    with nothing_sent(probe.chain, signer), pytest.raises(ChainError) as info:
        chain.sender.send(signer, probe.accounts[9].address, HexStr("0x"), value=5)
    assert str(info.value) == (
        "the node refused the transaction (rejected: permit nonce mismatch): nothing was sent; correct what the "
        "node names, then send again"
    )
    assert proxy.calls.count("eth_sendRawTransaction") == 1


# --- RPC timeouts and refused connections ---------------------------------------------------------------------


def test_a_submission_that_times_out_after_the_node_took_it_is_confirmed_not_resent(
    probe: ProbeEnv, proxy_for: Any
) -> None:
    proxy: RpcProxy = proxy_for(probe.node.url)

    def take_then_hang(request: Request, forward: Forward) -> dict[str, Any]:
        answer = forward(request)
        proxy.hold(5.0)  # longer than the client's 0.5 s timeout
        return answer

    proxy.hooks["eth_sendRawTransaction"] = take_then_hang
    chain = connect(proxy.url, artifacts=probe.store, timeout=0.5)
    signer, payee = probe.accounts[3], probe.accounts[9].address
    nonce, before = count(chain, signer.address), chain.w3.eth.get_balance(payee)
    receipt = chain.sender.send(signer, payee, HexStr("0x"), value=5)
    assert receipt["status"] == 1
    assert proxy.calls.count("eth_sendRawTransaction") == 1
    assert count(chain, signer.address) == nonce + 1
    assert chain.w3.eth.get_balance(payee) == before + 5


def test_a_submission_that_times_out_before_reaching_the_node_is_one_line_and_sends_nothing(
    probe: ProbeEnv, proxy_for: Any
) -> None:
    proxy: RpcProxy = proxy_for(probe.node.url)

    def hang(request: Request, forward: Forward) -> dict[str, Any]:
        proxy.hold(5.0)
        return rpc_error(request, "too late")

    proxy.hooks["eth_sendRawTransaction"] = hang
    chain = connect(proxy.url, artifacts=probe.store, timeout=0.5)
    signer = probe.accounts[4]
    with nothing_sent(probe.chain, signer), pytest.raises(ChainError) as info:
        chain.sender.send(signer, probe.accounts[9].address, HexStr("0x"), value=5)
    assert str(info.value) == (
        f"the JSON-RPC node at {proxy.url} did not answer (readtimeout): check that the node is running and "
        "reachable, then retry"
    )
    assert proxy.calls.count("eth_sendRawTransaction") == 1


def test_a_refused_connection_is_one_line_on_every_kind_of_call(probe: ProbeEnv, proxy_for: Any) -> None:
    proxy: RpcProxy = proxy_for(probe.node.url)
    chain = connect(proxy.url, artifacts=probe.store)
    signer = probe.accounts[4]
    proxy.stop()
    expected = (
        f"the JSON-RPC node at {proxy.url} did not answer (connection error): check that the node is running and "
        "reachable, then retry"
    )
    calls = [
        lambda: chain.sender.send(signer, probe.accounts[9].address, HexStr("0x"), value=5),
        lambda: chain.sender.send(signer, probe.accounts[9].address, HexStr("0x"), value=5, gas=21_000),
        chain.timestamp,
        lambda: chain.code_at(probe.probe.address),
        lambda: chain.w3.eth.get_transaction_receipt(HexStr("0x" + "11" * 32)),
        lambda: chain.rpc("evm_snapshot"),
    ]
    with nothing_sent(probe.chain, signer):
        for call in calls:
            with pytest.raises(ChainError) as info:
                call()
            assert str(info.value) == expected


# --- dropped, replaced, held back -----------------------------------------------------------------------------


def test_a_transaction_dropped_from_the_pool_is_noticed_within_seconds(manual_node: Anvil, proxy_for: Any) -> None:
    proxy: RpcProxy = proxy_for(manual_node.url)
    dropped: list[str] = []

    def take_then_drop(request: Request, forward: Forward) -> dict[str, Any]:
        answer = forward(request)
        assert proxy.node("anvil_dropTransaction", [answer["result"]]) == answer["result"]  # another tool drops it
        dropped.append(answer["result"])
        return answer

    proxy.hooks["eth_sendRawTransaction"] = take_then_drop
    chain = connect(proxy.url)
    signer = manual_node.accounts[1]
    started = time.monotonic()
    with nothing_sent(chain, signer), pytest.raises(ChainError) as info:
        chain.sender.send(signer, manual_node.accounts[2].address, HexStr("0x"), value=5)
    assert time.monotonic() - started < 10
    assert str(info.value) == (
        f"transaction {dropped[0]} (nonce 0) was dropped from the node's pool before it was mined: nothing was "
        "spent: send it again (hktoken re-reads the nonce)"
    )


def test_a_transaction_replaced_by_another_tool_names_both_hashes(manual_node: Anvil, proxy_for: Any) -> None:
    proxy: RpcProxy = proxy_for(manual_node.url)
    signer, payee = manual_node.accounts[1], manual_node.accounts[2].address
    hashes: list[str] = []

    def take_then_replace(request: Request, forward: Forward) -> dict[str, Any]:
        answer = forward(request)
        ours = answer["result"]
        proxy.node("anvil_dropTransaction", [ours])
        other: dict[str, Any] = {
            "chainId": 31337, "nonce": 0, "to": payee, "value": 7, "gas": 21_000,
            "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 2 * 10**9, "type": 2,
        }  # fmt: skip
        raw = signer.sign_transaction(other).raw_transaction.to_0x_hex()
        hashes.extend([ours, proxy.node("eth_sendRawTransaction", [raw])])
        proxy.node("evm_mine")
        return answer

    proxy.hooks["eth_sendRawTransaction"] = take_then_replace
    chain = connect(proxy.url)
    started = time.monotonic()
    with pytest.raises(ChainError) as info:
        chain.sender.send(signer, payee, HexStr("0x"), value=5)
    assert time.monotonic() - started < 10
    ours, other = hashes
    assert str(info.value) == (
        f"transaction {ours} will never be mined: its nonce 0 was used by transaction {other} (signed with the same "
        f"key by another tool): check what {other} did before sending again (hktoken re-reads the nonce)"
    )
    assert count(chain, signer.address) == 1  # the other tool's transaction only


def test_a_mined_transaction_whose_receipt_lags_is_not_mistaken_for_a_replaced_one(
    fresh_node: Anvil, proxy_for: Any
) -> None:
    proxy: RpcProxy = proxy_for(fresh_node.url)
    first_asked: list[float] = []

    def lagging_receipt(request: Request, forward: Forward) -> dict[str, Any]:
        first_asked.append(time.monotonic())
        if time.monotonic() - first_asked[0] < 2.5:  # mined at once, but the receipt index is behind
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": None}
        return forward(request)

    proxy.hooks["eth_getTransactionReceipt"] = lagging_receipt
    chain = connect(proxy.url)
    signer = fresh_node.accounts[1]
    receipt = chain.sender.send(signer, fresh_node.accounts[2].address, HexStr("0x"), value=5)
    assert receipt["status"] == 1 and time.monotonic() - first_asked[0] >= 2.5
    assert proxy.calls.count("eth_sendRawTransaction") == 1 and count(chain, signer.address) == 1


def _outside_snapshot(node: Anvil) -> str:
    """evm_snapshot as another tool takes it: straight to the node, not through Chain."""
    return str(node.chain.rpc("evm_snapshot")) if node.chain is not None else ""


def _outside_revert(node: Anvil, snapshot: str) -> None:
    assert node.chain is not None
    assert node.chain.w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]


def test_a_nonce_gap_left_by_an_outside_revert_is_resynchronised_within_seconds(
    fresh_node: Anvil, caplog: pytest.LogCaptureFixture
) -> None:
    chain = fresh_node.chain
    assert chain is not None
    signer, payee = fresh_node.accounts[1], fresh_node.accounts[2].address
    snapshot = _outside_snapshot(fresh_node)
    chain.sender.send(signer, payee, HexStr("0x"), value=1)  # nonce 0, tracked: next is 1
    _outside_revert(fresh_node, snapshot)  # the chain forgets it; the sender still says 1
    before = chain.w3.eth.get_balance(payee)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="hktoken.chain.sender"):
        receipt = chain.sender.send(signer, payee, HexStr("0x"), value=5)
    assert time.monotonic() - started < 10
    assert receipt["status"] == 1
    assert chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == 0
    assert (count(chain, signer.address), count(chain, signer.address, "pending")) == (1, 1)
    assert chain.w3.eth.get_balance(payee) == before + 5  # sent once
    pool = chain.rpc("txpool_content")
    assert pool["pending"] == {} and pool["queued"] == {}  # the held copy is gone: it can never land later
    (record,) = [r for r in caplog.records if r.name == "hktoken.chain.sender"]
    assert "had nonce 1, ahead of the chain" in record.getMessage()


def test_a_nonce_gap_the_node_cannot_clear_raises_with_the_fix(fresh_node: Anvil, proxy_for: Any) -> None:
    proxy: RpcProxy = proxy_for(fresh_node.url)
    for method in ("anvil_dropTransaction", "anvil_removePoolTransactions"):
        proxy.hooks[method] = lambda request, _: rpc_error(request, "Method not found", code=-32601)
    chain = connect(proxy.url)
    signer, payee = fresh_node.accounts[1], fresh_node.accounts[2].address
    snapshot = _outside_snapshot(fresh_node)
    chain.sender.send(signer, payee, HexStr("0x"), value=1)
    _outside_revert(fresh_node, snapshot)
    started = time.monotonic()
    with pytest.raises(ChainError) as info:
        chain.sender.send(signer, payee, HexStr("0x"), value=5)
    assert time.monotonic() - started < 10
    held = info.value.message.split()[1]
    assert str(info.value) == (
        f"transaction {held} has nonce 1 but the chain's next nonce for {signer.address} is 0: the node holds it back "
        "for the gap (was the chain reverted outside hktoken?): after reverting a snapshot with another tool, call "
        "chain.sender.reset_nonces() (or revert with Chain.revert, which does it); drop the held transaction from "
        "the node's pool"
    )
    assert count(chain, signer.address) == 0
    # what the fix says: take the held transaction out of the pool, tell the sender, and it is back in step
    proxy.node("anvil_removePoolTransactions", [signer.address])
    chain.sender.reset_nonces()
    receipt = chain.sender.send(signer, payee, HexStr("0x"), value=5)
    assert chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == 0
    assert (count(chain, signer.address), count(chain, signer.address, "pending")) == (1, 1)


# --- slow blocks ----------------------------------------------------------------------------------------------


@pytest.fixture
def slow_node() -> Iterator[Anvil]:
    node = Anvil(block_time=2)
    node.start()
    try:
        yield node
    finally:
        node.stop()


def test_sends_on_a_node_that_mines_every_two_seconds_succeed_in_bounded_time(slow_node: Anvil) -> None:
    chain = slow_node.chain
    assert chain is not None
    signer, payee = slow_node.accounts[1], slow_node.accounts[2].address
    started = time.monotonic()
    receipts = [chain.sender.send(signer, payee, HexStr("0x"), value=n) for n in (1, 2)]
    assert time.monotonic() - started < 12  # two blocks of 2 s each, and no pool check misfired
    assert [r["status"] for r in receipts] == [1, 1]
    assert [chain.w3.eth.get_transaction(r["transactionHash"])["nonce"] for r in receipts] == [0, 1]
    assert receipts[1]["blockNumber"] > receipts[0]["blockNumber"]


# --- an estimate that goes stale between simulation and inclusion ---------------------------------------------


def _deploy_flip(chain: Chain, signer: LocalAccount) -> ChecksumAddress:
    address = chain.sender.send(signer, None, FLIP_INIT)["contractAddress"]
    assert address is not None and chain.code_at(address) == "0x" + FLIP_RUNTIME
    return address


def test_the_margin_covers_a_zero_slot_written_non_zero_after_the_simulation(fresh_node: Anvil, proxy_for: Any) -> None:
    proxy: RpcProxy = proxy_for(fresh_node.url)
    chain = connect(proxy.url)
    signer = fresh_node.accounts[1]
    flip = _deploy_flip(chain, signer)
    estimates: list[int] = []

    def estimate_then_mine(request: Request, forward: Forward) -> dict[str, Any]:
        answer = forward(request)
        estimates.append(int(answer["result"], 16))
        proxy.node("evm_mine")  # a block arrives between the simulation and the transaction
        return answer

    proxy.hooks["eth_estimateGas"] = estimate_then_mine
    pending = chain.w3.eth.block_number + 1  # simulated there: 0 written over 0
    receipt = chain.sender.send(signer, flip, word(pending))
    (estimate,) = estimates
    assert receipt["status"] == 1 and receipt["blockNumber"] == pending + 1  # mined later: 1 written over 0
    assert chain.w3.eth.get_storage_at(flip, 0) == (1).to_bytes(32, "big")
    assert receipt["gasUsed"] > estimate * (100 + GAS_MARGIN_PERCENT) // 100  # 20% alone ran out of gas
    # the fresh slot costs 22,100, where the simulation only had to leave the 2,301 an SSTORE needs (EIP-2200)
    assert receipt["gasUsed"] - estimate == 22_100 - 2_301


def test_the_margin_is_20_percent_but_at_least_20000_gas_within_the_block(fresh_node: Anvil) -> None:
    chain = fresh_node.chain
    assert chain is not None
    block = chain.w3.eth.get_block("latest")
    assert block["gasLimit"] == 30_000_000
    assert [chain.sender.gas_limit(e, block) for e in (21_000, 99_999, 100_000, 100_001, 1_000_000)] == [
        41_000, 119_999, 120_000, 120_001, 1_200_000,
    ]  # fmt: skip
    assert (
        chain.sender.gas_limit(29_990_000, block) == 30_000_000
    )  # the floor, like the 20%, stops at the block's limit


def test_a_mined_out_of_gas_failure_reports_the_tracers_error(fresh_node: Anvil) -> None:
    chain = fresh_node.chain
    assert chain is not None
    signer = fresh_node.accounts[1]
    flip = _deploy_flip(chain, signer)
    with pytest.raises(TransactionReverted) as info:
        chain.sender.send(signer, flip, word(0), gas=30_000)  # writes a fresh slot: 22,100 of it
    exc = info.value
    assert exc.tx_hash is not None
    assert chain.w3.eth.get_transaction_receipt(HexStr(exc.tx_hash))["status"] == 0
    assert exc.error == "OutOfGas"
    assert str(exc).startswith(f"transaction {exc.tx_hash} failed on chain: out of gas")
    assert str(exc).endswith("(gas limit 30,000, used 30,000)")


def test_a_node_that_stops_answering_while_a_transaction_is_pending_names_its_hash(
    manual_node: Anvil, proxy_for: Any
) -> None:
    proxy: RpcProxy = proxy_for(manual_node.url)
    sent: list[str] = []

    def record(request: Request, forward: Forward) -> dict[str, Any]:
        answer = forward(request)
        sent.append(answer["result"])
        return answer

    def hang(request: Request, forward: Forward) -> dict[str, Any]:
        proxy.hold(5.0)
        return forward(request)

    proxy.hooks["eth_sendRawTransaction"] = record
    proxy.hooks["eth_getTransactionReceipt"] = hang
    chain = connect(proxy.url, timeout=0.5)
    with pytest.raises(ChainError) as info:
        chain.sender.send(manual_node.accounts[1], manual_node.accounts[2].address, HexStr("0x"), value=5)
    (tx_hash,) = sent
    assert str(info.value) == (
        f"the node at {proxy.url} stopped answering while transaction {tx_hash} was pending (readtimeout): once the "
        f"node answers, look up {tx_hash} before sending again"
    )
    assert proxy.calls.count("eth_sendRawTransaction") == 1
