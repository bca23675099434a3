"""Run Hardhat's node (EDR), a second EVM independent of anvil: on 127.0.0.1, proven ours, always stopped.

``hardhat node`` needs a project: a config file whose ``networks.node`` is an ``edr-simulated`` L1
network, a ``package.json`` beside it, and Hardhat installed *locally* (it refuses a global one). So
each node gets a temporary project folder holding those two files and a ``node_modules`` link to the
pinned toolchain's; it is deleted when the node stops. Hardhat runs under a Node.js 22.13+
(:func:`hktoken.toolchain.find_hardhat_node`), which may differ from the system one.

The port: ``--port 0`` lets the OS pick a free one (no race), read back from Hardhat's banner.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

from eth_account.signers.local import LocalAccount
from web3 import Web3

from hktoken import toolchain
from hktoken.artifacts import ArtifactStore
from hktoken.chain.anvil import DEFAULT_CHAIN_ID, HOST, _die_with_parent
from hktoken.chain.connection import Chain, connect
from hktoken.chain.dialects import HARDHAT, dialect_for
from hktoken.chain.signers import DEFAULT_MNEMONIC, dev_accounts
from hktoken.errors import ChainError

_LISTENING_RE = re.compile(r"JSON-RPC server at http://([\d.]+):(\d+)")
_CONFIG = "hardhat.config.mjs"


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    """Signal the node's own session (Node.js may have children), never anything else."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


class HardhatNode:
    """A ``hardhat node`` child process. Use as ``with HardhatNode() as chain:``; ``stop()`` is idempotent."""

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
        if not 0 <= port <= 65535:
            raise ChainError(f"port {port} is out of range", fix="use a port from 1 to 65535, or 0 for any free one")
        self.requested_port = port
        self.chain_id = chain_id
        self.account_count = accounts
        self.balance_eth = balance_eth
        self.mnemonic = mnemonic
        self.block_time = block_time
        self.startup_timeout = startup_timeout
        self.artifacts = artifacts
        self.process: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self.chain: Chain | None = None
        self.project_dir: Path | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=200)
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The node's HTTP JSON-RPC URL (only once started)."""
        if self.port is None:
            raise ChainError("the Hardhat node is not running", fix="start it first (`with HardhatNode() as chain:`)")
        return f"http://{HOST}:{self.port}"

    @property
    def accounts(self) -> list[LocalAccount]:
        """The funded dev accounts (their keys derive from the mnemonic; never printed)."""
        return dev_accounts(self.account_count, self.mnemonic)

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
        if self.process is not None:
            raise ChainError("this HardhatNode is already running", fix="stop() it before starting it again")
        self.port = None
        self._listening.clear()
        self._output.clear()
        toolchain.find_hardhat()  # a missing toolchain fails here, before any folder is made
        self.project_dir = self._write_project()
        argv = self._argv(self.project_dir)
        env = {**os.environ, "CI": "true"}  # never prompt (telemetry consent), never colour the banner
        self.process = subprocess.Popen(
            argv,
            cwd=self.project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
            preexec_fn=_die_with_parent
            if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
            else None,
        )
        atexit.register(self.stop)
        self._reader = threading.Thread(target=self._drain, name="hardhat-output", daemon=True)
        self._reader.start()
        try:
            self.port = self._wait_for_port()
            self.chain = connect(self.url, expected_chain_id=self.chain_id, artifacts=self.artifacts)
            self._verify_is_ours(self.chain)
            # `hardhat node` logs every request with its traces; unread, that is just CPU spent.
            self.chain.rpc("hardhat_setLoggingEnabled", [False])
        except BaseException:
            self.stop()
            raise
        return self.chain

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line.rstrip())
            match = _LISTENING_RE.search(line)
            if match and not self._listening.is_set():
                self.port = int(match.group(2))
                self._listening.set()

    def _wait_for_port(self) -> int:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._listening.wait(0.05):
                assert self.port is not None
                return self.port
            if self.process.poll() is not None:
                if self._reader is not None:
                    self._reader.join(timeout=2)
                raise self._startup_failure()
        raise ChainError(
            f"the Hardhat node did not report a listening port within {self.startup_timeout:g}s",
            fix="run `hktoken toolchain` to check Hardhat and its Node.js",
        )

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

    def stop(self) -> None:
        """Terminate the node (SIGTERM, then SIGKILL after 5 s), reap it, delete its project folder."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is not None:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout=5)
            if self._reader is not None:
                self._reader.join(timeout=2)
            if process.stdout is not None:
                process.stdout.close()
        if self.project_dir is not None:
            shutil.rmtree(self.project_dir, ignore_errors=True)
            self.project_dir = None
        self.chain = None

    @property
    def running(self) -> bool:
        """Whether the node process is alive."""
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> Chain:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
