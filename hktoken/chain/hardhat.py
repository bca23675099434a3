"""Run Hardhat's node (EDR), a second EVM independent of anvil: on 127.0.0.1, proven ours, always stopped.

``hardhat node`` needs a project: a config file whose ``networks.node`` is an ``edr-simulated`` L1
network, a ``package.json`` beside it, and Hardhat installed *locally* (it refuses a global one). So
each node gets a temporary project folder holding those two files and a ``node_modules`` link to the
pinned toolchain's; it is deleted when the node stops. Hardhat runs under a Node.js 22.13+
(:func:`hktoken.toolchain.find_hardhat_node`), which may differ from the system one.

The port: ``--port 0`` lets the OS pick a free one (no race), read back from Hardhat's banner.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from web3 import Web3

from hktoken import toolchain
from hktoken.artifacts import ArtifactStore
from hktoken.chain.connection import Chain
from hktoken.chain.devnode import DEFAULT_CHAIN_ID, HOST, DevNode
from hktoken.chain.dialects import HARDHAT, dialect_for
from hktoken.chain.signers import DEFAULT_MNEMONIC, dev_accounts
from hktoken.errors import ChainError

_CONFIG = "hardhat.config.mjs"


class HardhatNode(DevNode):
    """A ``hardhat node`` child process. Use as ``with HardhatNode() as chain:``; ``stop()`` is idempotent."""

    kind = "HardhatNode"
    label = "the Hardhat node"
    toolchain_fix = "run `hktoken toolchain` to check Hardhat and its Node.js"
    listening_re = re.compile(r"JSON-RPC server at http://([\d.]+):(\d+)")
    poll_seconds = 0.05

    def __init__(
        self,
        *,
        port: int = 0,
        chain_id: int = DEFAULT_CHAIN_ID,
        accounts: int = 10,
        balance_eth: int = 10_000,
        mnemonic: str = DEFAULT_MNEMONIC,
        block_time: float | None = None,
        startup_timeout: float = 60.0,
        artifacts: ArtifactStore | None = None,
    ) -> None:
        super().__init__(
            port=port, chain_id=chain_id, accounts=accounts, balance_eth=balance_eth, mnemonic=mnemonic,
            block_time=block_time, startup_timeout=startup_timeout, artifacts=artifacts,
        )  # fmt: skip
        self.project_dir: Path | None = None

    def config(self) -> dict[str, object]:
        """The Hardhat user config this node runs with (written as ``hardhat.config.mjs``)."""
        network: dict[str, object] = {
            "type": "edr-simulated",
            "chainType": "l1",
            "chainId": self.chain_id,
            "accounts": {
                "mnemonic": self.mnemonic,
                "count": self.account_count,
                "accountsBalance": str(self.balance_eth * 10**18),
            },
        }
        if self.block_time is not None:
            network["mining"] = {"auto": False, "interval": round(self.block_time * 1000)}
        return {"networks": {"node": network}}

    def _write_project(self) -> Path:
        project = Path(tempfile.mkdtemp(prefix="hktoken-hardhat-"))
        (project / "package.json").write_text(
            json.dumps({"name": "hktoken-hardhat-node", "private": True, "type": "module"}) + "\n"
        )
        (project / _CONFIG).write_text(f"export default {json.dumps(self.config(), indent=2)};\n")
        (project / "node_modules").symlink_to(toolchain.node_modules(), target_is_directory=True)
        return project

    def _argv(self, project: Path) -> list[str]:
        return [
            *toolchain.find_hardhat().argv,
            "--config", str(project / _CONFIG),
            "node",
            "--hostname", HOST,
            "--port", str(self.requested_port),
        ]  # fmt: skip

    def start(self) -> Chain:
        """Start the node, wait until it answers, check it is this process's node; return the Chain."""
        self._check_not_running()
        toolchain.find_hardhat()  # a missing toolchain fails here, before any folder is made
        self.project_dir = self._write_project()
        env = {**os.environ, "CI": "true"}  # never prompt (telemetry consent), never colour the banner
        return self._launch(self._argv(self.project_dir), cwd=self.project_dir, env=env)

    def _after_start(self, chain: Chain) -> None:
        # `hardhat node` logs every request with its traces; unread, that is just CPU spent.
        chain.rpc("hardhat_setLoggingEnabled", [False])

    def _startup_failure(self) -> ChainError:
        output = "\n".join(self._output)
        if "EADDRINUSE" in output:
            return ChainError(
                f"port {self.requested_port} on {HOST} is already in use",
                fix="choose another port, or use 0 to let hktoken pick a free one",
            )
        lines = [line.strip() for line in self._output if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        last = (errors or lines or ["no output"])[0 if errors else -1]
        return ChainError(
            f"the Hardhat node exited during start-up: {last}", fix="run `hktoken toolchain` to check Hardhat"
        )

    def _verify_is_ours(self, chain: Chain) -> None:
        version = str(chain.rpc("web3_clientVersion"))
        expected = dev_accounts(1, self.mnemonic)[0].address
        node_accounts = chain.w3.eth.accounts
        try:
            is_hardhat = dialect_for(version, rpc_url=self.url) == HARDHAT
        except ChainError:
            is_hardhat = False
        if not is_hardhat or not node_accounts or Web3.to_checksum_address(node_accounts[0]) != expected:
            raise ChainError(
                f"the node at {self.url} is not the Hardhat node hktoken started ({version})",
                fix="stop the other node on that port, or let hktoken pick a free port",
            )

    def _signal(self, process: subprocess.Popen[str], signum: int) -> None:
        """Signal the node's own session (Node.js may have children), never anything else."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    def _after_stop(self) -> None:
        if self.project_dir is not None:
            shutil.rmtree(self.project_dir, ignore_errors=True)
            self.project_dir = None
