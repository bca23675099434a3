"""Dev-node dialects: chosen from web3_clientVersion (unit, no chain), then the same calls on anvil and Hardhat."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from hktoken.chain import Anvil, Chain
from hktoken.chain.dialects import ANVIL, HARDHAT, dialect_for
from hktoken.chain.hardhat import HardhatNode
from hktoken.errors import ChainError
from hktoken.testing import against

from ._support import children_of

ANVIL_VERSION = "anvil/v1.7.1"
HARDHAT_VERSION = "HardhatNetwork/3.18.0/@nomicfoundation/edr/0.3.8"
NO_DIALECT = (
    "http://fake ({}) speaks no dev-node dialect hktoken knows (anvil, hardhat), so it cannot mine, set balances, "
    "move time, snapshot or impersonate: run this against anvil (`hktoken node`) or Hardhat's node; "
    "a real network has no such controls"
)


class ScriptedProvider(BaseProvider):
    """Answers web3_clientVersion with a fixed string and ``true`` to anything else; records every call."""

    def __init__(self, client_version: str) -> None:
        super().__init__()
        self.client_version = client_version
        self.calls: list[tuple[str, list[Any]]] = []

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.calls.append((str(method), list(params)))
        result: Any = self.client_version if method == "web3_clientVersion" else True
        return {"jsonrpc": "2.0", "id": 1, "result": result}


def scripted_chain(client_version: str) -> tuple[Chain, ScriptedProvider]:
    provider = ScriptedProvider(client_version)
    return Chain(Web3(provider), rpc_url="http://fake", chain_id=31337), provider


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (ANVIL_VERSION, ANVIL),
        ("anvil/v1.7.1-stable/x86_64-unknown-linux-gnu", ANVIL),
        (HARDHAT_VERSION, HARDHAT),
        ("EDR/0.22.0", HARDHAT),
    ],
)
def test_the_dialect_is_chosen_from_the_client_version(version: str, expected: object) -> None:
    assert dialect_for(version) is expected


@pytest.mark.parametrize("version", ["Geth/v1.14.11-stable/linux-amd64/go1.23.2", "", "reth/v1.1.0"])
def test_a_node_with_no_known_dialect_is_refused_in_one_line(version: str) -> None:
    with pytest.raises(ChainError) as caught:
        dialect_for(version, rpc_url="http://fake")
    assert str(caught.value) == NO_DIALECT.format(version or "no client version")


@pytest.mark.parametrize(
    ("version", "mine", "set_balance", "impersonate"),
    [
        (ANVIL_VERSION, "anvil_mine", "anvil_setBalance", "anvil_impersonateAccount"),
        (HARDHAT_VERSION, "hardhat_mine", "hardhat_setBalance", "hardhat_impersonateAccount"),
    ],
)
def test_chain_speaks_the_dialect_it_read_once(version: str, mine: str, set_balance: str, impersonate: str) -> None:
    chain, provider = scripted_chain(version)
    someone = Web3.to_checksum_address("0x" + "11" * 20)
    chain.mine(3)
    chain.set_balance(someone, 10**18)
    chain.impersonate(someone)
    chain.increase_time(60)
    chain.set_next_block_timestamp(1_900_000_000)
    chain.snapshot()
    chain.revert("0x1")
    prefix = mine.split("_")[0]
    assert provider.calls[:9] == [
        ("web3_clientVersion", []),
        (mine, ["0x3"]),
        (set_balance, [someone, "0xde0b6b3a7640000"]),
        (impersonate, [someone]),
        ("evm_increaseTime", [60]),
        ("evm_mine", []),
        ("evm_setNextBlockTimestamp", [1_900_000_000]),
        ("evm_snapshot", []),
        ("evm_revert", ["0x1"]),
    ]
    assert prefix in {"anvil", "hardhat"}


def test_state_control_on_a_node_without_a_dialect_fails_before_sending_anything() -> None:
    chain, provider = scripted_chain("Geth/v1.14.11-stable")
    with pytest.raises(ChainError) as caught:
        chain.mine()
    assert str(caught.value) == NO_DIALECT.format("Geth/v1.14.11-stable")
    assert provider.calls == [("web3_clientVersion", [])]


# --- the same calls on both nodes ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["anvil", pytest.param("hardhat", marks=pytest.mark.second_client)])
def dev_node(request: pytest.FixtureRequest) -> Iterator[tuple[str, Chain, list[Any]]]:
    node: Anvil | HardhatNode = HardhatNode() if request.param == "hardhat" else Anvil()
    with node as chain:
        yield str(request.param), chain, node.accounts


def test_each_node_gets_its_own_dialect(dev_node: tuple[str, Chain, list[Any]]) -> None:
    kind, chain, _ = dev_node
    assert chain.dialect is {"anvil": ANVIL, "hardhat": HARDHAT}[kind]


def test_mine_set_balance_and_snapshot_revert(dev_node: tuple[str, Chain, list[Any]]) -> None:
    _, chain, accounts = dev_node
    who = accounts[3].address
    before = chain.w3.eth.block_number
    snapshot = chain.snapshot()
    chain.mine(5)
    assert chain.w3.eth.block_number == before + 5
    chain.set_balance(who, 123)
    assert chain.w3.eth.get_balance(who) == 123
    chain.revert(snapshot)
    assert chain.w3.eth.block_number == before
    assert chain.w3.eth.get_balance(who) == 10_000 * 10**18


def test_time_travel(dev_node: tuple[str, Chain, list[Any]]) -> None:
    _, chain, _ = dev_node
    snapshot = chain.snapshot()
    start = chain.timestamp()
    chain.increase_time(3_600)
    assert 3_600 <= chain.timestamp() - start <= 3_602  # the node's own clock may tick a second meanwhile
    target = chain.timestamp() + 86_400
    chain.set_next_block_timestamp(target)
    chain.mine()
    assert chain.timestamp() == target
    chain.revert(snapshot)


def test_impersonation_lets_an_unsigned_transaction_through(dev_node: tuple[str, Chain, list[Any]]) -> None:
    _, chain, accounts = dev_node
    snapshot = chain.snapshot()
    stranger = Account.from_key(b"\x42" * 32).address
    chain.set_balance(stranger, 10**18)
    chain.impersonate(stranger)
    tx_hash = chain.rpc("eth_sendTransaction", [{"from": stranger, "to": accounts[4].address, "value": "0x1"}])
    if chain.w3.eth.get_transaction_receipt(tx_hash) is None:  # a node may not have mined it yet
        chain.mine()
    assert chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    chain.stop_impersonating(stranger)
    with pytest.raises(ChainError, match=r"^eth_sendTransaction failed: "):
        chain.rpc("eth_sendTransaction", [{"from": stranger, "to": accounts[4].address, "value": "0x1"}])
    chain.revert(snapshot)


# --- the Hardhat launcher --------------------------------------------------------------------------------


@pytest.mark.second_client
def test_hardhat_node_listens_on_localhost_and_is_always_stopped() -> None:
    node = HardhatNode(accounts=3, balance_eth=7)
    with pytest.raises(RuntimeError, match=r"^boom$"), node as chain:
        assert node.url.startswith("http://127.0.0.1:")
        assert node.port not in (None, 0, 8545)
        assert chain.w3.eth.accounts == [a.address for a in node.accounts]
        assert chain.w3.eth.get_balance(node.accounts[2].address) == 7 * 10**18
        project = node.project_dir
        assert project is not None and (project / "hardhat.config.mjs").is_file()
        process = node.process
        raise RuntimeError("boom")
    assert not node.running and process is not None and process.returncode is not None
    assert not project.exists()
    node.stop()  # idempotent


@pytest.mark.second_client
def test_hardhat_config_mines_on_a_timer_when_asked() -> None:
    network = HardhatNode(block_time=1.5).config()["networks"]
    assert network == {
        "node": {
            "type": "edr-simulated",
            "chainType": "l1",
            "chainId": 31337,
            "accounts": {
                "mnemonic": "test test test test test test test test test test test junk",
                "count": 10,
                "accountsBalance": str(10_000 * 10**18),
            },
            "mining": {"auto": False, "interval": 1500},
        }
    }


# --- the runner that starts a node around pytest ---------------------------------------------------------


@pytest.mark.second_client
def test_the_runner_starts_hardhat_runs_pytest_on_it_and_stops_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "test_on_hardhat.py").write_text(
        "def test_it(chain, accounts):\n"
        "    assert chain.dialect.name == 'hardhat'\n"
        "    assert chain.w3.eth.get_balance(accounts[9].address) == 10_000 * 10**18\n"
    )
    before = set(children_of(os.getpid()))
    code = against.main(["hardhat", "--", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)])
    out = capfd.readouterr().out
    assert code == 0, out
    assert re.search(r"^hktoken: hardhat \(automine\) at http://127\.0\.0\.1:\d+, ready in [\d.]+s$", out, re.M)
    assert re.search(r"^1 passed in ", out, re.M)
    assert set(children_of(os.getpid())) <= before  # the node was stopped and reaped


def test_the_runner_names_its_node_and_refuses_another() -> None:
    with pytest.raises(SystemExit) as caught:
        against.main(["geth", "--", "-q"])
    assert caught.value.code == 2


def test_each_dialect_names_the_pool_and_miner_methods_the_sender_uses() -> None:
    assert (ANVIL.get_automine, ANVIL.get_interval_mining, ANVIL.drop_transaction, ANVIL.remove_pool_transactions) == (
        "anvil_getAutomine", "anvil_getIntervalMining", "anvil_dropTransaction", "anvil_removePoolTransactions",
    )  # fmt: skip
    # Hardhat can report automine and drop a transaction, but has no interval getter and no per-account pool purge.
    assert (HARDHAT.get_automine, HARDHAT.drop_transaction) == ("hardhat_getAutomine", "hardhat_dropTransaction")
    assert (HARDHAT.get_interval_mining, HARDHAT.remove_pool_transactions) == (None, None)


@pytest.mark.parametrize(("version", "expected"), [(ANVIL_VERSION, ANVIL), ("Geth/v1.14.11", None)])
def test_known_dialect_adapts_instead_of_refusing_and_asks_once(version: str, expected: object) -> None:
    chain, provider = scripted_chain(version)
    assert chain.known_dialect() is expected
    assert chain.known_dialect() is expected
    assert provider.calls == [("web3_clientVersion", [])]
