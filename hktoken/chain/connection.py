"""A connection to one EVM JSON-RPC node: the object every other part of hktoken is handed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import requests
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.exceptions import Web3Exception, Web3RPCError

from hktoken.artifacts import BUILD_INFO, ArtifactStore
from hktoken.chain.dialects import Dialect, dialect_for
from hktoken.chain.provider import NodeProvider
from hktoken.chain.revert import RevertDecoder
from hktoken.chain.sender import TransactionSender
from hktoken.errors import ChainError, SpecError, connection_failure, node_unreachable, rpc_error_message

DEFAULT_TIMEOUT_SECONDS = 10.0
_CONNECT_FIX = "check the URL and that the node is running (`hktoken node` starts a local one)"


class Chain:
    """A node plus the single transaction sender and revert decoder used with it."""

    def __init__(self, w3: Web3, *, rpc_url: str, chain_id: int, artifacts: ArtifactStore | None = None) -> None:
        self.w3 = w3
        self.rpc_url = rpc_url
        self.chain_id = chain_id
        self.artifacts = artifacts or ArtifactStore()
        # No build index yet (fresh checkout, or a node used only for ether): Error(string), Panic and
        # unknown selectors still decode; a present but unreadable index still raises.
        has_build = (self.artifacts.directory / BUILD_INFO).exists()
        self.decoder = RevertDecoder(self.artifacts.error_abis() if has_build else [], abi_source=self._artifact_abis)
        self.sender = TransactionSender(self)
        self._dialect: Dialect | None = None
        self._dialectless = False  # the node answered web3_clientVersion as no dev node hktoken knows

    def __repr__(self) -> str:
        return f"Chain(rpc_url={self.rpc_url!r}, chain_id={self.chain_id})"

    def _artifact_abis(self) -> Iterator[list[dict[str, Any]]]:
        for name in self.artifacts.names():
            yield self.artifacts.get(name).abi

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        """A raw JSON-RPC call (eth_*, or a dev node's anvil_*/hardhat_*/evm_*), with errors turned into ChainError."""
        try:
            response = self.w3.provider.make_request(method, params or [])  # type: ignore[arg-type]
        except requests.RequestException as exc:
            raise node_unreachable(self.rpc_url, exc) from exc
        except Web3RPCError as exc:
            raise ChainError(f"{method} failed: {rpc_error_message(exc)}") from exc
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error'].get('message', response['error'])}")
        return response.get("result")

    # --- state control (dev nodes: anvil, Hardhat; see hktoken.chain.dialects) ----------------------

    @property
    def dialect(self) -> Dialect:
        """The node's dev-node dialect, read once from ``web3_clientVersion``; ChainError if it has none."""
        if self._dialect is None:
            self._dialect = dialect_for(str(self.rpc("web3_clientVersion")), rpc_url=self.rpc_url)
        return self._dialect

    def known_dialect(self) -> Dialect | None:
        """The node's dev-node dialect, or None for a node that has none (a real network): for callers that adapt
        to the node rather than require a dev node. A node that does not answer still raises ChainError."""
        if self._dialect is None and not self._dialectless:
            version = str(self.rpc("web3_clientVersion"))  # a node that does not answer raises here
            try:
                self._dialect = dialect_for(version, rpc_url=self.rpc_url)
            except ChainError:
                self._dialectless = True
        return self._dialect

    def snapshot(self) -> str:
        """Take an EVM snapshot; ids are single-use, and reverting deletes later ones too."""
        return str(self.rpc(self.dialect.snapshot))

    def revert(self, snapshot_id: str) -> None:
        """Return to a snapshot (consuming it); tracked nonces are re-read afterwards."""
        if self.rpc(self.dialect.revert, [snapshot_id]) is not True:
            raise ChainError(f"snapshot {snapshot_id} no longer exists (snapshots are single-use)")
        self.sender.reset_nonces()

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks."""
        self.rpc(self.dialect.mine, [hex(blocks)])

    def increase_time(self, seconds: int) -> None:
        """Move the clock forward; the next block carries the new time."""
        self.rpc(self.dialect.increase_time, [seconds])
        self.rpc(self.dialect.mine_one)

    def set_next_block_timestamp(self, timestamp: int) -> None:
        """Fix the timestamp of the next mined block."""
        self.rpc(self.dialect.set_next_block_timestamp, [timestamp])

    def impersonate(self, address: ChecksumAddress) -> None:
        """Let the node accept unsigned ``eth_sendTransaction`` from ``address`` (dev nodes only)."""
        self.rpc(self.dialect.impersonate, [address])

    def stop_impersonating(self, address: ChecksumAddress) -> None:
        """Undo :meth:`impersonate`."""
        self.rpc(self.dialect.stop_impersonating, [address])

    def timestamp(self) -> int:
        """The timestamp of the latest block (a node that stopped answering raises ChainError, as every call does)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def set_balance(self, address: ChecksumAddress, wei: int) -> None:
        """Set an account's ether balance (dev nodes only)."""
        self.rpc(self.dialect.set_balance, [address, hex(wei)])

    def code_at(self, address: ChecksumAddress) -> HexStr:
        """The runtime bytecode at ``address`` ("0x" when none)."""
        return HexStr(self.w3.to_hex(self.w3.eth.get_code(address)))


def _validate_url(rpc_url: str) -> None:
    parsed = urlparse(rpc_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SpecError(f"{rpc_url!r} is not an HTTP(S) JSON-RPC URL", fix="use a URL like http://127.0.0.1:8545")


def connect(
    rpc_url: str,
    *,
    expected_chain_id: int | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    artifacts: ArtifactStore | None = None,
) -> Chain:
    """Connect to any EVM JSON-RPC node; fail with one clear line if it is unreachable or not the chain expected."""
    _validate_url(rpc_url)
    w3 = Web3(NodeProvider(rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None))
    try:
        chain_id = int(w3.eth.chain_id)
    except ChainError as exc:  # the provider's mapping of a transport failure
        cause = exc.__cause__ if isinstance(exc.__cause__, requests.RequestException) else exc
        if isinstance(cause, requests.HTTPError):  # something answered over HTTP, but not as a JSON-RPC node
            status = cause.response.status_code if cause.response is not None else "an error"
            raise ChainError(
                f"{rpc_url} answered (HTTP {status}) but is not a JSON-RPC node",
                fix="check the URL: use the node's JSON-RPC endpoint, e.g. http://127.0.0.1:8545",
            ) from cause
        raise ChainError(
            f"cannot reach the JSON-RPC node at {rpc_url} ({connection_failure(cause)})", fix=_CONNECT_FIX
        ) from cause
    except Web3RPCError as exc:
        raise ChainError(
            f"{rpc_url} did not answer like an EVM JSON-RPC node ({rpc_error_message(exc)})", fix=_CONNECT_FIX
        ) from exc
    except (Web3Exception, ValueError) as exc:
        raise ChainError(f"{rpc_url} did not answer like an EVM JSON-RPC node ({exc})", fix=_CONNECT_FIX) from exc
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainError(
            f"the node at {rpc_url} is on chain id {chain_id}, not the expected {expected_chain_id}",
            fix="connect to the intended network, or change the expected chain id",
        )
    return Chain(w3, rpc_url=rpc_url, chain_id=chain_id, artifacts=artifacts)
