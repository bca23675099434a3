"""The anvil harness and connections: 127.0.0.1 only, proven ours, always stopped, snapshots single-use."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from eth_typing import ChecksumAddress, HexAddress, HexStr

from hktoken.artifacts import BUILD_INFO, ArtifactStore
from hktoken.chain import Anvil, connect, dev_accounts
from hktoken.chain.anvil import DEFAULT_CHAIN_ID
from hktoken.errors import ChainError, CompileError, SpecError

from ._support import ETH, closed_port, process_gone
from .conftest import ProbeBuild, ProbeEnv

OTHER_MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
CONNECT_FIX = "check the URL and that the node is running (`hktoken node` starts a local one)"


class RecordingAnvil(Anvil):
    """An Anvil that remembers the pid of every process it stops, to prove none is left behind."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stopped_pids: list[int] = []

    def stop(self) -> None:
        if self.process is not None:
            self.stopped_pids.append(self.process.pid)
        super().stop()


@pytest.fixture
def store(probe_build: ProbeBuild) -> ArtifactStore:
    return probe_build.store


@pytest.fixture
def other_node(store: ArtifactStore) -> Iterator[Anvil]:
    """A second anvil, from another mnemonic: someone else's node."""
    node = Anvil(mnemonic=OTHER_MNEMONIC, artifacts=store)
    node.start()
    yield node
    node.stop()


def test_start_reports_a_local_node_with_funded_dev_accounts(store: ArtifactStore) -> None:
    node = RecordingAnvil(artifacts=store)
    chain = node.start()
    try:
        assert node.port is not None and node.port > 0
        assert node.url == f"http://127.0.0.1:{node.port}"
        assert chain.rpc_url == node.url
        assert chain.w3.client_version.startswith("anvil/v1.7.1")
        assert chain.chain_id == DEFAULT_CHAIN_ID == 31337
        assert chain.w3.eth.chain_id == 31337
        assert node.running
        assert node.instance_id == chain.rpc("anvil_metadata")["instanceId"]
        assert re.fullmatch(r"0x[0-9a-f]{64}", str(node.instance_id))
        addresses = [a.address for a in node.accounts]
        assert addresses[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        assert list(chain.w3.eth.accounts) == addresses
        assert [chain.w3.eth.get_balance(a) for a in addresses] == [10_000 * ETH] * 10
        assert chain.w3.eth.block_number == 0
        with socket.create_connection(("127.0.0.1", node.port), timeout=2):
            pass  # it listens on the loopback address it names
    finally:
        node.stop()
    pid = node.stopped_pids[0]
    assert process_gone(pid)
    assert not node.running and node.chain is None and node.process is None
    node.stop()  # idempotent
    assert node.stopped_pids == [pid]
    with pytest.raises(ChainError) as info:
        connect(chain.rpc_url)
    assert str(info.value) == f"cannot reach the JSON-RPC node at {chain.rpc_url} (connection error): {CONNECT_FIX}"


def test_node_options_reach_anvil(store: ArtifactStore) -> None:
    with Anvil(chain_id=1337, accounts=3, balance_eth=5, timestamp=1_700_000_000, artifacts=store) as chain:
        assert chain.chain_id == 1337
        assert list(chain.w3.eth.accounts) == [a.address for a in dev_accounts(3)]
        assert [chain.w3.eth.get_balance(a) for a in chain.w3.eth.accounts] == [5 * ETH] * 3
        assert chain.timestamp() == 1_700_000_000


def test_context_manager_stops_the_node_on_error(store: ArtifactStore) -> None:
    node = RecordingAnvil(artifacts=store)
    with pytest.raises(RuntimeError, match=r"^boom$"), node:
        raise RuntimeError("boom")
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])


def test_url_before_start_and_double_start(store: ArtifactStore) -> None:
    node = RecordingAnvil(artifacts=store)
    with pytest.raises(ChainError) as info:
        _ = node.url
    assert str(info.value) == "anvil is not running: start it first (`with Anvil() as chain:`)"
    node.start()
    try:
        with pytest.raises(ChainError) as info:
            node.start()
        assert str(info.value) == "this Anvil is already running: stop() it before starting it again"
        assert node.running
    finally:
        node.stop()
    assert process_gone(node.stopped_pids[0])


def test_port_out_of_range() -> None:
    with pytest.raises(ChainError) as info:
        Anvil(port=65536)
    assert str(info.value) == "port 65536 is out of range: use a port from 1 to 65535, or 0 for any free one"


def test_port_already_in_use(store: ArtifactStore) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        node = RecordingAnvil(port=port, artifacts=store)
        with pytest.raises(ChainError) as info:
            node.start()
    assert str(info.value) == (
        f"port {port} on 127.0.0.1 is already in use: choose another --port, or --port 0 to let hktoken pick a free one"
    )
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])
    assert node.process is None and node.chain is None


def _hijacked(port: int) -> type[RecordingAnvil]:
    class Hijacked(RecordingAnvil):
        """Its own anvil starts, but the port it ends up talking to is ``port``: another node's."""

        def _wait_for_port(self) -> int:
            super()._wait_for_port()
            return port

    return Hijacked


def test_another_anvil_on_the_port_is_not_taken_for_ours(store: ArtifactStore, other_node: Anvil) -> None:
    assert other_node.port is not None
    node = _hijacked(other_node.port)(artifacts=store)
    with pytest.raises(ChainError) as info:
        node.start()
    assert str(info.value) == (
        f"the node at {other_node.url} is not the anvil hktoken started (anvil/v1.7.1): "
        "stop the other node on that port, or let hktoken pick a free port"
    )
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])
    assert other_node.running  # someone else's node is left alone


def test_another_chain_id_on_the_port_is_refused(store: ArtifactStore) -> None:
    with Anvil(chain_id=999, artifacts=store) as other:
        assert other.chain_id == 999
        node = _hijacked(int(other.rpc_url.rsplit(":", 1)[1]))(artifacts=store)
        with pytest.raises(ChainError) as info:
            node.start()
        assert str(info.value) == (
            f"the node at {other.rpc_url} is on chain id 999, not the expected 31337: "
            "connect to the intended network, or change the expected chain id"
        )
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])


def test_accounts_from_another_derivation_are_detected(store: ArtifactStore) -> None:
    node = RecordingAnvil(artifacts=store, extra_args=("--derivation-path", "m/44'/60'/0'/0/5"))
    with pytest.raises(ChainError) as info:
        node.start()
    assert re.fullmatch(
        r"the node at http://127\.0\.0\.1:\d+ is not the anvil hktoken started \(anvil/v1\.7\.1\): "
        r"stop the other node on that port, or let hktoken pick a free port",
        str(info.value),
    )
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])


def _fake_anvil(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "anvil"
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "anvil Version: 1.7.1-fake"; exit 0; fi\n{body}\n'
    )
    script.chmod(0o755)
    return script


def test_anvil_dying_at_start_up_is_reported_with_its_last_line(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HKTOKEN_ANVIL", str(_fake_anvil(tmp_path, 'echo "starting"\necho "error: boom" >&2\nexit 2')))
    node = RecordingAnvil(artifacts=store)
    with pytest.raises(ChainError) as info:
        node.start()
    assert str(info.value) == "anvil exited during start-up: error: boom: run `hktoken toolchain` to check anvil"
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])


def test_anvil_that_never_listens_times_out_and_is_killed(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HKTOKEN_ANVIL", str(_fake_anvil(tmp_path, "exec sleep 60")))
    node = RecordingAnvil(artifacts=store, startup_timeout=1.0)
    with pytest.raises(ChainError) as info:
        node.start()
    assert str(info.value) == (
        "anvil did not report a listening port within 1s: run `hktoken toolchain` to check the anvil binary"
    )
    assert len(node.stopped_pids) == 1 and process_gone(node.stopped_pids[0])


# --- connect ------------------------------------------------------------------------------------------


def test_connect_to_a_closed_port() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ChainError) as info:
        connect(url, timeout=2)
    assert str(info.value) == f"cannot reach the JSON-RPC node at {url} (connection error): {CONNECT_FIX}"


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8545", "127.0.0.1:8545", "http://", "file:///tmp/x"])
def test_connect_needs_an_http_url(url: str) -> None:
    with pytest.raises(SpecError) as info:
        connect(url)
    assert str(info.value) == f"{url!r} is not an HTTP(S) JSON-RPC URL: use a URL like http://127.0.0.1:8545"


def test_connect_checks_the_chain_id(probe_env: ProbeEnv) -> None:
    url = probe_env.node.url
    assert connect(url, expected_chain_id=31337, artifacts=probe_env.store).chain_id == 31337
    with pytest.raises(ChainError) as info:
        connect(url, expected_chain_id=1, artifacts=probe_env.store)
    assert str(info.value) == (
        f"the node at {url} is on chain id 31337, not the expected 1: "
        "connect to the intended network, or change the expected chain id"
    )


@pytest.fixture
def not_a_node() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers every JSON-RPC call with 'method not found'."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps(
                {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "Method not found"}}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_connect_to_something_that_is_not_an_evm_node(not_a_node: str) -> None:
    with pytest.raises(ChainError) as info:
        connect(not_a_node, timeout=2)
    assert str(info.value).startswith(f"{not_a_node} did not answer like an EVM JSON-RPC node (")
    assert "Method not found" in str(info.value)
    assert str(info.value).endswith(f"): {CONNECT_FIX}")


def test_connect_without_a_build_index_still_decodes_builtin_reverts(probe_env: ProbeEnv, tmp_path: Path) -> None:
    chain = connect(probe_env.node.url, artifacts=ArtifactStore(tmp_path))
    reason = chain.decoder.decode("0x08c379a0" + "20".rjust(64, "0") + "02".rjust(64, "0") + "6e6f".ljust(64, "0"))
    assert (reason.error, reason.arguments, str(reason)) == ("Error", {"message": "no"}, "reverted: no")
    not_allowed = probe_env.probe.encode_abi("failCustom", args=[probe_env.accounts[1].address, 1])[:10]
    assert chain.decoder.decode(not_allowed).error == f"Unknown({not_allowed})"


def test_connect_with_an_unreadable_build_index_fails(probe_env: ProbeEnv, tmp_path: Path) -> None:
    (tmp_path / BUILD_INFO).write_text("{not json")
    with pytest.raises(CompileError) as info:
        connect(probe_env.node.url, artifacts=ArtifactStore(tmp_path))
    assert str(info.value) == f"missing or unreadable {tmp_path / BUILD_INFO}: run `hktoken compile`"


# --- chain state control --------------------------------------------------------------------------------


def test_revert_consumes_the_snapshot_and_later_ones(probe: ProbeEnv) -> None:
    chain = probe.chain
    first = chain.snapshot()
    second = chain.snapshot()
    assert int(second, 16) == int(first, 16) + 1
    chain.revert(first)
    for spent in (first, second):
        with pytest.raises(ChainError) as info:
            chain.revert(spent)
        assert str(info.value) == f"snapshot {spent} no longer exists (snapshots are single-use)"


def test_revert_restores_state_and_nonces_are_re_read(probe: ProbeEnv) -> None:
    chain, w3 = probe.chain, probe.chain.w3
    signer = probe.accounts[4]
    before = w3.eth.get_transaction_count(signer.address)
    snapshot = chain.snapshot()
    first = chain.sender.send(signer, probe.probe.address, probe.data("bump"))
    assert w3.eth.get_transaction(first["transactionHash"])["nonce"] == before
    assert probe.probe.functions.counter().call() == 1
    chain.revert(snapshot)
    assert probe.probe.functions.counter().call() == 0
    assert w3.eth.get_transaction_count(signer.address) == before
    again = chain.sender.send(signer, probe.probe.address, probe.data("bump"))  # would be "nonce too high" if stale
    assert again["status"] == 1
    assert w3.eth.get_transaction(again["transactionHash"])["nonce"] == before
    assert probe.probe.functions.counter().call() == 1


def test_time_blocks_balances_and_code(probe: ProbeEnv) -> None:
    chain, w3 = probe.chain, probe.chain.w3
    start_block = w3.eth.block_number
    chain.mine(3)
    assert w3.eth.block_number == start_block + 3
    now = chain.timestamp()
    chain.increase_time(3600)
    assert w3.eth.block_number == start_block + 4
    assert now + 3600 <= chain.timestamp() <= now + 3600 + 5  # anvil adds the wall-clock time that passed
    chain.set_next_block_timestamp(now + 86_400)
    chain.mine()
    assert chain.timestamp() == now + 86_400
    someone = ChecksumAddress(HexAddress(HexStr("0x00000000000000000000000000000000000000A1")))
    chain.set_balance(someone, 123_456_789)
    assert w3.eth.get_balance(someone) == 123_456_789
    assert chain.code_at(someone) == "0x"
    assert chain.code_at(probe.probe.address) == probe.store.get("Probe").deployed_bytecode


def test_rpc_errors_become_chain_errors(probe: ProbeEnv) -> None:
    with pytest.raises(ChainError) as info:
        probe.chain.rpc("hktoken_noSuchMethod")
    assert str(info.value) == "hktoken_noSuchMethod failed: Method not found"
