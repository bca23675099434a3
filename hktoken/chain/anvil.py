"""Run a local anvil node: started on 127.0.0.1, proven to be ours, always stopped.

The port comes from anvil's own banner (``--port 0`` lets the OS pick a free one, with no race); the process
handling every dev node shares is in :mod:`hktoken.chain.devnode`.
"""

from __future__ import annotations

import re

from web3 import Web3

from hktoken import toolchain
from hktoken.artifacts import ArtifactStore
from hktoken.chain.connection import Chain
from hktoken.chain.devnode import DEFAULT_CHAIN_ID, HOST, DevNode
from hktoken.chain.signers import DEFAULT_MNEMONIC, dev_accounts
from hktoken.errors import ChainError

__all__ = ["DEFAULT_CHAIN_ID", "HOST", "Anvil"]


class Anvil(DevNode):
    """An anvil child process. Use as ``with Anvil() as chain:``; ``stop()`` is idempotent."""

    kind = "Anvil"
    label = "anvil"
    toolchain_fix = "run `hktoken toolchain` to check the anvil binary"
    listening_re = re.compile(r"Listening on ([\d.]+):(\d+)")

    def __init__(
        self,
        *,
        port: int = 0,
        chain_id: int = DEFAULT_CHAIN_ID,
        accounts: int = 10,
        balance_eth: int = 10_000,
        mnemonic: str = DEFAULT_MNEMONIC,
        block_time: float | None = None,
        timestamp: int | None = None,
        startup_timeout: float = 20.0,
        extra_args: tuple[str, ...] = (),
        artifacts: ArtifactStore | None = None,
    ) -> None:
        super().__init__(
            port=port, chain_id=chain_id, accounts=accounts, balance_eth=balance_eth, mnemonic=mnemonic,
            block_time=block_time, startup_timeout=startup_timeout, artifacts=artifacts,
        )  # fmt: skip
        self.timestamp = timestamp
        self.extra_args = extra_args
        self.instance_id: str | None = None

    def _argv(self) -> list[str]:
        argv = [
            *toolchain.find_anvil().argv,
            "--host", HOST,
            "--port", str(self.requested_port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.account_count),
            "--balance", str(self.balance_eth),
            "--mnemonic", self.mnemonic,
        ]  # fmt: skip
        # anvil writes the states it evicts from memory to a cache directory it never cleans; a long test
        # session wrote tens of GB there. hktoken keeps the in-memory history only.
        if not any(a.startswith(("--max-persisted-states", "--prune-history")) for a in self.extra_args):
            argv += ["--max-persisted-states", "0"]
        if self.block_time is not None:
            argv += ["--block-time", str(self.block_time)]
        if self.timestamp is not None:
            argv += ["--timestamp", str(self.timestamp)]
        return argv + list(self.extra_args)

    def start(self) -> Chain:
        """Start anvil, wait until it answers, check it is this process's node; return the Chain."""
        self._check_not_running()
        self.instance_id = None
        return self._launch(self._argv())

    def _startup_failure(self) -> ChainError:
        output = "\n".join(self._output)
        if "Address already in use" in output or "os error 98" in output:
            return ChainError(
                f"port {self.requested_port} on {HOST} is already in use",
                fix="choose another --port, or --port 0 to let hktoken pick a free one",
            )
        lines = [line.strip() for line in self._output if line.strip()]
        errors = [line for line in lines if line.lower().startswith("error")]
        last = (errors or lines or ["no output"])[-1]
        return ChainError(f"anvil exited during start-up: {last}", fix="run `hktoken toolchain` to check anvil")

    def _verify_is_ours(self, chain: Chain) -> None:
        """Make sure we talk to the process we started, not another node on a reused port."""
        version = chain.w3.client_version
        expected = dev_accounts(1, self.mnemonic)[0].address
        node_accounts = chain.w3.eth.accounts
        if (
            not version.startswith("anvil/")
            or not node_accounts
            or Web3.to_checksum_address(node_accounts[0]) != expected
        ):
            raise ChainError(
                f"the node at {self.url} is not the anvil hktoken started ({version})",
                fix="stop the other node on that port, or let hktoken pick a free port",
            )
        metadata = chain.rpc("anvil_metadata")
        self.instance_id = str(metadata.get("instanceId", "")) if isinstance(metadata, dict) else None
