"""What every local dev-node launcher shares: a child process on 127.0.0.1 whose port is read from its own banner,
a readiness wait that fails at once if the process dies, a check that the node answering is the one started,
and a stop that always reaps it. ``Anvil`` and ``HardhatNode`` add their command line, banner and identity check.

On Linux the child gets PR_SET_PDEATHSIG, so it dies with us even if this process is killed outright.
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
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount

from hktoken.artifacts import ArtifactStore
from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import DEFAULT_MNEMONIC, dev_accounts
from hktoken.errors import ChainError

DEFAULT_CHAIN_ID = 31337
HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DevNode(ABC):
    """A dev-node child process. Use as ``with Node() as chain:``; ``stop()`` is idempotent."""

    label: ClassVar[str]  # how messages name the node: "anvil", "the Hardhat node"
    kind: ClassVar[str]  # the launcher's public class, as messages name it: "Anvil", "HardhatNode"
    toolchain_fix: ClassVar[str]  # the fix for a node that does not come up
    listening_re: ClassVar[re.Pattern[str]]  # the banner line with host and port
    poll_seconds: ClassVar[float] = 0.02

    def __init__(
        self,
        *,
        port: int,
        chain_id: int,
        accounts: int,
        balance_eth: int,
        mnemonic: str = DEFAULT_MNEMONIC,
        block_time: float | None,
        startup_timeout: float,
        artifacts: ArtifactStore | None,
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
        self._output: collections.deque[str] = collections.deque(maxlen=200)
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The node's HTTP JSON-RPC URL (only once started)."""
        if self.port is None:
            raise ChainError(f"{self.label} is not running", fix=f"start it first (`with {self.kind}() as chain:`)")
        return f"http://{HOST}:{self.port}"

    @property
    def accounts(self) -> list[LocalAccount]:
        """The funded dev accounts (their keys derive from the mnemonic; never printed)."""
        return dev_accounts(self.account_count, self.mnemonic)

    @property
    def running(self) -> bool:
        """Whether the node process is alive."""
        return self.process is not None and self.process.poll() is None

    def _check_not_running(self) -> None:
        if self.process is not None:
            raise ChainError(f"this {self.kind} is already running", fix="stop() it before starting it again")
        self.port = None  # a restart must learn its new port, never reuse the old one
        self._listening.clear()
        self._output.clear()

    def _launch(self, argv: list[str], **popen: Any) -> Chain:
        """Start ``argv``, wait until it answers, check it is this process's node; return the Chain."""
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop the node in order
            # PDEATHSIG fires when the forking *thread* exits, so only arm it from the main thread.
            preexec_fn=_die_with_parent
            if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
            else None,
            **popen,
        )
        atexit.register(self.stop)
        name = f"{self.kind.lower()}-output"
        self._reader = threading.Thread(target=self._drain, name=name, daemon=True)
        self._reader.start()
        try:
            self.port = self._wait_for_port()
            self.chain = connect(self.url, expected_chain_id=self.chain_id, artifacts=self.artifacts)
            self._verify_is_ours(self.chain)
            self._after_start(self.chain)
        except BaseException:
            self.stop()
            raise
        return self.chain

    def _drain(self) -> None:
        """Read the node's output for as long as it runs: an unread pipe would block it."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line.rstrip())
            match = self.listening_re.search(line)
            if match and not self._listening.is_set():
                self.port = int(match.group(2))
                self._listening.set()

    def _wait_for_port(self) -> int:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._listening.wait(self.poll_seconds):
                assert self.port is not None
                return self.port
            if self.process.poll() is not None:
                if self._reader is not None:
                    self._reader.join(timeout=2)
                raise self._startup_failure()
        raise ChainError(
            f"{self.label} did not report a listening port within {self.startup_timeout:g}s", fix=self.toolchain_fix
        )

    @abstractmethod
    def start(self) -> Chain:
        """Start the node (through ``_launch``) and return its Chain."""

    @abstractmethod
    def _startup_failure(self) -> ChainError:
        """The error for a node that exited before it listened, from its output."""

    @abstractmethod
    def _verify_is_ours(self, chain: Chain) -> None:
        """Make sure we talk to the process we started, not another node on a reused port."""

    def _after_start(self, chain: Chain) -> None:  # noqa: B027 (an optional hook: empty by default)
        """A hook for node-specific set-up once the node is known to be ours."""

    def _signal(self, process: subprocess.Popen[str], signum: int) -> None:
        process.send_signal(signum)

    def _after_stop(self) -> None:  # noqa: B027 (an optional hook: empty by default)
        """A hook for node-specific clean-up once the process is reaped."""

    def stop(self) -> None:
        """Terminate the node (SIGTERM, then SIGKILL after 5 s) and reap it. Safe to call twice."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is not None:
            if process.poll() is None:
                self._signal(process, signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._signal(process, signal.SIGKILL)
                    process.wait(timeout=5)
            if self._reader is not None:
                self._reader.join(timeout=2)
            if process.stdout is not None:
                process.stdout.close()
        self._after_stop()
        self.chain = None

    def __enter__(self) -> Chain:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
