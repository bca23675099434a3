"""Runs beyond the happy path: a step that fails on chain, a spec changed under a journal, confirmations, a node
that mines on a timer, and the deploy command's signer and chain options."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken.abi import role_id
from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain
from hktoken.chain.hardhat import HardhatNode
from hktoken.chain.signers import dev_accounts
from hktoken.deployment import deploy_spec
from hktoken.errors import SpecError, TransactionReverted

from ._support import (
    DEPLOYER_KEY,
    SMALL_SPEC,
    SMALL_STEPS,
    Crash,
    assert_nothing_twice,
    cli,
    manifest_of,
    reference_state,
    state_of,
    write_small_spec,
)

MINT = "token.STN.mint[0-1]"
ROLES_SLOT = 8  # OpenZeppelin AccessControl's _roles in RWAToken's regular storage (tests/compliance/test_layout.py)


def has_role_slot(role: str, account: str) -> str:
    """The storage slot of ``_roles[role].hasRole[account]``."""
    inner = keccak(encode(["bytes32", "uint256"], [role_id(role), ROLES_SLOT]))
    return "0x" + keccak(encode(["address", "bytes32"], [account, inner])).hex()


@pytest.fixture(scope="module")
def small_reference(chain: Chain, accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("small-reference")
    return reference_state(chain, accounts[0], write_small_spec(folder), folder)


def test_a_step_mined_with_status_0_is_marked_failed_and_signed_anew_on_the_next_run(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any
) -> None:
    signer = accounts[0]
    spec = write_small_spec(tmp_path)
    nonce = chain.w3.eth.get_transaction_count(signer.address)

    def revoke_behind_its_back(step_id: str, point: str) -> None:  # the chain changes between signing and mining
        if (step_id, point) == (MINT, "journaled"):
            token = json.loads(manifest_of(tmp_path).read_text())["contracts"]["token.STN"]["address"]
            chain.rpc("anvil_setStorageAt", [token, has_role_slot("ISSUER_ROLE", signer.address), "0x" + "00" * 32])

    with pytest.raises(TransactionReverted) as failed:
        deploy_spec(chain, signer, spec, out=tmp_path, fault=revoke_behind_its_back)
    entry = json.loads(manifest_of(tmp_path).read_text())["steps"][MINT]
    assert failed.value.error == "AccessControlUnauthorizedAccount" and failed.value.tx_hash == entry["tx_hash"]
    assert entry["status"] == "failed" and "AccessControlUnauthorizedAccount" in entry["error"]
    token = json.loads(manifest_of(tmp_path).read_text())["contracts"]["token.STN"]["address"]
    chain.rpc("anvil_setStorageAt", [token, has_role_slot("ISSUER_ROLE", signer.address), "0x" + "00" * 31 + "01"])
    result = deploy_spec(chain, signer, spec, out=tmp_path)
    assert result.results[SMALL_STEPS.index(MINT)].outcome == "sent"
    again = json.loads(manifest_of(tmp_path).read_text())["steps"][MINT]
    assert again["replaced"][0]["tx_hash"] == entry["tx_hash"] and again["nonce"] == entry["nonce"] + 1
    # the failed transaction spent a nonce: one more than the steps, and nothing else
    assert chain.w3.eth.get_transaction_count(signer.address) - nonce == len(SMALL_STEPS) + 1
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


def test_a_spec_changed_after_a_step_was_sent_is_refused_before_anything_is_sent(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    spec = write_small_spec(tmp_path)
    deploy_spec(chain, accounts[0], spec, out=tmp_path)
    spec.write_text(SMALL_SPEC.replace('amount = "50"', 'amount = "60"'))
    block = chain.w3.eth.block_number
    with pytest.raises(SpecError, match=r"^step token\.STN\.mint\[0-1\] of manifest .*small\.json records another "):
        deploy_spec(chain, accounts[0], spec, out=tmp_path)
    assert chain.w3.eth.block_number == block


def test_confirmations_wait_for_that_many_blocks_before_the_next_step(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any
) -> None:
    stop = threading.Event()

    def mine() -> None:  # another source of blocks, as on a live network
        while not stop.wait(0.1):
            chain.rpc("evm_mine")

    miner = threading.Thread(target=mine)
    miner.start()
    try:
        deploy_spec(chain, accounts[0], write_small_spec(tmp_path), out=tmp_path, confirmations=3)
    finally:
        stop.set()
        miner.join()
    blocks = [e["block"] for e in json.loads(manifest_of(tmp_path).read_text())["steps"].values()]
    assert all(later >= earlier + 2 for earlier, later in itertools.pairwise(blocks))
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


def test_a_deployment_on_a_node_that_mines_on_a_timer(tmp_path: Path) -> None:
    signer = dev_accounts(1)[0]
    with Anvil(block_time=1) as chain:
        result = deploy_spec(chain, signer, write_small_spec(tmp_path), out=tmp_path)
        assert result.sent == len(SMALL_STEPS)
        assert_nothing_twice(chain, signer.address, 0, manifest_of(tmp_path), len(SMALL_STEPS))
        block = chain.w3.eth.block_number
        again = deploy_spec(chain, signer, write_small_spec(tmp_path), out=tmp_path)
        assert again.sent == 0 and chain.w3.eth.get_transaction_count(signer.address) == len(SMALL_STEPS)
        assert chain.w3.eth.block_number >= block  # the timer mines empty blocks; none carries a transaction


def test_hktoken_deploy_signs_with_a_keystore_and_checks_the_chain_id(
    chain: Chain, hktoken_node: Anvil | None, tmp_path: Path
) -> None:
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    keystore = tmp_path / "deployer.json"
    keystore.write_text(json.dumps(Account.encrypt(DEPLOYER_KEY, "s3cret", kdf="pbkdf2", iterations=2)))
    spec = write_small_spec(tmp_path)
    wrong = cli("deploy", str(spec), "--rpc-url", hktoken_node.url, "--chain-id", "1", "--keystore", str(keystore),
                "--out", str(tmp_path), env={"HKTOKEN_KEYSTORE_PASSWORD": "s3cret"})  # fmt: skip
    assert wrong.returncode == 1 and wrong.stderr == (
        f"error: the node at {hktoken_node.url} is on chain id 31337, not the expected 1: connect to the intended "
        "network, or change the expected chain id\n"
    )
    assert not (tmp_path / "deployments").exists()
    done = cli("deploy", str(spec), "--rpc-url", hktoken_node.url, "--chain-id", "31337", "--keystore", str(keystore),
               "--out", str(tmp_path), "--json", env={"HKTOKEN_KEYSTORE_PASSWORD": "s3cret"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == len(SMALL_STEPS)
    assert json.loads(manifest_of(tmp_path).read_text())["deployer"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    chain.sender.reset_nonces()


def test_a_step_the_simulation_refuses_names_the_step_and_sends_nothing_for_it(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    spec = tmp_path / "small.toml"
    spec.write_text(SMALL_SPEC.replace("max_holders = 10", 'max_holders = 10\nsupply_cap = "100"'))
    with pytest.raises(TransactionReverted) as refused:
        deploy_spec(chain, accounts[0], spec, out=tmp_path)
    assert str(refused.value).startswith(f"step {MINT}: ") and refused.value.tx_hash is None
    steps = json.loads(manifest_of(tmp_path).read_text())["steps"]
    assert MINT not in steps and all(e["status"] == "done" for e in steps.values())
    assert list(steps)[-1] == "registry.add_wallets[0]"  # the step before the mint


@pytest.mark.second_client
def test_a_deployment_on_hardhats_node_resumes_and_then_sends_nothing(tmp_path: Path) -> None:
    """A second, independent EVM (Hardhat's EDR): the same journal, the same resume, the same second run."""
    signer = dev_accounts(1)[0]
    spec = write_small_spec(tmp_path)

    def crash(step_id: str, point: str) -> None:
        if (step_id, point) == (MINT, "sent"):
            raise Crash(MINT)

    with HardhatNode() as chain:
        with pytest.raises(Crash):
            deploy_spec(chain, signer, spec, out=tmp_path, fault=crash)
        resumed = deploy_spec(chain, signer, spec, out=tmp_path)
        assert resumed.results[SMALL_STEPS.index(MINT)].note == "found mined"
        assert_nothing_twice(chain, signer.address, 0, manifest_of(tmp_path), len(SMALL_STEPS))
        block = chain.w3.eth.block_number
        again = deploy_spec(chain, signer, spec, out=tmp_path)
        assert (again.sent, again.blocks_mined) == (0, 0) and chain.w3.eth.block_number == block
