"""What every command of these groups does with a bad contract reference, a node that is not there or on another
chain, a missing key and click's own usage errors: one line naming the cause and the fix, a non-zero exit, nothing
sent. And a few runs of the real ``hktoken`` entry point in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_account.signers.local import LocalAccount

from hktoken.cli import cli
from hktoken.deployment.session import deploy_spec
from tests.foundation._support import cli_argv, closed_port

from .conftest import KEY_ENV, World, one_line_error

REPO = Path(__file__).resolve().parents[2]

CAROL = Account.from_key(b"\x01" * 32).address


def test_a_malformed_reference_is_refused_before_any_node_is_reached() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    for argv, expected in [
        (["status", "--token", "0x12"],
         "--token '0x12' is not a valid Ethereum address: use 0x followed by 40 hex digits"),
        (["investor", "list", "--registry", "registry"],
         "--registry 'registry' is neither an address nor a SPEC-NAME.CONTRACT name: pass 0x followed by 40 hex "
         "digits, or a manifest name such as hk-green-bond.bond"),
        (["captable", "--token", "0x" + "ab" * 19 + "aB"],
         f"--token 0x{'ab' * 19}aB has a wrong EIP-55 checksum (a mistyped character?): copy the address again, or "
         "write it all in lower case"),
    ]:  # fmt: skip
        result = CliRunner().invoke(cli, [*argv, "--rpc-url", dead], prog_name="hktoken")
        one_line_error(result, expected)


def test_a_manifest_name_with_no_manifest_says_how_to_make_one(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    genesis = str(world.chain.w3.eth.get_block(0)["hash"].hex())
    genesis = genesis if genesis.startswith("0x") else "0x" + genesis
    one_line_error(
        world.q("status", "--token", "hk-green-bond.HKGB"),
        f"--token hk-green-bond.HKGB: no deployment manifest for 'hk-green-bond.HKGB' on chain "
        f"{world.chain.chain_id} (genesis {genesis[:10]}…) under {tmp_path / 'deployments'}: run `hktoken deploy "
        "SPEC` on this chain first, or pass --out where its deployments/ folder is",
    )


def test_a_manifest_name_resolves_to_the_deployed_contract(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accounts: list[LocalAccount]
) -> None:
    deployed = deploy_spec(world.chain, accounts[0], REPO / "deploy" / "hk-green-bond.toml", out=tmp_path)
    monkeypatch.chdir(tmp_path)
    token = deployed.contracts["token.HKGB"]
    result = world.q("status", "--token", "hk-green-bond.HKGB", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.output)["token"] == token
    result = world.q("status", "--token", "hk-green-bond.nothing")
    assert result.exit_code == 1
    assert "--token hk-green-bond.nothing: deployment hk-green-bond has no contract 'nothing'" in result.output


def test_an_address_of_the_wrong_kind_or_with_no_code(world: World) -> None:
    chain_id = world.chain.chain_id
    one_line_error(
        world.q("status", "--token", world.registry.address),
        f"{world.registry.address} on chain {chain_id} holds an InvestorRegistry, not an RWAToken (ERC-7943 security "
        "token): pass the address of an RWAToken (ERC-7943 security token)",
    )
    one_line_error(
        world.q("investor", "list", "--registry", world.token.address),
        f"{world.token.address} on chain {chain_id} holds an RWAToken (ERC-7943 security token), not an "
        "InvestorRegistry: pass the address of an InvestorRegistry",
    )
    one_line_error(
        world.q("captable", "--token", CAROL),
        f"no contract code at {CAROL} on chain {chain_id}: check the address and the network",
    )


def test_an_unreachable_node_and_a_wrong_chain_id(world: World) -> None:
    port = closed_port()
    result = CliRunner().invoke(
        cli, ["token", "mint", CAROL, "1", "--token", world.token.address, "--rpc-url", f"http://127.0.0.1:{port}"],
        env={KEY_ENV: world.issuer.key.hex()}, prog_name="hktoken",
    )  # fmt: skip
    one_line_error(
        result,
        f"cannot reach the JSON-RPC node at http://127.0.0.1:{port} (connection error): check the URL and that the "
        "node is running (`hktoken node` starts a local one)",
    )
    before = world.nonces()
    one_line_error(
        world.run("token", "mint", world.alice.address, "1", "--token", world.token.address, "--chain-id", "1",
                  signer=world.issuer),
        f"the node at {world.chain.rpc_url} is on chain id {world.chain.chain_id}, not the expected 1: connect to the "
        "intended network, or change the expected chain id",
    )  # fmt: skip
    assert world.nonces() == before


def test_a_missing_key_is_named_and_nothing_is_sent(world: World) -> None:
    before = world.nonces()
    result = world.q("token", "mint", world.alice.address, "1", "--token", world.token.address)
    one_line_error(
        result,
        f"environment variable {KEY_ENV} is not set: export {KEY_ENV}=<hex private key> (or use a keystore file)",
    )
    one_line_error(
        world.run("investor", "revoke", "BOB", "--registry", world.registry.address, "--private-key-env", "NOPE_KEY"),
        "environment variable NOPE_KEY is not set: export NOPE_KEY=<hex private key> (or use a keystore file)",
    )
    assert world.nonces() == before


def test_usage_errors_are_one_line_too(world: World) -> None:
    for argv, expected in [
        (["token", "mint", CAROL, "1"], "Missing option '--token': run `hktoken token mint --help` for the usage"),
        (["investor", "add", "X", "--registry", world.registry.address],
         "Missing option '--wallet': run `hktoken investor add --help` for the usage"),
        (["audit", "--token", world.token.address, "--format", "xml"],
         "Invalid value for '--format': 'xml' is not one of 'csv', 'json': run `hktoken audit --help` for the usage"),
        (["captable", "--token", world.token.address, "--at-block", "-3"],
         "Invalid value for '--at-block': -3 is not in the range x>=0: run `hktoken captable --help` for the usage"),
        (["token", "frobnicate"], "No such command 'frobnicate': run `hktoken token --help` for the usage"),
    ]:  # fmt: skip
        one_line_error(world.q(*argv), expected, code=2)


# --------------------------------------------------------------------------------------------- the real entry point


def hktoken(world: World, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKTOKEN_")}
    if key is not None:
        env[KEY_ENV] = key
    result = subprocess.run(
        cli_argv(*args, "--rpc-url", world.chain.rpc_url), capture_output=True, text=True, timeout=120, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    world.chain.sender.reset_nonces()
    return result


def test_subprocess_status_json_and_a_refused_transfer(funded: World) -> None:
    w = funded
    status = hktoken(w, "status", "--token", w.token.address, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["supply"] == "1750"
    before = w.nonces()
    refused = hktoken(w, "token", "transfer", CAROL, "5", "--token", w.token.address, key=w.alice.key.hex())
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        "error: the token refuses this transfer: restriction code 3 (recipient not verified); nothing was sent: "
        f"`hktoken investor show {CAROL}` says why\n"
    )
    assert w.nonces() == before


def test_subprocess_import_then_captable(world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "investors.csv"
    csv_file.write_text(f"id,wallets,country,class,kyc_days\nHK-9,{CAROL},HK,retail,90\n")
    imported = hktoken(world, "investor", "import", str(csv_file), "--registry", world.registry.address,
                       key=world.admin.key.hex())  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"imported 1 investor (1 wallet) from {csv_file} in 1 batch: tx 0x")
    assert imported.stderr == ""  # no progress bar when stderr is not a terminal
    assert world.registry.is_verified(CAROL)
    usage = hktoken(world, "captable")
    assert (usage.returncode, usage.stdout) == (2, "")
    assert usage.stderr == "error: Missing option '--token': run `hktoken captable --help` for the usage\n"
