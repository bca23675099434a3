"""Standard-JSON compilation: pragma checks, diagnostics with file:line:col, caching, reproducible artifacts."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from hktoken import toolchain
from hktoken.artifacts import BUILD_INFO, ArtifactStore
from hktoken.compiler import cache_key, check_artifacts, compile_project, compiler_settings, pragma_satisfied
from hktoken.errors import CompileError, SpecError, UnknownContractError

from ._support import IEXTRA_SOL, PROBE_PROJECT, PROBE_SOL, write_project
from .conftest import ProbeBuild

SOURCE_FIX = "fix the source and run `hktoken compile` again"
OZ = "@openzeppelin/contracts/"
OZ_FILES = (
    "interfaces/draft-IERC6093.sol",
    "token/ERC20/ERC20.sol",
    "token/ERC20/IERC20.sol",
    "token/ERC20/extensions/IERC20Metadata.sol",
    "utils/Context.sol",
)

PRAGMAS = [
    # (version, expression, satisfied)
    ("0.8.30", "0.8.30", True),
    ("0.8.30", "=0.8.30", True),
    ("0.8.30", "0.8.29", False),
    ("0.8.19", "0.8.30", False),
    ("0.8.30", "^0.8.20", True),
    ("0.8.30", "^0.8.31", False),
    ("0.8.30", "^0.7.0", False),
    ("0.9.0", "^0.8.20", False),
    ("0.8.19", "^0.8.20", False),
    ("0.8.20", "^0.8.20", True),
    ("1.4.0", "^1.2.3", True),
    ("2.0.0", "^1.2.3", False),
    ("0.8.30", "^0.8", True),
    ("0.8.30", "~0.8.20", True),
    ("0.8.30", "~0.8", True),
    ("0.8.30", "~0.8.31", False),
    ("0.9.0", "~0.8.20", False),
    ("0.8.30", ">=0.8.4 <0.9.0", True),
    ("0.8.30", ">=0.8.31", False),
    ("0.8.30", ">= 0.8.0", True),
    ("0.8.30", ">0.8.29", True),
    ("0.8.30", ">0.8.30", False),
    ("0.8.30", "<0.8.30", False),
    ("0.8.30", "<=0.8.30", True),
    ("0.8.30", "<0.9.0", True),
    ("0.9.0", "<0.9.0", False),
    ("0.8.30", ">=0.8.0 <0.8.30", False),
    ("0.8.30", "> 0.8.0 < 0.9.0", True),
    ("0.8.30", "^0.7.0 || ^0.8.0", True),
    ("0.8.30", "^0.6.0 || ^0.7.0", False),
    ("0.8.30", ">=0.4.22 <0.6.0 || >=0.8.20", True),
    ("0.5.0", ">=0.4.22 <0.6.0 || >=0.8.20", True),
    ("0.7.6", ">=0.4.22 <0.6.0 || >=0.8.20", False),
]


@pytest.mark.parametrize(("version", "expression", "expected"), PRAGMAS)
def test_pragma_satisfied(version: str, expression: str, expected: bool) -> None:
    assert pragma_satisfied(version, expression) is expected


def test_pragma_table_agrees_with_solc_itself() -> None:
    """Every 0.8.30 row of the table is what solc 0.8.30 itself decides (one standard-JSON run)."""
    rows = [(expr, ok) for version, expr, ok in PRAGMAS if version == "0.8.30"]
    sources = {
        f"f{i}.sol": {"content": f"pragma solidity {expr};\ncontract C{i} {{}}\n"} for i, (expr, _) in enumerate(rows)
    }
    standard = {"language": "Solidity", "sources": sources, "settings": {"outputSelection": {}}}
    raw = subprocess.run(
        [*toolchain.find_solc().argv, "--standard-json"],
        input=json.dumps(standard),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    errors = [e for e in json.loads(raw.stdout).get("errors", []) if e["severity"] == "error"]
    assert [e["message"] for e in errors if "requires different compiler version" not in e["message"]] == []
    rejected = {e["sourceLocation"]["file"] for e in errors}
    solc_verdict = [(expr, f"f{i}.sol" not in rejected) for i, (expr, _) in enumerate(rows)]
    assert solc_verdict == rows


# --- a real compile ----------------------------------------------------------------------------------


def test_compile_result(probe_build: ProbeBuild) -> None:
    result = probe_build.result
    assert result.cached is False
    assert result.contracts == ["Coin", "IExtraErrors", "Noisy", "Probe"]
    assert result.solc_version == "0.8.30"
    assert result.artifacts_dir == probe_build.out
    assert result.warnings == ["contracts/Noisy.sol:6:9: Warning: Unused local variable."]
    assert sorted(p.name for p in probe_build.out.iterdir()) == [
        "Coin.json",
        "IExtraErrors.json",
        "Noisy.json",
        "Probe.json",
        BUILD_INFO,
    ]


def test_warm_compile_is_a_cached_no_op(probe_build: ProbeBuild) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in probe_build.out.iterdir()}
    started = time.perf_counter()
    result = compile_project(root=probe_build.root, artifacts_dir=probe_build.out)
    elapsed = time.perf_counter() - started
    assert result.cached is True
    assert result.contracts == ["Coin", "IExtraErrors", "Noisy", "Probe"]
    assert result.seconds < 0.5 and elapsed < 0.5, (result.seconds, elapsed)
    assert {p.name: p.stat().st_mtime_ns for p in probe_build.out.iterdir()} == before  # nothing rewritten


def test_cache_key_covers_compiler_and_every_source() -> None:
    sources = {"contracts/A.sol": "contract A {}", "contracts/B.sol": "contract B {}"}
    key = cache_key("0.8.30", sources)
    assert cache_key("0.8.30", dict(reversed(sources.items()))) == key
    assert cache_key("0.8.29", sources) != key
    assert cache_key("0.8.30", {**sources, "contracts/B.sol": "contract B { }"}) != key
    assert cache_key("0.8.30", {"contracts/A.sol": "contract A {}"}) != key


def test_artifacts_do_not_depend_on_the_checkout_path(probe_build: ProbeBuild, tmp_path: Path) -> None:
    other_root = write_project(tmp_path / "somewhere" / "else" / "entirely", PROBE_PROJECT)
    other_out = tmp_path / "out"
    result = compile_project(root=other_root, artifacts_dir=other_out)
    assert result.cached is False
    first = {p.name: p.read_bytes() for p in probe_build.out.iterdir()}
    second = {p.name: p.read_bytes() for p in other_out.iterdir()}
    assert sorted(second) == sorted(first)
    for name in first:
        assert second[name] == first[name], f"{name} differs between checkouts"
        assert str(probe_build.root).encode() not in first[name]
        assert str(other_root).encode() not in second[name]


def test_artifact_fields(probe_build: ProbeBuild) -> None:
    probe = probe_build.store.get("Probe")
    assert probe.contract_name == "Probe"
    assert probe.source_name == "contracts/Probe.sol"
    functions = sorted(item["name"] for item in probe.abi if item["type"] == "function")
    assert functions == [
        "bump",
        "callCoin",
        "counter",
        "failCustom",
        "failEmpty",
        "failInterfaceError",
        "failOnChain",
        "failPanic",
        "failRestricted",
        "failString",
        "failUnknown",
    ]
    errors = sorted(item["name"] for item in probe.abi if item["type"] == "error")
    assert errors == ["NotAllowed", "OnChainOnly", "TransferRestricted"]
    assert probe.bytecode.startswith("0x6080") and len(probe.bytecode) > 200
    assert probe.deployed_bytecode.startswith("0x6080")
    assert probe.bytecode.endswith(probe.deployed_bytecode[2:])  # init code followed by the runtime code
    assert probe.deployable
    metadata = json.loads(probe.metadata)
    assert metadata["compiler"]["version"] == "0.8.30+commit.73712a01"
    assert metadata["settings"]["evmVersion"] == "prague"
    assert metadata["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert metadata["settings"]["compilationTarget"] == {"contracts/Probe.sol": "Probe"}
    assert probe.storage_layout["storage"] == [
        {
            "astId": probe.storage_layout["storage"][0]["astId"],
            "contract": "contracts/Probe.sol:Probe",
            "label": "counter",
            "offset": 0,
            "slot": "0",
            "type": "t_uint256",
        }
    ]
    assert probe.compiler == {"version": "0.8.30+commit.73712a01", "settings": compiler_settings()}
    assert probe.compiler["settings"]["evmVersion"] == "prague"
    assert probe.compiler["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert probe.compiler["settings"]["viaIR"] is False
    oz_dir = toolchain.find_openzeppelin().path
    expected_hashes = {
        "contracts/IExtraErrors.sol": "0x" + keccak(IEXTRA_SOL.encode()).hex(),
        "contracts/Probe.sol": "0x" + keccak(PROBE_SOL.encode()).hex(),
    }
    for name in OZ_FILES:
        expected_hashes[OZ + name] = "0x" + keccak((oz_dir / name).read_bytes()).hex()
    assert probe.source_hashes == dict(sorted(expected_hashes.items()))

    interface = probe_build.store.get("IExtraErrors")
    assert (interface.bytecode, interface.deployed_bytecode, interface.deployable) == ("0x", "0x", False)


def test_build_info_lists_every_error_of_the_build(probe_build: ProbeBuild) -> None:
    info = probe_build.store.build_info
    assert info["solcVersion"] == "0.8.30"
    assert info["contracts"] == ["Coin", "IExtraErrors", "Noisy", "Probe"]
    assert info["settings"] == compiler_settings()
    oz_dir = toolchain.find_openzeppelin().path
    expected_sources = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in PROBE_PROJECT.items()}
    for name in OZ_FILES:
        expected_sources[OZ + name] = hashlib.sha256((oz_dir / name).read_bytes()).hexdigest()
    assert info["sources"] == dict(sorted(expected_sources.items()))
    assert info["cacheKey"] == cache_key(
        "0.8.30",
        {n: (probe_build.root / n).read_text() for n in PROBE_PROJECT}
        | {OZ + n: (oz_dir / n).read_text() for n in OZ_FILES},
    )
    by_name = {e["name"]: e for e in probe_build.store.error_abis()}
    assert by_name["ERC20InsufficientBalance"] == {
        "inputs": [
            {"internalType": "address", "name": "sender", "type": "address"},
            {"internalType": "uint256", "name": "balance", "type": "uint256"},
            {"internalType": "uint256", "name": "needed", "type": "uint256"},
        ],
        "name": "ERC20InsufficientBalance",
        "type": "error",
    }
    for name in (
        "ERC20InsufficientAllowance",
        "ERC20InvalidApprover",
        "ERC20InvalidReceiver",
        "ERC20InvalidSender",
        "ERC20InvalidSpender",
        "DeclaredElsewhere",
        "NotAllowed",
        "OnChainOnly",
        "TransferRestricted",
    ):
        assert by_name[name]["type"] == "error", name
    assert "DeclaredElsewhere" not in {e["name"] for e in probe_build.store.get("Probe").abi if e["type"] == "error"}


def test_unknown_contract_suggests_the_closest_or_lists_the_deployable_ones(probe_build: ProbeBuild) -> None:
    with pytest.raises(UnknownContractError) as info:
        probe_build.store.get("Probe2")
    assert isinstance(info.value, SpecError)
    assert str(info.value) == (
        "no compiled artifact for contract 'Probe2' (did you mean 'Probe'?): check the name, or run `hktoken compile`"
    )
    with pytest.raises(UnknownContractError) as info:
        probe_build.store.get("Treasury")
    deployable = [n for n in probe_build.store.names() if probe_build.store.get(n).deployable
                  and any(i.get("type") == "function" for i in probe_build.store.get(n).abi)]  # fmt: skip
    assert str(info.value) == (
        f"no compiled artifact for contract 'Treasury' (deployable: {', '.join(deployable)}): "
        "check the name, or run `hktoken compile`"
    )


def test_empty_store_says_none_known_and_has_no_build_info(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    with pytest.raises(UnknownContractError) as info:
        store.get("Probe")
    assert (
        str(info.value)
        == "no compiled artifact for contract 'Probe' (deployable: none): check the name, or run `hktoken compile`"
    )
    with pytest.raises(CompileError) as compile_info:
        store.error_abis()
    assert str(compile_info.value) == f"missing or unreadable {tmp_path / BUILD_INFO}: run `hktoken compile`"


def test_check_artifacts_is_empty_for_a_fresh_build_and_names_each_problem(
    probe_build: ProbeBuild, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    shutil.copytree(probe_build.out, shipped)
    assert check_artifacts(probe_build.root, shipped) == []

    probe_json = shipped / "Probe.json"
    probe_json.write_text(probe_json.read_text().replace('"runs": 200', '"runs": 201'))
    (shipped / "Stray.json").write_text("{}\n")
    (shipped / "Noisy.json").unlink()
    assert check_artifacts(probe_build.root, shipped) == [
        "Noisy.json: missing",
        "Stray.json: not produced by a fresh build",
        "Probe.json: differs from a fresh build",
    ]


# --- failures -----------------------------------------------------------------------------------------


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    source = (
        "// SPDX-License-Identifier: MIT\n"
        "pragma solidity 0.8.30;\n"
        "\n"
        "contract Broken {\n"
        "    uint256 x = 1\n"
        "    function f() external {}\n"
        "}\n"
    )
    root = write_project(tmp_path / "project", {"contracts/Broken.sol": source})
    out = tmp_path / "out"
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=out)
    assert str(info.value) == f"contracts/Broken.sol:6:5: ParserError: Expected ';' but got 'function': {SOURCE_FIX}"
    assert not out.exists()  # nothing half-written


def test_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    line = '    string constant NAME = unicode"黃金" oops;'
    source = f"// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n\n// 黃金\ncontract Gold {{\n{line}\n}}\n"
    root = write_project(tmp_path / "project", {"contracts/Gold.sol": source})
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    column = line.index("oops") + 1
    assert column == 40
    assert (
        str(info.value) == f"contracts/Gold.sol:6:{column}: ParserError: Expected ';' but got identifier: {SOURCE_FIX}"
    )


def test_several_errors_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    source = (
        "// SPDX-License-Identifier: MIT\n"
        "pragma solidity 0.8.30;\n"
        "contract Two {\n"
        "    function f() external pure returns (uint256) { return missingA; }\n"
        "    function g() external pure returns (uint256) { return missingB; }\n"
        "}\n"
    )
    root = write_project(tmp_path / "project", {"contracts/Two.sol": source})
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    assert str(info.value) == (
        f"contracts/Two.sol:4:59: DeclarationError: Undeclared identifier. (+1 more): {SOURCE_FIX}"
    )


def test_old_solc_is_refused_by_the_pragma_before_compiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "solc-0.8.19"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'solc, the solidity compiler commandline interface'\n"
        "echo 'Version: 0.8.19+commit.7dd6d404.Linux.g++'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("HKTOKEN_SOLC", str(fake))
    root = write_project(
        tmp_path / "project",
        {"contracts/Old.sol": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract Old {}\n"},
    )
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    assert str(info.value) == (
        "solc 0.8.19 does not satisfy `pragma solidity 0.8.30` in contracts/Old.sol: "
        "use solc 0.8.30: unset HKTOKEN_SOLC or point it at a solc 0.8.30 binary"
    )
    assert not (tmp_path / "out").exists()


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "project",
        {
            "contracts/A.sol": (
                '// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nimport "./lib/Missing.sol";\ncontract A {}\n'
            )
        },
    )
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    assert str(info.value) == (
        f"cannot read source 'contracts/lib/Missing.sol' ({root / 'contracts' / 'lib' / 'Missing.sol'}): "
        "check the import path"
    )


def test_import_of_a_missing_openzeppelin_file(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "project",
        {
            "contracts/A.sol": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n"
            'import {Nope} from "@openzeppelin/contracts/token/Nope.sol";\ncontract A {}\n'
        },
    )
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    oz_dir = toolchain.find_openzeppelin().path
    assert str(info.value) == (
        f"cannot read source '@openzeppelin/contracts/token/Nope.sol' ({oz_dir / 'token' / 'Nope.sol'}): "
        "check the import path"
    )


def test_import_of_an_unknown_package(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "project",
        {"contracts/A.sol": 'pragma solidity 0.8.30;\nimport "@uniswap/v4-core/src/Pool.sol";\ncontract A {}\n'},
    )
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    assert str(info.value) == (
        "import '@uniswap/v4-core/src/Pool.sol' names a package hktoken does not provide: "
        "import OpenZeppelin as @openzeppelin/contracts/..., hktoken as hktoken/contracts/..., "
        "or vendor the file under contracts/"
    )


def test_duplicate_contract_names_are_refused(tmp_path: Path) -> None:
    body = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract Twin {}\n"
    root = write_project(tmp_path / "project", {"contracts/a/Twin.sol": body, "contracts/b/Twin.sol": body})
    with pytest.raises(CompileError) as info:
        compile_project(root=root, artifacts_dir=tmp_path / "out")
    assert str(info.value) == (
        "contract name Twin is defined in both contracts/a/Twin.sol and contracts/b/Twin.sol: "
        "give each contract a unique name"
    )


def test_a_project_without_sources(tmp_path: Path) -> None:
    (tmp_path / "project" / "contracts").mkdir(parents=True)
    with pytest.raises(CompileError) as info:
        compile_project(root=tmp_path / "project", artifacts_dir=tmp_path / "out")
    assert str(info.value) == f"no .sol files under {tmp_path / 'project' / 'contracts'}: add contracts first"
