"""A user's own project: its build goes to its own folder, never into the shipped artifacts; its contracts import
hktoken's (``hktoken/contracts/...``) and deploy next to the shipped registry and admin module."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import RWAToken, connect
from hktoken.artifacts import ARTIFACTS_DIR, BUILD_INFO, ArtifactStore
from hktoken.chain import Chain
from hktoken.compiler import compile_project, default_artifacts_dir
from hktoken.contracts.base import deploy_contract
from hktoken.contracts.registry import InvestorRegistry
from hktoken.errors import CompileError, UnknownContractError
from hktoken.testing.plugin import Kyc

MY_GOLD_SOL = """\
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "hktoken/contracts/interfaces/IInvestorRegistry.sol";
import {RWATokenBase} from "hktoken/contracts/token/RWATokenBase.sol";

/// A user's own asset token on hktoken's base.
contract MyGold is RWATokenBase {
    constructor(IInvestorRegistry registry_, address admin, address treasury_, address adminModule_)
        RWATokenBase("My Gold", "MYG", 3, registry_, admin, treasury_, adminModule_)
    {}
}
"""


def _shipped_hashes() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ARTIFACTS_DIR.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("my-gold-project")
    (root / "contracts").mkdir()
    (root / "contracts" / "MyGold.sol").write_text(MY_GOLD_SOL)
    return root


@pytest.fixture(scope="module")
def user_build(user_project: Path) -> Path:
    """``hktoken compile`` run in the user's project, as a user runs it; the shipped artifacts stay byte-identical."""
    before = _shipped_hashes()
    result = subprocess.run(
        [sys.executable, "-c", "from hktoken.cli import main; main()", "compile"],
        cwd=user_project, capture_output=True, text=True, timeout=600, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = user_project / "build" / "hktoken"
    assert result.stdout.endswith(f"-> {out}\n")
    assert "ABI surface" not in result.stdout  # the generated surface belongs to hktoken's own build
    assert _shipped_hashes() == before
    return out


def test_a_users_build_goes_to_their_own_folder(user_project: Path, user_build: Path) -> None:
    assert default_artifacts_dir(user_project) == user_project / "build" / "hktoken"
    assert sorted(p.name for p in user_build.iterdir()) == ["MyGold.json", BUILD_INFO]
    store = ArtifactStore.layered(user_build)
    assert store.get("MyGold").source_name == "contracts/MyGold.sol"
    assert store.get("InvestorRegistry") == ArtifactStore().get("InvestorRegistry")  # shipped ones still found
    assert {"MyGold", "RWAToken", "InvestorRegistry", "RWATokenAdmin"} <= set(store.names())
    assert "MyGold" not in ArtifactStore().names()


def test_the_shipped_artifacts_are_refused_as_a_users_output(user_project: Path, tmp_path: Path) -> None:
    before = _shipped_hashes()
    with pytest.raises(CompileError) as info:
        compile_project(root=user_project, artifacts_dir=ARTIFACTS_DIR)
    assert str(info.value) == (
        f"refusing to write the build of {user_project} into hktoken's shipped artifacts ({ARTIFACTS_DIR}): "
        f"leave --out unset (the build goes to {user_project / 'build' / 'hktoken'}) or pass a folder of your own"
    )
    assert _shipped_hashes() == before


def test_a_layered_store_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        ArtifactStore.layered(tmp_path)
    assert str(info.value) == f"no hktoken build in {tmp_path}: run `hktoken compile` in your project first"


def test_unknown_names_list_both_layers(user_build: Path) -> None:
    with pytest.raises(UnknownContractError) as info:
        ArtifactStore.layered(user_build).get("NoSuchToken")
    assert "MyGold" in str(info.value) and "InvestorRegistry" in str(info.value)


def test_a_users_token_on_the_base_deploys_next_to_the_shipped_contracts(
    chain: Chain, accounts: list[LocalAccount], kyc: Kyc, investor_registry: InvestorRegistry, user_build: Path
) -> None:
    before = _shipped_hashes()
    mine = connect(chain.rpc_url, artifacts=ArtifactStore.layered(user_build))
    admin = accounts[0]
    module = RWAToken.deploy_admin_module(mine, admin)  # the shipped admin module
    gold = deploy_contract(mine, admin, "MyGold", investor_registry.address, admin.address, admin.address, module)
    token = RWAToken.at(mine, gold.address)  # the base's surface is RWAToken's
    token.grant_role(admin, "ISSUER_ROLE", admin.address)
    kyc(accounts[7].address, investor_id="MY-GOLD-1")
    token.mint(admin, accounts[7].address, Decimal("12.345"))

    assert (token.symbol, token.decimals) == ("MYG", 3)
    assert token.balance_of(accounts[7].address) == Decimal("12.345")
    assert token.raw_balance_of(accounts[7].address) == 12_345
    assert _shipped_hashes() == before
