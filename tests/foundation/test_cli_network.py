"""`hktoken ping` and `hktoken account`: the CLI face of unreachable nodes, wrong chains and bad keys."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from eth_account import Account

from hktoken.chain.anvil import Anvil

from ._support import cli_argv, closed_port

KEY = "0x" + "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil dev key #1
ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HKTOKEN_")}
    full_env.update(env or {})
    return subprocess.run(
        cli_argv(*args), capture_output=True, text=True, timeout=120, env=full_env, stdin=subprocess.DEVNULL
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == expected + "\n"
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def node() -> Anvil:
    anvil = Anvil(chain_id=4242)
    anvil.start()
    yield anvil  # type: ignore[misc]
    anvil.stop()


def test_ping_answers_with_chain_and_client(node: Anvil) -> None:
    result = run("ping", "--rpc-url", node.url, "--chain-id", "4242")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"{re.escape(node.url)}: chain id 4242, block \d+, client anvil/v1\.7\.1\n", result.stdout)


def test_ping_unreachable_node_is_one_line() -> None:
    port = closed_port()
    assert_one_line_error(
        run("ping", "--rpc-url", f"http://127.0.0.1:{port}"),
        f"error: cannot reach the JSON-RPC node at http://127.0.0.1:{port} (connection error): check the URL and "
        "that the node is running (`hktoken node` starts a local one)",
    )


def test_ping_wrong_chain_id_is_one_line(node: Anvil) -> None:
    assert_one_line_error(
        run("ping", "--rpc-url", node.url, "--chain-id", "1"),
        f"error: the node at {node.url} is on chain id 4242, not the expected 1: connect to the intended network, "
        "or change the expected chain id",
    )


def test_ping_malformed_url_is_one_line() -> None:
    assert_one_line_error(
        run("ping", "--rpc-url", "127.0.0.1:8545"),
        "error: '127.0.0.1:8545' is not an HTTP(S) JSON-RPC URL: use a URL like http://127.0.0.1:8545",
    )


def test_account_from_env_key_never_prints_the_key(node: Anvil) -> None:
    result = run("account", "--rpc-url", node.url, env={"HKTOKEN_PRIVATE_KEY": KEY})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"address {ADDRESS} on chain 4242: 10000 ETH, nonce 0\n"
    assert KEY[2:] not in result.stdout + result.stderr


def test_account_without_key_is_one_line() -> None:
    assert_one_line_error(
        run("account"),
        "error: environment variable HKTOKEN_PRIVATE_KEY is not set: export HKTOKEN_PRIVATE_KEY=<hex private key> "
        "(or use a keystore file)",
    )


@pytest.fixture
def keystore(tmp_path: Path) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "correct horse", iterations=2)))
    return path


def test_account_from_keystore(keystore: Path) -> None:
    result = run("account", "--keystore", str(keystore), env={"HKTOKEN_KEYSTORE_PASSWORD": "correct horse"})
    assert (result.returncode, result.stdout) == (0, f"address {ADDRESS}\n")


def test_account_keystore_wrong_password_is_one_line(keystore: Path) -> None:
    assert_one_line_error(
        run("account", "--keystore", str(keystore), env={"HKTOKEN_KEYSTORE_PASSWORD": "wrong"}),
        f"error: wrong password for keystore {keystore}: check the password",
    )


def test_account_unreadable_keystore_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert_one_line_error(
        run("account", "--keystore", str(missing), env={"HKTOKEN_KEYSTORE_PASSWORD": "x"}),
        f"error: cannot read keystore {missing} (No such file or directory): check the path and permissions",
    )


def test_account_keystore_without_password_and_no_terminal_is_one_line(keystore: Path) -> None:
    assert_one_line_error(
        run("account", "--keystore", str(keystore)),
        f"error: no password for keystore {keystore}: set HKTOKEN_KEYSTORE_PASSWORD, or run in a terminal to be "
        "prompted",
    )
