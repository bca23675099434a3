"""Faults around a deployment: another chain's manifest, a nonce taken by another transaction, a pooled or dropped
transaction, an RPC that goes away, and an anvil stopped mid-deployment and restarted from its state."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import dev_accounts
from hktoken.deployment import deploy_spec
from hktoken.errors import ChainError, SpecError
from tests.foundation._rpc_proxy import RpcProxy

from ._support import SMALL_STEPS, Crash, assert_nothing_twice, manifest_of, reference_state, state_of, write_small_spec

MINT = "token.STN.mint[0-1]"


@pytest.fixture(scope="module")
def small_reference(chain: Chain, accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("small-reference")
    return reference_state(chain, accounts[0], write_small_spec(folder), folder)


def crash_at(step_id: str, point: str, then: Any = None) -> Any:
    def hook(current: str, at: str) -> None:
        if (current, at) == (step_id, point):
            if then is not None:
                then()
            raise Crash(f"{current}@{at}")

    return hook


def entry_of(out: Path, step_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(manifest_of(out).read_text())["steps"][step_id]
    return entry


# --- another chain ------------------------------------------------------------------------------------------


def test_a_manifest_from_another_chain_with_the_same_chain_id_is_refused(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    spec = write_small_spec(tmp_path)
    manifest = tmp_path / "small.json"
    deploy_spec(chain, accounts[0], spec, manifest=manifest)
    recorded = json.loads(manifest.read_text())
    with Anvil(timestamp=1_700_000_000) as other:  # also 31337, another genesis block
        genesis = str(other.rpc("eth_getBlockByNumber", ["0x0", False])["hash"])
        assert other.chain_id == chain.chain_id and genesis != recorded["genesis_hash"]
        with pytest.raises(SpecError) as refused:
            deploy_spec(other, dev_accounts(1)[0], spec, manifest=manifest)
        assert str(refused.value) == (
            f"manifest {manifest} belongs to another chain (chain id 31337, genesis {recorded['genesis_hash']}), not "
            f"to this node's (chain id 31337, genesis {genesis}): point --rpc-url at the chain the manifest records, "
            "or use another --out to deploy afresh"
        )
        assert other.w3.eth.block_number == 0  # nothing sent
        # in the default layout each chain has its own folder: the other chain gets a deployment of its own
        result = deploy_spec(other, dev_accounts(1)[0], spec, out=tmp_path)
        assert result.sent == len(SMALL_STEPS)
        assert manifest_of(tmp_path).parent.name == f"31337-{genesis[2:10]}"
    assert json.loads(manifest.read_text()) == recorded  # the refused manifest is untouched


# --- a nonce used by another transaction -----------------------------------------------------------------------


def test_a_journaled_transaction_whose_nonce_another_used_stops_the_run_until_resigned(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any
) -> None:
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(Crash):
        deploy_spec(chain, signer, spec, out=tmp_path, fault=crash_at(MINT, "journaled"))
    journaled = entry_of(tmp_path, MINT)
    chain.sender.reset_nonces()
    other = chain.sender.send(signer, signer.address, "0x")  # another tool spends the journaled nonce
    assert other["transactionHash"].to_0x_hex() != journaled["tx_hash"]
    block = chain.w3.eth.block_number
    expected = (
        f"step {MINT}: its journaled transaction {journaled['tx_hash']} (nonce {journaled['nonce']}) was never "
        f"mined, and nonce {journaled['nonce']} of {signer.address} has been used by another transaction, so it never "
        f"will be: check what the transaction with nonce {journaled['nonce']} did (did another tool do this step?); "
        f"then run again with --resign {MINT} to sign a new transaction for it"
    )
    for _ in range(2):  # the same answer every time: never a new transaction without being asked
        with pytest.raises(ChainError) as stopped:
            deploy_spec(chain, signer, spec, out=tmp_path)
        assert str(stopped.value) == expected
        assert chain.w3.eth.block_number == block and entry_of(tmp_path, MINT)["status"] == "void"
    with pytest.raises(SpecError, match=r"^--resign names no step of the plan: nope"):
        deploy_spec(chain, signer, spec, out=tmp_path, resign=["nope"])
    result = deploy_spec(chain, signer, spec, out=tmp_path, resign=[MINT])
    assert result.results[SMALL_STEPS.index(MINT)].outcome == "sent"
    entry = entry_of(tmp_path, MINT)
    assert entry["replaced"] == [
        {"tx_hash": journaled["tx_hash"], "nonce": journaled["nonce"], "status": "void",
         "error": f"nonce {journaled['nonce']} was used by another transaction"}
    ]  # fmt: skip
    assert chain.w3.eth.get_transaction_count(signer.address) - nonce == len(SMALL_STEPS) + 1
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


# --- pooled and dropped transactions -------------------------------------------------------------------------


@pytest.fixture
def no_automine(chain: Chain) -> Iterator[None]:
    chain.rpc("evm_setAutomine", [False])
    try:
        yield
    finally:
        chain.rpc("evm_setAutomine", [True])


@pytest.mark.usefixtures("no_automine")
def test_a_journaled_transaction_found_in_the_pool_is_waited_for_not_sent_again(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any
) -> None:
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    chain.rpc("evm_setAutomine", [True])
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(Crash):
        deploy_spec(chain, signer, spec, out=tmp_path, fault=crash_at(MINT, "journaled"))
    chain.rpc("evm_setAutomine", [False])
    entry = entry_of(tmp_path, MINT)
    chain.rpc("eth_sendRawTransaction", [entry["raw_tx"]])  # it reached the node before the crash
    assert chain.rpc("eth_getTransactionReceipt", [entry["tx_hash"]]) is None
    miner = threading.Timer(1.5, lambda: (chain.rpc("evm_setAutomine", [True]), chain.rpc("evm_mine")))
    miner.start()
    try:
        result = deploy_spec(chain, signer, spec, out=tmp_path)
    finally:
        miner.join()
    resumed = result.results[SMALL_STEPS.index(MINT)]
    assert (resumed.outcome, resumed.note, resumed.tx_hash) == ("resumed", "waited for the pooled transaction",
                                                                 entry["tx_hash"])  # fmt: skip
    assert_nothing_twice(chain, signer.address, nonce, manifest_of(tmp_path), len(SMALL_STEPS))
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


@pytest.mark.usefixtures("no_automine")
def test_a_journaled_transaction_dropped_from_the_pool_is_broadcast_again_as_the_same_transaction(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any
) -> None:
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    chain.rpc("evm_setAutomine", [True])
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(Crash):
        deploy_spec(chain, signer, spec, out=tmp_path, fault=crash_at(MINT, "journaled"))
    chain.rpc("evm_setAutomine", [False])
    entry = entry_of(tmp_path, MINT)
    chain.rpc("eth_sendRawTransaction", [entry["raw_tx"]])
    chain.rpc("anvil_dropTransaction", [entry["tx_hash"]])
    assert chain.rpc("eth_getTransactionByHash", [entry["tx_hash"]]) is None
    chain.rpc("evm_setAutomine", [True])
    result = deploy_spec(chain, signer, spec, out=tmp_path)
    resumed = result.results[SMALL_STEPS.index(MINT)]
    assert (resumed.outcome, resumed.note, resumed.tx_hash) == ("resumed", "re-broadcast the journaled transaction",
                                                                 entry["tx_hash"])  # fmt: skip
    assert_nothing_twice(chain, signer.address, nonce, manifest_of(tmp_path), len(SMALL_STEPS))
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


# --- the node goes away -------------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_rpc_that_goes_away_mid_run_is_a_clear_error_the_journal_survives_and_resume_works(
    chain: Chain,
    accounts: list[LocalAccount],
    hktoken_node: Anvil | None,
    tmp_path: Path,
    small_reference: Any,
    when: str,
) -> None:
    """The node stops answering at the 8th transaction: before it receives it, or right after it mined it."""
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    proxy = RpcProxy(hktoken_node.url).start()
    sends = []

    def send(request: dict[str, Any], forward: Any) -> dict[str, Any]:
        sends.append(request)
        if len(sends) == 8 and when == "before":
            proxy.upstream = "http://127.0.0.1:9"
        answer: dict[str, Any] = forward(request)
        if len(sends) == 8:
            proxy.upstream = "http://127.0.0.1:9"
        return answer

    proxy.hooks["eth_sendRawTransaction"] = send
    try:
        via_proxy = connect(proxy.url)
        with pytest.raises(ChainError) as gone:
            deploy_spec(via_proxy, signer, spec, out=tmp_path)
        step_id = SMALL_STEPS[7]
        entry = entry_of(tmp_path, step_id)
        assert "\n" not in str(gone.value) and entry["status"] == "signed"
        doing = "being sent, so it may or may not have been received" if when == "before" else "pending"
        assert str(gone.value).startswith(
            f"step {step_id}: the node at {proxy.url} stopped answering while transaction {entry['tx_hash']} was "
            f"{doing}"
        )
        assert str(gone.value).endswith(
            f"once the node answers, look up {entry['tx_hash']} before sending again; then run again: the deployment "
            f"resumes from {manifest_of(tmp_path)}"
        )
        mined = chain.rpc("eth_getTransactionReceipt", [entry["tx_hash"]]) is not None
        assert mined == (when == "after")
        journal = json.loads(manifest_of(tmp_path).read_text())  # intact, and right about every step
        assert [s for s, e in journal["steps"].items() if e["status"] == "done"] == SMALL_STEPS[:7]
        proxy.upstream = hktoken_node.url  # the node is back
        result = deploy_spec(connect(proxy.url), signer, spec, out=tmp_path)
    finally:
        proxy.stop()
    resumed = result.results[7]
    assert resumed.outcome == "resumed" and resumed.tx_hash == entry["tx_hash"]
    assert resumed.note == ("found mined" if when == "after" else "re-broadcast the journaled transaction")
    chain.sender.reset_nonces()
    assert_nothing_twice(chain, signer.address, nonce, manifest_of(tmp_path), len(SMALL_STEPS))
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


@pytest.mark.parametrize("point", ["journaled", "sent"])
def test_anvil_stopped_mid_bulk_issuance_and_restarted_from_its_state_resumes_with_nothing_lost_or_doubled(
    tmp_path: Path, point: str
) -> None:
    signer = dev_accounts(1)[0]
    spec = write_small_spec(tmp_path)
    state = tmp_path / "anvil-state.json"
    reference_out = tmp_path / "reference"
    with Anvil(timestamp=1_750_000_000) as fresh:
        deploy_spec(fresh, signer, spec, out=reference_out)
        reference = state_of(fresh, manifest_of(reference_out))
    node = Anvil(extra_args=("--state", str(state)))
    first = node.start()
    try:
        if point == "journaled":  # the node goes away before the mint is sent: the run stops with a clear error
            with pytest.raises(ChainError) as gone:
                deploy_spec(first, signer, spec, out=tmp_path, fault=_stop_node_at(node, MINT, point))
            assert str(gone.value).startswith(f"step {MINT}: the JSON-RPC node at {first.rpc_url} did not answer")
            assert str(gone.value).endswith(f"then run again: the deployment resumes from {manifest_of(tmp_path)}")
        else:  # the mint is mined, then the node and the deploy process die before it is recorded
            with pytest.raises(Crash):
                deploy_spec(first, signer, spec, out=tmp_path, fault=crash_at(MINT, point, then=node.stop))
    finally:
        node.stop()  # SIGTERM: anvil writes its state
    restarted = Anvil(extra_args=("--state", str(state)))
    chain = restarted.start()
    try:
        entry = entry_of(tmp_path, MINT)
        assert entry["status"] == "signed"
        mined = chain.rpc("eth_getTransactionReceipt", [entry["tx_hash"]]) is not None
        assert mined == (point == "sent")
        result = deploy_spec(chain, signer, spec, out=tmp_path)  # same genesis, so the same manifest
        resumed = result.results[SMALL_STEPS.index(MINT)]
        assert resumed.outcome == "resumed" and resumed.tx_hash == entry["tx_hash"]
        assert resumed.note == ("found mined" if mined else "re-broadcast the journaled transaction")
        assert_nothing_twice(chain, signer.address, 0, manifest_of(tmp_path), len(SMALL_STEPS))
        assert state_of(chain, manifest_of(tmp_path)) == reference
    finally:
        restarted.stop()


def _stop_node_at(node: Anvil, step_id: str, point: str) -> Any:
    def hook(current: str, at: str) -> None:
        if (current, at) == (step_id, point):
            node.stop()

    return hook


def test_a_send_that_times_out_and_reaches_the_node_later_is_found_by_hash_not_sent_again(
    chain: Chain, accounts: list[LocalAccount], hktoken_node: Anvil | None, tmp_path: Path, small_reference: Any
) -> None:
    """The sender alone concludes the node never received it (the node does not know the hash when asked); the
    journal still holds the signed transaction, and the resumed run finds it mined."""
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    proxy = RpcProxy(hktoken_node.url).start()
    sends: list[int] = []
    landed = threading.Event()

    def slow(request: dict[str, Any], forward: Any) -> dict[str, Any]:
        sends.append(1)
        if len(sends) != 8:
            return forward(request)  # type: ignore[no-any-return]
        proxy.hold(5.0)  # longer than the client waits
        answer: dict[str, Any] = forward(request)
        landed.set()
        return answer

    proxy.hooks["eth_sendRawTransaction"] = slow
    try:
        with pytest.raises(ChainError) as timed_out:
            deploy_spec(connect(proxy.url, timeout=2.0), signer, spec, out=tmp_path)
        step_id = SMALL_STEPS[7]
        assert str(timed_out.value).startswith(f"step {step_id}: the JSON-RPC node at {proxy.url} did not answer")
        assert landed.wait(15)
        entry = entry_of(tmp_path, step_id)
        assert entry["status"] == "signed"
        assert chain.rpc("eth_getTransactionReceipt", [entry["tx_hash"]]) is not None  # it did reach the node
        result = deploy_spec(connect(proxy.url), signer, spec, out=tmp_path)
    finally:
        proxy.stop()
    resumed = result.results[7]
    assert (resumed.outcome, resumed.note, resumed.tx_hash) == ("resumed", "found mined", entry["tx_hash"])
    chain.sender.reset_nonces()
    assert_nothing_twice(chain, signer.address, nonce, manifest_of(tmp_path), len(SMALL_STEPS))
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


def test_a_journaled_transaction_replaced_in_the_pool_by_another_with_its_nonce_is_never_counted_as_done(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any
) -> None:
    """Another tool replaces the pooled transaction (same nonce, higher fee): the run stops, the journal keeps the
    step unfinished, the next run names it void, and --resign completes it."""
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    replacement: dict[str, str] = {}

    def replace_it(step_id: str, point: str) -> None:
        if (step_id, point) != (MINT, "journaled"):
            return
        entry = entry_of(tmp_path, MINT)
        chain.rpc("evm_setAutomine", [False])
        try:
            chain.rpc("eth_sendRawTransaction", [entry["raw_tx"]])  # pooled
            fee = 3 * int(chain.w3.eth.get_block("latest")["baseFeePerGas"]) + 10**10
            other = signer.sign_transaction({
                "chainId": chain.chain_id, "nonce": entry["nonce"], "to": signer.address, "value": 0, "gas": 21_000,
                "maxFeePerGas": fee, "maxPriorityFeePerGas": 10**10, "type": 2,
            })  # fmt: skip
            replacement["hash"] = chain.rpc("eth_sendRawTransaction", [other.raw_transaction.to_0x_hex()])
            chain.rpc("evm_mine")
        finally:
            chain.rpc("evm_setAutomine", [True])

    with pytest.raises(ChainError) as stopped:
        deploy_spec(chain, signer, spec, out=tmp_path, fault=replace_it)
    journaled = entry_of(tmp_path, MINT)
    assert str(stopped.value).startswith(
        f"step {MINT}: the node refused transaction {journaled['tx_hash']} (nonce {journaled['nonce']}): "
    )
    assert journaled["status"] == "signed"  # never recorded as done
    assert chain.rpc("eth_getTransactionReceipt", [replacement["hash"]])["status"] == "0x1"
    assert chain.rpc("eth_getTransactionByHash", [journaled["tx_hash"]]) is None
    with pytest.raises(ChainError, match=rf"^step {re.escape(MINT)}: its journaled transaction .* --resign"):
        deploy_spec(chain, signer, spec, out=tmp_path)
    assert entry_of(tmp_path, MINT)["status"] == "void"
    deploy_spec(chain, signer, spec, out=tmp_path, resign=[MINT])
    assert chain.w3.eth.get_transaction_count(signer.address) - nonce == len(SMALL_STEPS) + 1
    assert state_of(chain, manifest_of(tmp_path)) == small_reference
