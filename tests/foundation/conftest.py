"""Session fixtures of the foundation tests: one compile of a tiny project, one anvil running it.

Fixture names deliberately avoid the plugin's (``chain``, ``w3``, ``accounts``, ``hktoken_node``), so
these tests run on their own node built from their own artifacts, never on the shipped ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr

from hktoken.artifacts import ArtifactStore
from hktoken.chain import Anvil, Chain
from hktoken.compiler import CompileResult, compile_project

from ._support import ETH, PROBE_PROJECT, children_of, cmdline, process_gone, write_project


@dataclass
class ProbeBuild:
    root: Path
    out: Path
    result: CompileResult
    store: ArtifactStore


@dataclass
class ProbeEnv:
    node: Anvil
    chain: Chain
    store: ArtifactStore
    accounts: list[LocalAccount]
    probe: Any  # web3 Contract bound to the deployed Probe
    coin: Any  # web3 Contract bound to the deployed Coin

    def data(self, fn: str, *args: Any) -> HexStr:
        """Calldata for Probe.fn(*args)."""
        return HexStr(self.probe.encode_abi(fn, args=list(args)))


def _anvil_children() -> set[int]:
    return {pid for pid in children_of(os.getpid()) if Path((cmdline(pid) or ["?"])[0]).name == "anvil"}


@pytest.fixture(scope="session", autouse=True)
def _no_anvil_left_behind() -> Iterator[None]:
    """At the end, no anvil these tests started may still be a child of this process.

    Nodes already running when the first foundation test starts (the plugin's session node, started by
    tests elsewhere) are torn down after this fixture, so they are left out.
    """
    before = _anvil_children()
    yield
    leftovers = sorted(_anvil_children() - before)
    assert leftovers == [], f"anvil processes left behind: {leftovers}"


@pytest.fixture(scope="session")
def probe_build(tmp_path_factory: pytest.TempPathFactory) -> ProbeBuild:
    """The tiny project, compiled once for the whole session (never modified by a test)."""
    base = tmp_path_factory.mktemp("probe")
    root = write_project(base / "project", PROBE_PROJECT)
    out = base / "artifacts"
    result = compile_project(root=root, artifacts_dir=out)
    return ProbeBuild(root=root, out=out, result=result, store=ArtifactStore(out))


@pytest.fixture(scope="session")
def probe_env(probe_build: ProbeBuild) -> Iterator[ProbeEnv]:
    """One anvil for the session with Probe and Coin deployed before any test snapshot."""
    node = Anvil(artifacts=probe_build.store)
    chain = node.start()
    try:
        accounts = node.accounts
        w3 = chain.w3
        contracts = {}
        for name, args in (("Probe", []), ("Coin", [accounts[0].address, 1_000_000 * ETH])):
            artifact = probe_build.store.get(name)
            factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            receipt = chain.sender.send(accounts[0], None, factory.constructor(*args).data_in_transaction)
            contracts[name] = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
        yield ProbeEnv(node, chain, probe_build.store, accounts, contracts["Probe"], contracts["Coin"])
    finally:
        pid = node.process.pid if node.process is not None else None
        node.stop()
        assert pid is None or process_gone(pid), f"anvil {pid} survived stop()"


@pytest.fixture
def probe(probe_env: ProbeEnv) -> Iterator[ProbeEnv]:
    """The session node, with every change of the test undone afterwards."""
    snapshot = probe_env.chain.snapshot()
    yield probe_env
    probe_env.chain.revert(snapshot)
