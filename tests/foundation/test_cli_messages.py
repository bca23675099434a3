"""CLI messages name the real cause and a fix, on one line: a web server that is not a node, a missing keystore,
click's usage errors, an account that cannot pay for gas."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner
from eth_account import Account

from hktoken import ChainError, HKDStablecoin
from hktoken.chain import Chain
from hktoken.cli import cli
from hktoken.testing import nothing_sent


class _NotANode(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(404)
        self.end_headers()
        self.wfile.write(b"<html>not found</html>")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def plain_http_server() -> Iterator[str]:
    """A web server on 127.0.0.1 that is not a JSON-RPC node (always stopped)."""
    server = HTTPServer(("127.0.0.1", 0), _NotANode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_web_server_that_is_not_a_node_is_named_as_such(plain_http_server: str) -> None:
    result = CliRunner().invoke(cli, ["ping", "--rpc-url", plain_http_server])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {plain_http_server} answered (HTTP 404) but is not a JSON-RPC node: "
        "check the URL: use the node's JSON-RPC endpoint, e.g. http://127.0.0.1:8545\n"
    )


def test_a_missing_keystore_is_named_before_any_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HKTOKEN_KEYSTORE_PASSWORD", raising=False)
    result = CliRunner().invoke(cli, ["account", "--keystore", "/nonexistent.json"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: cannot read keystore /nonexistent.json (No such file or directory): check the path and permissions\n"
    )


USAGE_ERRORS = [
    (["--bogus"], "No such option '--bogus'", "hktoken"),
    (["nosuch"], "No such command 'nosuch'", "hktoken"),
    (["ping"], "Missing option '--rpc-url'", "hktoken ping"),
    (["ping", "--rpc-url", "http://127.0.0.1:1", "--timeout", "-1"],
     "Invalid value for '--timeout': -1.0 is not in the range x>=0.1", "hktoken ping"),
    (["node", "--port", "70000"], "Invalid value for '--port': 70000 is not in the range 0<=x<=65535", "hktoken node"),
    (["toolchain", "install", "--x"], "No such option '--x'", "hktoken toolchain install"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "cause", "command"), USAGE_ERRORS)
def test_a_usage_error_is_one_line(argv: list[str], cause: str, command: str) -> None:
    result = CliRunner().invoke(cli, argv, prog_name="hktoken")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {cause}: run `{command} --help` for the usage\n"


def test_no_arguments_still_show_the_help() -> None:
    result = CliRunner().invoke(cli, [], prog_name="hktoken")
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: hktoken [OPTIONS] COMMAND [ARGS]...\n")


def test_an_account_without_ether_is_told_how_to_fund_it(chain: Chain) -> None:
    poor = Account.create()
    with nothing_sent(chain, poor), pytest.raises(ChainError) as info:
        HKDStablecoin.deploy(chain, poor)
    assert str(info.value) == (
        f"{poor.address} has too little ether to pay for gas on chain {chain.chain_id}: "
        "fund the account: send it ether from a funded account (on a dev node: chain.set_balance)"
    )
    assert "insufficient funds" in str(info.value.__cause__).lower()  # the node's own words are kept
