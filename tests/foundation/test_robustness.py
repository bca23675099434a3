"""A node that goes away, a restarted Anvil, and an explicit compile root."""

from __future__ import annotations

from pathlib import Path

import pytest

from hktoken import Anvil, ChainError, CompileError
from hktoken.compiler import compile_project
from hktoken.contracts.stablecoin import HKDStablecoin


def test_an_anvil_object_can_be_started_again_after_stop() -> None:
    node = Anvil()
    node.start()
    first_instance = node.instance_id
    node.stop()
    second = node.start()
    try:
        assert node.running and second.w3.eth.chain_id == 31337
        assert node.instance_id not in (None, first_instance)  # a new process, verified as ours, not the old port
        assert second.rpc("anvil_metadata")["instanceId"] == node.instance_id
    finally:
        node.stop()


def test_a_node_that_stops_answering_gives_a_chain_error() -> None:
    node = Anvil()
    chain = node.start()
    try:
        coin = HKDStablecoin.deploy(chain, node.accounts[0])
    finally:
        node.stop()
    with pytest.raises(ChainError, match=r"did not answer \(connection error\): check that the node is running"):
        coin.balance_of(node.accounts[0].address)
    with pytest.raises(ChainError, match=r"did not answer \(connection error\)"):
        coin.mint(node.accounts[0], node.accounts[1].address, 1)


def test_an_explicit_compile_root_without_contracts_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        compile_project(tmp_path, tmp_path / "out")
    assert str(info.value) == f"no contracts/ folder in {tmp_path}: pass the folder that holds contracts/"
    assert not (tmp_path / "out").exists()
