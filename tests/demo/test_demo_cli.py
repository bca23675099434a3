"""``hktoken demo`` as users run it: the real entry point in a subprocess (its own anvil, started and stopped,
exit 0, under a minute, the story's key lines), ``--json`` for each asset, ``--rpc-url`` to a dev node (its dev
accounts, or a named key whose derived parties get gas), and every refusal as one line with a non-zero exit and
nothing sent: a node that cannot travel in time, a node nobody answers at, a key that is not there."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken.chain import Chain
from hktoken.chain.hardhat import HardhatNode
from hktoken.cli import cli
from tests.foundation._rpc_proxy import RpcProxy
from tests.foundation._support import cli_argv

SEND_METHODS = {"eth_sendRawTransaction", "eth_sendTransaction"}


def demo(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real ``hktoken demo ARGS`` with no hktoken variable in the environment, and how long it took."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKTOKEN_")}
    started = time.monotonic()
    result = subprocess.run(
        cli_argv("demo", *args), capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
    )
    return result, time.monotonic() - started


def invoke(chain: Chain, *args: str, env: dict[str, str] | None = None) -> Result:
    """``hktoken demo ARGS`` in-process; the chain's sender re-reads nonces after (the CLI had its own)."""
    result = CliRunner().invoke(
        cli, ["demo", *args], env={"HKTOKEN_PRIVATE_KEY": "", **(env or {})}, prog_name="hktoken"
    )
    chain.sender.reset_nonces()
    return result


@pytest.fixture
def geth_like(chain: Chain) -> Iterator[RpcProxy]:
    """The session anvil behind a proxy that calls itself geth: a node with no dev-node dialect."""
    proxy = RpcProxy(chain.rpc_url)
    proxy.hooks["web3_clientVersion"] = lambda request, forward: {
        "jsonrpc": "2.0", "id": request.get("id"), "result": "Geth/v1.14.12-stable/linux-amd64/go1.23.4",
    }  # fmt: skip
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


# --------------------------------------------------------------------------------------------- the real entry point


def test_hktoken_demo_tells_the_bond_story_on_its_own_anvil_in_under_a_minute() -> None:
    result, seconds = demo()
    assert result.returncode == 0, result.stderr
    assert seconds < 60
    out = result.stdout
    assert out.startswith("hktoken demo: HKSAR green bond (HKD tranche): HK$2bn, 2 years, 3.800% semi-annual\n")
    assert "on an embedded anvil (chain id 31337)" in out
    for line in (
        "1. Deploy the HK green bond suite",
        "2. Onboard investors",
        "3. Primary issuance by DvP against HKD",
        "4. A secondary trade by DvP",
        "5. The first coupon, funded and paid",
        "6. Maturity and redemption",
        "bond HKGB28 ISIN HK0000GB2028 at 0x",
        "HK$1,000 a token, 3.800% semi-annual (HK$19 per token per coupon)",
        "100 HKGB28: code 3, 'recipient not verified'",
        "DvP trade to the unverified buyer reverted with TransferRestricted(code=3, reason='recipient not verified'): "
        "nothing sent, no bond and no HKD moved, both nonces still free",
        "1,200,000 HKGB28 against 1,200,000,000 HKD",
        "PI-0001 claimed its coupon: 21,850,000 HKD",
        "the agent pushed coupon 0 to the others: broker 16,149,810 HKD, retail 190 HKD",
        "professional 1,215,550,000 HKD, broker 898,439,430 HKD, retail 10,570 HKD",
        "Cap table just before redemption: HKGB28 at block",
        "2,000,000 HKGB28 held by 3 investors",
        "* omnibus account (an intermediary's pooled holding for its clients)",
        "Final cap table: HKGB28 at block",
        "0 HKGB28 held by 0 investors",
        "  no holders: the supply is 0",
    ):
        assert line in out, line
    rows = [
        line.split() for line in out.splitlines() if line.startswith(("PI-0001 ", "BROKER-OMNIBUS-01 ", "RI-0001 "))
    ]
    assert [(r[0], r[-2], r[-1]) for r in rows] == [
        ("PI-0001", "1,150,000", "57.50%"), ("BROKER-OMNIBUS-01", "849,990", "42.50%"), ("RI-0001", "10", "0.00%"),
    ]  # fmt: skip
    assert any(line.startswith("      gas ") and " tx 0x" in line for line in out.splitlines())
    assert out.rstrip().splitlines()[-1].startswith("51 transactions, ")
    assert result.stderr == ""


@pytest.mark.parametrize("asset", ["gold", "fund"])
def test_hktoken_demo_json_for_the_other_assets(asset: str) -> None:
    result, seconds = demo("--asset", asset, "--json")
    assert result.returncode == 0, result.stderr
    assert seconds < 60
    data = json.loads(result.stdout)  # one JSON object, nothing else on stdout
    assert data["asset"] == asset and data["node"] == "an embedded anvil" and data["chain_id"] == 31337
    assert data["gas"] == sum(s["gas"] for s in data["steps"]) > 0
    for step in data["steps"]:
        assert set(step) >= {"chapter", "name", "what", "gas", "tx_hash", "transactions"}
        assert step["gas"] == sum(t["gas"] for t in step["transactions"])
    holders = {h["investor_id"]: h["balance"] for h in data["cap_tables"]["final"]["holders"]}
    if asset == "gold":
        refused = next(s for s in data["steps"] if s["name"] == "refused")
        assert (refused["data"]["code"], refused["data"]["reason"], refused["tx_hash"]) == (
            72, "mint exceeds gold reserve", None,
        )  # fmt: skip
        assert data["figures"]["reserve_oz"] == "809.629065" and data["figures"]["supply_oz"] == "704.9150125"
        assert holders == {"PI-0001": "599.9150125", "BROKER-OMNIBUS-01": "100", "RI-0001": "5"}
    else:
        assert data["figures"]["supply_shares"] == "2000" and data["figures"]["ap_hkd"] == "35174.6"
        assert holders == {"AP-0001": "1500", "PI-0001": "500"}


# --------------------------------------------------------------------------------------------- --rpc-url


def test_the_demo_runs_on_a_dev_node_with_its_dev_accounts(chain: Chain) -> None:
    result = invoke(chain, "--asset", "gold", "--rpc-url", chain.rpc_url)
    assert result.exit_code == 0, result.output
    assert f"on {chain.rpc_url} (chain id {chain.chain_id})" in result.output
    assert "the mint reverted with TransferRestricted(code=72, reason='mint exceeds gold reserve')" in result.output


@pytest.mark.second_client
def test_the_bond_demo_runs_on_hardhats_node_too() -> None:
    with HardhatNode() as hardhat:
        result = CliRunner().invoke(cli, ["demo", "--rpc-url", hardhat.rpc_url, "--json"], prog_name="hktoken")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["figures"]["bond_supply"] == "0" and data["figures"]["retail_hkd"] == "10760"
    refused = next(s for s in data["steps"] if s["name"] == "refused")
    assert (refused["data"]["code"], refused["data"]["reason"]) == (3, "recipient not verified")


def test_a_named_key_is_the_admin_and_the_other_parties_are_derived_from_it(chain: Chain) -> None:
    admin: LocalAccount = Account.from_key(keccak(text="hktoken demo test admin"))
    chain.set_balance(admin.address, 10**21)
    result = invoke(
        chain, "--asset", "fund", "--rpc-url", chain.rpc_url, "--private-key-env", "DEMO_KEY", "--json",
        env={"DEMO_KEY": admin.key.hex()},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    registry = next(s for s in data["steps"] if s["name"] == "registry")
    tx = chain.w3.eth.get_transaction(registry["transactions"][0]["tx_hash"])
    assert tx["from"] == admin.address  # the named key deployed
    expected_ap = Account.from_key(keccak(text=f"hktoken demo:{admin.address}:broker")).address
    assert data["addresses"]["ap"] == expected_ap


def test_a_named_key_with_no_ether_is_refused_and_nothing_is_sent(chain: Chain) -> None:
    poor: LocalAccount = Account.from_key(keccak(text="hktoken demo test: no ether"))
    block = chain.w3.eth.block_number
    result = invoke(
        chain, "--rpc-url", chain.rpc_url, "--private-key-env", "DEMO_KEY", env={"DEMO_KEY": poor.key.hex()}
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: the admin {poor.address} has no ether on {chain.rpc_url} to pay for gas: "
        "fund it first (the demo needs a few ether on a dev node)\n"
    )
    assert chain.w3.eth.block_number == block


def test_a_named_key_that_is_not_set_is_refused_in_one_line(chain: Chain) -> None:
    block = chain.w3.eth.block_number
    result = invoke(chain, "--rpc-url", chain.rpc_url, "--private-key-env", "DEMO_UNSET_KEY")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: environment variable DEMO_UNSET_KEY is not set: export DEMO_UNSET_KEY=<hex private key> "
        "(or use a keystore file)\n"
    )
    assert chain.w3.eth.block_number == block


def test_a_node_that_cannot_travel_in_time_is_refused_at_once_and_nothing_is_sent(
    chain: Chain, geth_like: RpcProxy
) -> None:
    block = chain.w3.eth.block_number
    result = invoke(chain, "--rpc-url", geth_like.url)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {geth_like.url} (Geth/v1.14.12-stable/linux-amd64/go1.23.4) is not a dev node, and the demo must "
        "move the clock (coupon dates, maturity, NAV ages): nothing was sent: run `hktoken demo` without --rpc-url "
        "(it starts its own anvil), or point it at anvil (`hktoken node`) or Hardhat's node\n"
    )
    assert result.stdout == ""
    assert not SEND_METHODS & set(geth_like.calls)
    assert "eth_getBalance" not in geth_like.calls  # refused before even looking at the accounts
    assert chain.w3.eth.block_number == block


def test_an_unreachable_node_is_one_line_and_a_non_zero_exit() -> None:
    result, seconds = demo("--rpc-url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: cannot reach the JSON-RPC node at http://127.0.0.1:9 (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert seconds < 30


def test_a_bad_asset_is_a_usage_error_in_one_line(chain: Chain) -> None:
    result = invoke(chain, "--asset", "silver")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--asset': 'silver' is not one of 'bond', 'gold', 'fund'")
    assert result.stderr.count("\n") == 1


def test_the_embedded_anvil_takes_the_chain_id_asked_for_and_the_help_says_what_the_default_is(chain: Chain) -> None:
    result = invoke(chain, "--asset", "gold", "--chain-id", "4242", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["chain_id"], data["node"]) == (4242, "an embedded anvil")
    help_text = " ".join(invoke(chain, "--help").output.split())
    assert "Run on this dev node's HTTP(S) JSON-RPC URL (default: an embedded anvil, started and stopped)." in help_text
    assert "http://127.0.0.1:8545" not in help_text


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_stops_the_embedded_anvil_and_exits_130() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKTOKEN_")}
    process = subprocess.Popen(
        cli_argv("demo"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        anvil: list[int] = []
        while not anvil and time.monotonic() < deadline and process.poll() is None:
            anvil = [c for c in _children(process.pid) if "anvil" in Path(f"/proc/{c}/cmdline").read_bytes().decode()]
            time.sleep(0.05)
        assert anvil, "the demo never started its anvil"
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    deadline = time.monotonic() + 10
    while _alive(anvil[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(anvil[0])
