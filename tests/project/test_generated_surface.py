"""The plain ABI surface (hktoken/contracts/_abi) is generated from the shipped artifacts, checked in, current,
complete, and lint-clean; the generator itself handles ABIs the current contracts do not have (overloads,
payable functions, keywords, unnamed parameters, structs). No chain needed."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import HKDStablecoin, InvestorRegistry, RWAToken
from hktoken.abi import functions, is_view, python_name, signature
from hktoken.artifacts import ArtifactStore
from hktoken.contracts import codegen
from hktoken.contracts._abi import SURFACES
from hktoken.contracts.surface import AbiSurface

ROOT = Path(__file__).resolve().parents[2]
STORE = ArtifactStore()
DECLARED = codegen.declared_parameter_names(STORE)
DEPLOYABLE = [STORE.get(n) for n in STORE.names() if STORE.get(n).deployable]


def test_generated_files_match_the_shipped_artifacts() -> None:
    problems = codegen.check(STORE)
    assert problems == [], f"run `{codegen.REGENERATE}` and commit the result: {problems}"


def test_every_deployable_artifact_with_functions_has_a_module() -> None:
    with_functions = {a.contract_name for a in DEPLOYABLE if functions(a.abi)}
    assert set(SURFACES) == with_functions
    assert {"InvestorRegistry", "RWAToken", "HKDStablecoin"} <= with_functions
    for name in with_functions:
        module = codegen.GENERATED_DIR / f"{codegen.module_stem(name)}.py"
        assert module.read_text().startswith(f"{codegen.MARKER} from hktoken/artifacts/{name}.json: do not edit.")
        assert SURFACES[name].__name__ == codegen.class_name(name)
        assert SURFACES[name].artifact_name == name
    # code-only libraries (internal functions only) have nothing to call
    assert all(not functions(a.abi) for a in DEPLOYABLE if a.contract_name not in with_functions)


class _Recorder:
    """Stands in for the chain: records what a generated method asks the surface to call or send."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []


def _recording(surface_type: type[AbiSurface]) -> tuple[AbiSurface, _Recorder]:
    recorder = _Recorder()

    class Recording(surface_type):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:  # no chain
            pass

        def _call(self, function_signature: str, *args: Any) -> Any:
            recorder.calls.append(("call", function_signature, args, {}))
            return None

        def _send(self, signer: LocalAccount, function_signature: str, *args: Any, value: int = 0) -> Any:
            recorder.calls.append(("send", function_signature, (signer, *args), {"value": value}))
            return None

    return Recording(), recorder


CASES = [
    pytest.param(artifact.contract_name, item, id=f"{artifact.contract_name}.{signature(item)}")
    for artifact in DEPLOYABLE
    for item in functions(artifact.abi)
]


@pytest.mark.parametrize(("contract", "item"), CASES)
def test_every_function_has_a_method_that_reaches_it(contract: str, item: dict[str, Any]) -> None:
    surface_type = SURFACES[contract]
    name = codegen.method_names(STORE.get(contract).abi)[signature(item)]
    method = getattr(surface_type, name)
    parameters = list(inspect.signature(method).parameters)[1:]
    arguments = codegen.parameter_names(item, DECLARED)
    view = is_view(item)
    assert parameters == ([] if view else ["signer"]) + arguments + (
        ["value"] if item["stateMutability"] == "payable" else []
    )
    surface, recorder = _recording(surface_type)
    values = tuple(f"<{a}>" for a in arguments)
    if view:
        getattr(surface, name)(*values)
        assert recorder.calls == [("call", signature(item), values, {})]
    else:
        getattr(surface, name)("<signer>", *values)
        assert recorder.calls == [("send", signature(item), ("<signer>", *values), {"value": 0})]
    assert f"``{item['name']}(" in (method.__doc__ or "")


def test_unnamed_stub_parameters_take_the_names_their_interface_declares() -> None:
    """The token forwards its admin functions through unnamed stubs; IRWATokenAdmin names the parameters."""
    stub = next(i for i in STORE.get("RWAToken").abi if i.get("name") == "setAddressFrozen")
    assert [i["name"] for i in stub["inputs"]] == ["", ""]
    parameters = list(inspect.signature(SURFACES["RWAToken"].set_address_frozen).parameters)
    assert parameters == ["self", "signer", "user", "freeze"]
    assert codegen.parameter_names(stub) == ["arg0", "arg1"]  # with nothing declared elsewhere


def test_wrappers_expose_their_generated_surface_as_raw() -> None:
    for wrapper in (InvestorRegistry, RWAToken, HKDStablecoin):
        assert wrapper.surface_type is SURFACES[wrapper.artifact_name]
    assert python_name("batchForcedTransfer") == "batch_forced_transfer"
    assert hasattr(SURFACES["RWAToken"], "batch_forced_transfer")
    assert hasattr(SURFACES["InvestorRegistry"], "batch_revoke_investors")
    assert hasattr(SURFACES["HKDStablecoin"], "nonces")


@pytest.mark.parametrize(
    ("abi_name", "expected"),
    [
        ("batchForcedTransfer", "batch_forced_transfer"),
        ("DEFAULT_ADMIN_ROLE", "default_admin_role"),
        ("getFrozenTokens", "get_frozen_tokens"),
        ("eip712Domain", "eip712_domain"),
        ("DOMAIN_SEPARATOR", "domain_separator"),
        ("getERC20Balance", "get_erc20_balance"),
        ("isKYCValid", "is_kyc_valid"),
        ("lockupUntil_", "lockup_until_"),
        ("from", "from_"),
        ("class", "class_"),
        ("lambda", "lambda_"),
    ],
)
def test_python_names(abi_name: str, expected: str) -> None:
    assert python_name(abi_name) == expected


# --------------------------------------------------------------------------------------------- the generator


def _io(kind: str, name: str = "", components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "type": kind, "internalType": kind}
    if components is not None:
        item["components"] = components
    return item


def _fn(name: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], mutability: str) -> dict[str, Any]:
    return {"type": "function", "name": name, "inputs": inputs, "outputs": outputs, "stateMutability": mutability}


STRUCT = [_io("uint64", "expiry"), _io("bool", "revoked")]
SYNTHETIC_ABI = [
    _fn("safeTransferFrom", [_io("address", "from"), _io("address", "to"), _io("uint256", "id")], [], "nonpayable"),
    _fn(
        "safeTransferFrom",
        [_io("address", "from"), _io("address", "to"), _io("uint256", "id"), _io("bytes", "data")],
        [],
        "nonpayable",
    ),
    _fn("deposit", [_io("address", "")], [], "payable"),
    _fn("chain", [], [_io("uint256")], "view"),
    _fn("profile", [_io("bytes32", "id")], [_io("tuple", "", STRUCT)], "view"),
    _fn("profiles", [_io("tuple[]", "ids", STRUCT)], [_io("tuple[]", "", STRUCT), _io("uint8[3]", "flags")], "pure"),
    _fn("touch", [_io("uint256", "signer"), _io("uint256", "value"), _io("uint256", "self")], [], "nonpayable"),
    _fn("noOutputs", [], [], "view"),
    _fn(
        "aVeryLongFunctionNameThatForcesTheGeneratorToWrapItsSignatureOverSeveralLinesOfCode",
        [_io("address[]", f"recipientListNumber{n}") for n in range(6)],
        [_io("string"), _io("bytes4"), _io("int24"), _io("address[][]")],
        "view",
    ),
]


def _synthetic_store(tmp_path: Path) -> ArtifactStore:
    """A copy of the shipped artifact folder plus one made-up contract with the ABI above."""
    folder = tmp_path / "artifacts"
    shutil.copytree(STORE.directory, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    base = json.loads((folder / "PlainERC20.json").read_text())
    notices = {"methods": {"deposit(address)": {"notice": 'Take the ether \u2192 and """quote""" it \\ back.'}}}
    metadata = json.loads(base["metadata"])
    metadata["output"]["userdoc"] = notices
    synthetic = {**base, "contractName": "Synthetic", "abi": SYNTHETIC_ABI, "metadata": json.dumps(metadata)}
    (folder / "Synthetic.json").write_text(json.dumps(synthetic))
    return ArtifactStore(folder)


def test_generator_names_overloads_reserved_and_unnamed_parameters(tmp_path: Path) -> None:
    names = codegen.method_names(SYNTHETIC_ABI)
    assert names["safeTransferFrom(address,address,uint256)"] == "safe_transfer_from__address_address_uint256"
    assert names["safeTransferFrom(address,address,uint256,bytes)"] == (
        "safe_transfer_from__address_address_uint256_bytes"
    )
    assert names["chain()"] == "chain_"  # never shadows AbiSurface.chain
    assert codegen.parameter_names(SYNTHETIC_ABI[0]) == ["from_", "to", "id"]
    assert codegen.parameter_names(SYNTHETIC_ABI[2]) == ["arg0"]
    assert codegen.parameter_names(SYNTHETIC_ABI[6]) == ["signer_", "value_", "self_"]

    store = _synthetic_store(tmp_path)
    source = codegen.render_module(store.get("Synthetic"))
    namespace: dict[str, Any] = {}
    exec(compile(source, "synthetic.py", "exec"), namespace)
    cls = namespace["SyntheticFunctions"]
    assert (
        str(inspect.signature(cls.deposit))
        == "(self, signer: 'LocalAccount', arg0: 'str', *, value: 'int' = 0) -> 'TxReceipt'"
    )
    assert str(inspect.signature(cls.profile)) == "(self, id: 'bytes') -> 'tuple[Any, ...]'"
    assert str(inspect.signature(cls.profiles)) == (
        "(self, ids: 'Sequence[tuple[Any, ...]]') -> 'tuple[list[tuple[Any, ...]], list[int]]'"
    )
    assert str(inspect.signature(cls.no_outputs)) == "(self) -> 'None'"
    assert cls.deposit.__doc__.startswith('Take the ether \u2192 and """quote""" it \\ back.')
    surface, recorder = _recording(cls)
    surface.deposit("<signer>", "<to>", value=7)
    assert recorder.calls == [("send", "deposit(address)", ("<signer>", "<to>"), {"value": 7})]


FIRST_PARTY = 'lint.isort.known-first-party = ["hktoken"]'


def test_generated_code_is_formatted_and_lint_clean(tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or (str(Path(sys.executable).parent / "ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    out = tmp_path / "_abi"
    codegen.generate(_synthetic_store(tmp_path), out)
    for command in (["format", "--check"], ["check"]):
        result = subprocess.run(
            # the project's settings, and hktoken first-party although these modules are outside the package
            [ruff, *command, "--config", str(ROOT / "pyproject.toml"), "--config", FIRST_PARTY, str(out)],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr


def test_check_reports_and_generate_repairs_stale_files(tmp_path: Path) -> None:
    store = _synthetic_store(tmp_path)
    out = tmp_path / "_abi"
    assert codegen.check(store, out) == [f"{out / n} is missing" for n in sorted(codegen.generated_sources(store))]
    written = codegen.generate(store, out)
    assert {p.name for p in written} == {f"{codegen.module_stem(n)}.py" for n in SURFACES} | {
        "synthetic.py",
        "__init__.py",
    }
    assert codegen.check(store, out) == []
    assert codegen.generate(store, out) == []  # nothing changed, nothing written

    (out / "synthetic.py").write_text((out / "synthetic.py").read_text().replace("def chain_", "def renamed"))
    assert codegen.check(store, out) == [f"{out / 'synthetic.py'} is out of date"]
    (out / "handwritten.py").write_text("VALUE = 1\n")  # not generated: left alone
    (store.directory / "Synthetic.json").unlink()
    assert codegen.check(ArtifactStore(store.directory), out) == [
        f"{out / '__init__.py'} is out of date",
        f"{out / 'synthetic.py'} has no artifact any more",
    ]
    codegen.generate(ArtifactStore(store.directory), out)
    assert not (out / "synthetic.py").exists() and (out / "handwritten.py").exists()
    assert codegen.check(ArtifactStore(store.directory), out) == []


def test_the_module_entry_point_checks_and_regenerates(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "hktoken.contracts.codegen"]
    result = subprocess.run([*command, "--check"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (
        0,
        f"generated ABI surface in {codegen.GENERATED_DIR} matches the artifacts",
    ), result.stderr
    out = tmp_path / "_abi"
    result = subprocess.run([*command, "--check", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: the generated ABI surface is stale: run `{codegen.REGENERATE}` and commit it"
    )
    result = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert codegen.check(STORE, out) == []
