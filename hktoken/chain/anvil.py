"""Run a local anvil node: started on 127.0.0.1, proven to be ours, always stopped.

The port comes from anvil's own banner (``--port 0`` lets the OS pick a free one, with no race),
the readiness wait fails at once if the process dies, and on Linux the child gets
PR_SET_PDEATHSIG so it dies with us even if this process is killed outright.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import ctypes
import re
import signal
import subprocess
import sys
import threading
import time
from types import TracebackType

from eth_account.signers.local import LocalAccount
from web3 import Web3

from hktoken import toolchain
from hktoken.artifacts import ArtifactStore
from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import DEFAULT_MNEMONIC, dev_accounts
from hktoken.errors import ChainError

DEFAULT_CHAIN_ID = 31337
HOST = "127.0.0.1"
_LISTENING_RE = re.compile(r"Listening on ([\d.]+):(\d+)")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Anvil:
    """An anvil child process. Use as ``with Anvil() as chain:``; ``stop()`` is idempotent."""

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
        if not 0 <= port <= 65535:
            raise ChainError(f"port {port} is out of range", fix="use a port from 1 to 65535, or 0 for any free one")
        self.requested_port = port
        self.chain_id = chain_id
        self.account_count = accounts
        self.balance_eth = balance_eth
        self.mnemonic = mnemonic
        self.block_time = block_time
        self.timestamp = timestamp
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.artifacts = artifacts
        self.process: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self.chain: Chain | None = None
        self.instance_id: str | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=200)
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The node's HTTP JSON-RPC URL (only once started)."""
        if self.port is None:
            raise ChainError("anvil is not running", fix="start it first (`with Anvil() as chain:`)")
        return f"http://{HOST}:{self.port}"

    @property
    def accounts(self) -> list[LocalAccount]:
        """The funded dev accounts (their keys derive from the mnemonic; never printed)."""
        return dev_accounts(self.account_count, self.mnemonic)

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
        if self.block_time is not None:
            argv += ["--block-time", str(self.block_time)]
        if self.timestamp is not None:
            argv += ["--timestamp", str(self.timestamp)]
        return argv + list(self.extra_args)

    def start(self) -> Chain:
        """Start anvil, wait until it answers, check it is this process's node; return the Chain."""
        if self.process is not None:
            raise ChainError("this Anvil is already running", fix="stop() it before starting it again")
        self.port = None  # a restart must learn its new port, never reuse the old one
        self.instance_id = None
        self._listening.clear()
        self._output.clear()
        argv = self._argv()
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop anvil in order
            # PDEATHSIG fires when the forking *thread* exits, so only arm it from the main thread.
            preexec_fn=_die_with_parent
            if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
            else None,
        )
        atexit.register(self.stop)
        self._reader = threading.Thread(target=self._drain, name="anvil-output", daemon=True)
        self._reader.start()
        try:
            self.port = self._wait_for_port()
            self.chain = connect(self.url, expected_chain_id=self.chain_id, artifacts=self.artifacts)
            self._verify_is_ours(self.chain)
        except BaseException:
            self.stop()
            raise
        return self.chain

    def _drain(self) -> None:
        """Read anvil's output for as long as it runs: an unread pipe would block it."""
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
            if self._listening.wait(0.02):
                assert self.port is not None
                return self.port
            if self.process.poll() is not None:
                if self._reader is not None:
                    self._reader.join(timeout=2)
                raise self._startup_failure()
        raise ChainError(
            f"anvil did not report a listening port within {self.startup_timeout:g}s",
            fix="run `hktoken toolchain` to check the anvil binary",
        )

    def _startup_failure(self) -> ChainError:
        output = "\n".join(self._output)
        if "Address already in use" in output or "os error 98" in output:
            return ChainError(
                f"port {self.requested_port} on {HOST} is already in use",
                fix="choose another --port, or omit it to let hktoken pick a free one",
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

    def stop(self) -> None:
        """Terminate anvil (SIGTERM, then SIGKILL after 5 s) and reap it. Safe to call twice."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2)
        if process.stdout is not None:
            process.stdout.close()
        self.chain = None

    @property
    def running(self) -> bool:
        """Whether the anvil process is alive."""
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> Chain:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
