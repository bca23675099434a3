"""What a user gets from ``pip install hktoken`` outside a checkout: artifacts, shim and the npm manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hktoken import toolchain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    (built,) = out.glob("hktoken-*.whl")
    return built


@pytest.mark.slow
def test_wheel_ships_artifacts_shim_manifest_and_plugin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped_manifest = json.loads(archive.read("hktoken/_npm/package.json"))
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for name in ("RWAToken", "InvestorRegistry", "HKDStablecoin", "_build"):
        assert f"hktoken/artifacts/{name}.json" in names
    assert {"hktoken/solc_shim.js", "hktoken/py.typed", "hktoken/_npm/package-lock.json"} <= names
    # hktoken's Solidity sources, which a user's `import ... from "hktoken/contracts/..."` resolves to
    shipped_sources = {n.removeprefix("hktoken/_solidity/") for n in names if n.startswith("hktoken/_solidity/")}
    assert shipped_sources == {p.relative_to(ROOT / "contracts").as_posix() for p in (ROOT / "contracts").rglob("*")
                               if p.is_file()}  # fmt: skip
    assert shipped_manifest == json.loads((ROOT / "package.json").read_text())
    assert "[pytest11]\nhktoken = hktoken.testing.plugin" in entry_points
    assert "hktoken = hktoken.cli:main" in entry_points


@pytest.mark.slow
def test_install_outside_a_checkout_goes_to_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "hktoken"
    (package / "_npm").mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ROOT / name, package / "_npm" / name)
    shutil.copyfile(ROOT / "hktoken" / "solc_shim.js", package / "solc_shim.js")
    monkeypatch.setattr(toolchain, "PACKAGE_DIR", package)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HKTOKEN_TOOLCHAIN_DIR", raising=False)

    assert toolchain.install_dir() == tmp_path / "cache" / "hktoken" / "toolchain"
    assert toolchain.pins().solc == "0.8.30"
    target = toolchain.install(quiet=True)

    assert target == tmp_path / "cache" / "hktoken" / "toolchain"
    assert toolchain.find_openzeppelin().version == "5.7.0"
    solc = toolchain.find_solc()
    if solc.source == "npm (wasm)":
        assert str(tmp_path / "cache") in solc.path.read_text()
    assert solc.version == "0.8.30"


MY_GOLD_SOL = """\
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "hktoken/contracts/interfaces/IInvestorRegistry.sol";
import {RWATokenBase} from "hktoken/contracts/token/RWATokenBase.sol";

contract MyGold is RWATokenBase {
    constructor(IInvestorRegistry registry_, address admin, address treasury_, address adminModule_)
        RWATokenBase("My Gold", "MYG", 3, registry_, admin, treasury_, adminModule_)
    {}
}
"""


@pytest.mark.slow
def test_compiling_a_project_with_the_installed_wheel_leaves_the_package_alone(wheel: Path, tmp_path: Path) -> None:
    """The defect a new user met: `hktoken compile` in their project, with hktoken installed from the wheel, wrote
    into site-packages and deleted the shipped artifacts. Now the build goes to the project's build/hktoken/."""
    site = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    installed = sorted(p for p in (site / "hktoken").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    before = {p: p.read_bytes() for p in installed}
    project = tmp_path / "my-project"
    (project / "contracts").mkdir(parents=True)
    (project / "contracts" / "MyGold.sol").write_text(MY_GOLD_SOL)
    env = {**os.environ, "PYTHONPATH": str(site), "HKTOKEN_TOOLCHAIN_DIR": str(ROOT)}  # the checkout's npm tools
    probe = "import hktoken, sys; sys.stdout.write(hktoken.__file__)"
    imported = subprocess.run([sys.executable, "-c", probe], cwd=project, env=env, capture_output=True, text=True)
    assert imported.stdout == str(site / "hktoken" / "__init__.py")  # the wheel's copy, not the checkout

    result = subprocess.run(
        [sys.executable, "-c", "from hktoken.cli import main; main()", "compile"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"-> {project / 'build' / 'hktoken'}\n")
    assert sorted(p.name for p in (project / "build" / "hktoken").iterdir()) == ["MyGold.json", "_build.json"]
    after = sorted(p for p in (site / "hktoken").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert after == installed
    assert all(p.read_bytes() == before[p] for p in installed)
