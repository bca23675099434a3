"""The real ``hktoken`` command: one ``error:`` line and exit 1 for user errors, never a traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue

import pytest

from hktoken import connect, dev_accounts
from hktoken.contracts.base import deploy_contract

from ._support import (
    DEV_KEY_0,
    anvil_pids_with_arg,
    children_of,
    cli_argv,
    cmdline,
    env_without_node,
    process_gone,
    write_project,
)
from .conftest import ProbeBuild

NODE_FIX = "install Node.js 20+ (it includes npm), then run `hktoken toolchain install`"
PRIVATE_KEY_RE = re.compile(r"0x[0-9a-fA-F]{64}")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_argv(*args), capture_output=True, text=True, env=env, timeout=timeout, check=False)


def test_toolchain_lists_every_tool() -> None:
    result = run_cli("toolchain")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "pinned: solc 0.8.30, OpenZeppelin 5.7.0, anvil 1.7.1, forge 1.7.1, Hardhat 3.18.0 (Node.js 22.23.5 for it)"
    )
    assert lines[1].startswith("npm toolchain folder: ")
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert sorted(rows) == ["anvil", "forge", "hardhat", "hardhat-node", "node", "openzeppelin", "solc"]
    assert rows["hardhat"][1] == "3.18.0"
    assert tuple(int(part) for part in rows["hardhat-node"][1].split(".")) >= (22, 13, 0)  # the pinned, or a newer
    assert rows["solc"][1] == "0.8.30"
    assert rows["anvil"][1] == "1.7.1"
    assert rows["forge"][1] == "1.7.1"
    assert rows["openzeppelin"][1] == "5.7.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", rows["node"][1])
    assert int(rows["node"][1].split(".")[0]) >= 20


def test_toolchain_without_node(tmp_path: Path) -> None:
    result = run_cli("toolchain", env=env_without_node(tmp_path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: Node.js was not found on PATH: {NODE_FIX}"]
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  node          not found" in lines
    assert "  solc          not found" in lines


def test_toolchain_install_without_node(tmp_path: Path) -> None:
    result = run_cli("toolchain", "install", env=env_without_node(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: Node.js/npm was not found on PATH: {NODE_FIX}"]


def test_compile_syntax_error_is_one_line(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "project",
        {
            "contracts/Broken.sol": (
                "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract Broken {\n  function f( {}\n}\n"
            )
        },
    )
    out = tmp_path / "out"
    result = run_cli("compile", "--root", str(root), "--out", str(out))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: contracts/Broken.sol:4:15: ParserError: Expected type name: "
        "fix the source and run `hktoken compile` again"
    ]
    assert not out.exists()


def test_compile_warm_run_via_cli(probe_build: ProbeBuild, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(probe_build.out, out)
    result = run_cli("compile", "--root", str(probe_build.root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # a cached run has no fresh warnings to show
    assert re.fullmatch(
        rf"up to date \(cached\): 4 contracts with solc 0\.8\.30 in 0\.\d\ds -> {re.escape(str(out))}\n", result.stdout
    )


def test_node_on_a_taken_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("node", "--port", str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use: "
        "choose another --port, or --port 0 to let hktoken pick a free one"
    ]
    assert anvil_pids_with_arg(str(port)) == []


def _is_anvil(pid: int) -> bool:
    argv = cmdline(pid)
    return bool(argv) and Path(argv[0]).name == "anvil"


def _rpc(url: str, method: str) -> object:
    request = urllib.request.Request(
        url,
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


@pytest.fixture
def node_process() -> Iterator[subprocess.Popen[str]]:
    """``hktoken node`` on a free port; killed (with its anvil) if a test leaves it running."""
    process = subprocess.Popen(
        cli_argv("node", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            for child in children_of(process.pid):
                os.kill(child, signal.SIGKILL)
            process.kill()
            process.wait(timeout=10)


def _reader(stream: object, sink: Queue[str | None]) -> threading.Thread:
    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.put(line)
        sink.put(None)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def test_node_runs_until_ctrl_c_and_leaves_nothing_behind(node_process: subprocess.Popen[str]) -> None:
    lines: Queue[str | None] = Queue()
    out_thread = _reader(node_process.stdout, lines)
    stdout: list[str] = []

    def next_line(deadline_s: float) -> str:
        try:
            line = lines.get(timeout=deadline_s)
        except Empty:
            raise AssertionError(f"no output within {deadline_s}s; so far: {stdout}") from None
        assert line is not None, f"hktoken node exited early: {stdout} {node_process.stderr.read()}"  # type: ignore[union-attr]
        stdout.append(line)
        return line

    first = next_line(30)
    match = re.fullmatch(r"anvil (http://127\.0\.0\.1:(\d+)) \(chain id 31337\)\n", first)
    assert match, first
    url, port = match.group(1), int(match.group(2))
    while next_line(10) != "press Ctrl-C to stop\n":
        pass
    assert stdout[1] == "dev accounts (10,000 ETH each; keys derive from anvil's public test mnemonic):\n"
    assert stdout[2] == "  (0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n"
    assert len(stdout) == 2 + 10 + 1

    assert _rpc(url, "eth_chainId") == "0x7a69"
    anvil_children = [pid for pid in children_of(node_process.pid) if _is_anvil(pid)]
    assert len(anvil_children) == 1
    anvil_pid = anvil_children[0]
    assert cmdline(anvil_pid)[cmdline(anvil_pid).index("--host") + 1] == "127.0.0.1"

    os.kill(node_process.pid, signal.SIGINT)
    assert node_process.wait(timeout=15) == 0
    out_thread.join(timeout=5)
    while not lines.empty():
        line = lines.get_nowait()
        if line is not None:
            stdout.append(line)
    stderr = node_process.stderr.read()  # type: ignore[union-attr]
    assert stdout[-1] == "stopping anvil\n"
    assert stderr == ""
    everything = "".join(stdout) + stderr
    assert PRIVATE_KEY_RE.findall(everything) == []
    assert DEV_KEY_0 not in everything
    assert "Traceback" not in everything

    assert process_gone(anvil_pid)  # stopped and reaped before hktoken exited
    with pytest.raises(OSError):
        _rpc(url, "eth_chainId")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens there any more


def _start_node(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``hktoken node --port 0 ARGS``, up to "press Ctrl-C to stop"; returns the process, its URL and its lines."""
    process = subprocess.Popen(
        cli_argv("node", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line == "press Ctrl-C to stop\n":
            break
    match = re.fullmatch(r"anvil (http://127\.0\.0\.1:\d+) \(chain id 31337\)\n", lines[0] if lines else "")
    assert match, (lines, process.stderr.read() if process.poll() is not None else "")  # type: ignore[union-attr]
    return process, match.group(1), lines


def _stop_node(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGINT)
    assert process.wait(timeout=20) == 0


def test_node_keeps_its_chain_between_runs_with_state(tmp_path: Path) -> None:
    state = tmp_path / "chain.json"
    process, url, lines = _start_node("--state", str(state))
    try:
        assert lines[1] == f"state: {state}; saved there on exit\n"
        chain = connect(url, expected_chain_id=31337)
        deployed = deploy_contract(chain, dev_accounts()[0], "PlainERC20", 10**18).address
        block = chain.w3.eth.block_number
    finally:
        _stop_node(process)
    assert state.is_file()

    process, url, lines = _start_node("--state", str(state))
    try:
        assert lines[1] == f"state: loaded from {state}, block {block}; saved there on exit\n"
        chain = connect(url, expected_chain_id=31337)
        assert chain.w3.eth.block_number == block
        assert len(chain.w3.eth.get_code(deployed)) > 0
    finally:
        _stop_node(process)


def test_node_state_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    result = run_cli("node", "--port", "0", "--state", str(tmp_path / "nowhere" / "chain.json"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: --state {tmp_path / 'nowhere' / 'chain.json'}: folder {tmp_path / 'nowhere'} does not exist: "
        "create it first"
    ]
