"""A full deployment on the session anvil: the state it leaves, and a second run that sends nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.token import RWAToken
from hktoken.deployment import deploy_spec
from hktoken.errors import ChainError
from hktoken.models.investor import InvestorClass

from ._support import (
    COMPLIANCE_OFFICER,
    DEPLOYER_KEY,
    GREEN_BOND,
    SMALL_STEPS,
    WALLETS,
    cli,
    manifest_of,
    write_small_spec,
)


def test_the_green_bond_suite_deploys_with_its_registry_rules_roles_and_issuance(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    deployer = accounts[0]
    result = deploy_spec(chain, deployer, GREEN_BOND, out=tmp_path)
    assert result.sent == len(result.results) == 27 and result.skipped == result.resumed == 0
    assert result.blocks_mined == 27  # automine: one block per transaction
    manifest = json.loads(manifest_of(tmp_path).read_text())
    genesis = str(chain.rpc("eth_getBlockByNumber", ["0x0", False])["hash"])
    assert manifest_of(tmp_path).parent.name == f"31337-{genesis[2:10]}"
    assert manifest["genesis_hash"] == genesis and manifest["deployer"] == deployer.address
    assert set(manifest["contracts"]) == {"registry", "stablecoin", "admin_module", "token.HKGB", "dvp"}
    assert all(entry["status"] == "done" for entry in manifest["steps"].values())

    registry = InvestorRegistry.at(chain, manifest["contracts"]["registry"]["address"])
    token = RWAToken.at(chain, manifest["contracts"]["token.HKGB"]["address"])
    coin = HKDStablecoin.at(chain, manifest["contracts"]["stablecoin"]["address"])
    assert token.admin_module() == manifest["contracts"]["admin_module"]["address"]
    assert (token.name, token.symbol, token.decimals, token.treasury()) == (
        "HKSAR Green Bond 3.8% 2029", "HKGB", 0, deployer.address
    )  # fmt: skip
    assert registry.investor_of(WALLETS[0]) == "HK-PI-0001"
    assert registry.wallets_of("HK-OMNI-BROKER") == [WALLETS[1], WALLETS[2]]
    omnibus = registry.investor("HK-OMNI-BROKER")
    assert (omnibus.omnibus, omnibus.investor_class, omnibus.country) == (True, InvestorClass.INSTITUTIONAL, 344)
    assert registry.investor("HK-RT-0001").investor_class == InvestorClass.RETAIL
    assert all(registry.is_verified(w) for w in WALLETS)
    assert [token.balance_of(w) for w in WALLETS] == [0, 0, 0, 0]
    assert token.balance_of(deployer.address) == token.total_supply() == Decimal(2_000_000)  # all to the treasury
    assert token.holder_count() == 0  # the treasury is no investor
    rules = token.rules()
    assert rules.allowed_countries == {344} and rules.max_holders == 500
    assert rules.required_classes == set(InvestorClass)
    assert (rules.minimum_transfer, rules.denomination, rules.supply_cap) == (None, None, 2_000_000)
    for role in ("ISSUER_ROLE", "AGENT_ROLE", "PAUSER_ROLE", "COMPLIANCE_ROLE", "DEFAULT_ADMIN_ROLE"):
        assert token.has_role(role, deployer.address)
    assert registry.has_role("REGISTRAR_ROLE", deployer.address)
    assert [coin.balance_of(w) for w in (WALLETS[0], WALLETS[1], WALLETS[3])] == [
        Decimal(1_200_000_000), Decimal(800_000_000), Decimal(50_000)
    ]  # fmt: skip
    assert coin.has_role("ISSUER_ROLE", deployer.address)


def test_a_second_run_checks_every_step_sends_nothing_and_mines_no_block(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    first = deploy_spec(chain, accounts[0], GREEN_BOND, out=tmp_path)
    before = manifest_of(tmp_path).read_text()
    nonce = chain.w3.eth.get_transaction_count(accounts[0].address)
    block = chain.w3.eth.block_number
    second = deploy_spec(chain, accounts[0], GREEN_BOND, out=tmp_path)
    assert (second.sent, second.resumed, second.skipped, second.blocks_mined) == (0, 0, 27, 0)
    assert chain.w3.eth.block_number == block and chain.w3.eth.get_transaction_count(accounts[0].address) == nonce
    assert second.contracts == first.contracts
    assert json.loads(manifest_of(tmp_path).read_text())["steps"] == json.loads(before)["steps"]


def test_the_named_compliance_admin_gets_the_duty_and_the_deployer_gives_back_what_it_borrowed(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    deploy_spec(chain, accounts[0], write_small_spec(tmp_path), out=tmp_path)
    contracts = json.loads(manifest_of(tmp_path).read_text())["contracts"]
    token = RWAToken.at(chain, contracts["token.STN"]["address"])
    assert token.has_role("COMPLIANCE_ROLE", COMPLIANCE_OFFICER)
    assert not token.has_role("COMPLIANCE_ROLE", accounts[0].address)
    assert token.rules().allowed_countries == {344} and token.rules().max_holders == 10
    assert token.balance_of(WALLETS[0]) == Decimal("100.25") and token.holder_count() == 3


def test_code_that_is_not_the_artifact_at_a_recorded_address_stops_the_run(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    deploy_spec(chain, accounts[0], write_small_spec(tmp_path), out=tmp_path)
    contracts = json.loads(manifest_of(tmp_path).read_text())["contracts"]
    address = contracts["token.STN"]["address"]
    registry_code = chain.code_at(contracts["registry"]["address"])
    chain.rpc("anvil_setCode", [address, registry_code])
    block = chain.w3.eth.block_number
    with pytest.raises(ChainError, match=rf"^step token\.STN\.deploy: the code at {address} is not RWAToken's"):
        deploy_spec(chain, accounts[0], write_small_spec(tmp_path), out=tmp_path)
    assert chain.w3.eth.block_number == block


# --- the command line -------------------------------------------------------------------------------------


def test_hktoken_deploy_twice_mines_zero_blocks_the_second_time(
    chain: Chain, hktoken_node: Anvil | None, tmp_path: Path
) -> None:
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    env = {"DEPLOYER": DEPLOYER_KEY}
    args = ("deploy", str(GREEN_BOND), "--rpc-url", hktoken_node.url, "--private-key-env", "DEPLOYER",
            "--out", str(tmp_path))  # fmt: skip
    first = cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 28 and lines[0].startswith("mined    registry.deploy ")
    assert lines[-1].startswith("27 steps: 27 sent, 0 resumed, 0 already done; gas ")
    assert lines[-1].endswith(f"; 27 block(s) mined; manifest {manifest_of(tmp_path)}")
    block = chain.w3.eth.block_number
    second = cli(*args, "--json", env=env)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert (report["sent"], report["skipped"], report["blocks_mined"], report["gas_used"]) == (0, 27, 0, 0)
    assert report["chain_id"] == 31337 and report["manifest"] == str(manifest_of(tmp_path))
    assert chain.w3.eth.block_number == block
    chain.sender.reset_nonces()  # another process signed with accounts[0]


def test_a_bad_spec_is_one_line_and_sends_nothing(chain: Chain, hktoken_node: Anvil | None, tmp_path: Path) -> None:
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    spec = tmp_path / "bad.toml"
    spec.write_text('[[tokens]]\nkind = "rwa"\nname = "X"\nsymbol = "X"\ndecimals = 40\n')
    block = chain.w3.eth.block_number
    result = cli("deploy", str(spec), "--rpc-url", hktoken_node.url, env={"HKTOKEN_PRIVATE_KEY": DEPLOYER_KEY})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"error: {spec}:5: tokens[0].decimals: Input should be less than or equal to 36: correct tokens[0].decimals "
        "in bad.toml\n"
    )
    assert chain.w3.eth.block_number == block and not (tmp_path / "deployments").exists()


def test_nothing_listening_on_the_default_url_is_one_clear_line(tmp_path: Path) -> None:
    result = cli("deploy", str(GREEN_BOND), "--rpc-url", "http://127.0.0.1:9", "--out", str(tmp_path),
                 env={"HKTOKEN_PRIVATE_KEY": DEPLOYER_KEY})  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "error: cannot reach the JSON-RPC node at http://127.0.0.1:9 (connection error): check the URL and that "
        "the node is running (`hktoken node` starts a local one)\n"
    )


def test_no_key_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = cli("deploy", str(GREEN_BOND), "--private-key-env", "NO_SUCH_KEY", "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        "error: environment variable NO_SUCH_KEY is not set: export NO_SUCH_KEY=<hex private key> (or use a "
        "keystore file)\n"
    )


def test_hktoken_deploy_plan_shows_each_step_and_its_status_and_sends_nothing(
    chain: Chain, accounts: list[LocalAccount], hktoken_node: Anvil | None, tmp_path: Path
) -> None:
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    spec = write_small_spec(tmp_path)
    args = ("deploy", str(spec), "--rpc-url", hktoken_node.url, "--out", str(tmp_path), "--plan")
    env = {"HKTOKEN_PRIVATE_KEY": DEPLOYER_KEY}
    block = chain.w3.eth.block_number
    before = cli(*args, env=env)
    assert before.returncode == 0, before.stderr
    lines = before.stdout.splitlines()
    assert lines[0] == f"{'to send':<8} {'registry.deploy':<40} deploy InvestorRegistry"
    assert len(lines) == len(SMALL_STEPS) and all(line.startswith("to send ") for line in lines)
    assert chain.w3.eth.block_number == block and not (tmp_path / "deployments").exists()
    deploy_spec(chain, accounts[0], spec, out=tmp_path)
    after = json.loads(cli(*args, "--json", env=env).stdout)
    assert [s["status"] for s in after["steps"]] == ["done"] * len(SMALL_STEPS)
    assert after["steps"][-1] == {"id": "token.STN.mint[2]", "status": "done", "summary": "mint to 1 holder(s)"}
