"""Standard-JSON compilation of a project's ``contracts/``: hktoken's own into the artifacts shipped with the
package, a user's project into that project's own ``build/hktoken/`` (the shipped artifacts are never touched).

Sources are read here and passed inline, under path-independent names (``contracts/...`` relative to
the project root, ``@openzeppelin/contracts/...`` for the library, ``hktoken/contracts/...`` for hktoken's own
Solidity sources, which a user's contracts may import to extend the base), so the metadata hash that solc
appends to the bytecode is the same in every checkout. The same input drives a native solc or the
wasm build, through py-solc-x. A content hash over compiler, settings and every source makes a warm
no-op run cost only the reading of the sources.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import solcx
from solcx.exceptions import SolcError

from hktoken import toolchain
from hktoken.artifacts import ARTIFACTS_DIR, BUILD_INFO
from hktoken.errors import CompileError

EVM_VERSION = "prague"
OPTIMIZER_RUNS = 200
VIA_IR = False
OZ_PREFIX = "@openzeppelin/contracts/"
HKTOKEN_PREFIX = "hktoken/contracts/"
CONTRACTS_DIR = "contracts"
USER_BUILD_DIR = Path("build") / "hktoken"
_PACKAGE_DIR = Path(__file__).resolve().parent
_WHEEL_SOLIDITY_DIR = _PACKAGE_DIR / "_solidity"  # where the wheel ships contracts/ (see pyproject.toml)
_CHECKOUT_ROOT = _PACKAGE_DIR.parent

_IMPORT_RE = re.compile(r"""^\s*import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']\s*;""", re.MULTILINE)
_PRAGMA_RE = re.compile(r"^\s*pragma\s+solidity\s+([^;]+);", re.MULTILINE)
_OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata", "storageLayout"]


def compiler_settings() -> dict[str, Any]:
    """The pinned solc settings every artifact is built with."""
    return {
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "evmVersion": EVM_VERSION,
        "viaIR": VIA_IR,
        "outputSelection": {"*": {"*": list(_OUTPUTS)}},
    }


@dataclass
class CompileResult:
    """What a compile run did."""

    artifacts_dir: Path
    contracts: list[str]
    cached: bool
    seconds: float
    solc_version: str
    warnings: list[str] = field(default_factory=list)


def project_root(start: Path | None = None) -> Path:
    """The folder holding ``contracts/``: the current folder, else the hktoken checkout hktoken runs from."""
    if start is not None:  # an explicit root is the only one considered
        if (start / CONTRACTS_DIR).is_dir():
            return start
        raise CompileError(f"no {CONTRACTS_DIR}/ folder in {start}", fix="pass the folder that holds contracts/")
    for candidate in (Path.cwd(), _CHECKOUT_ROOT):
        if (candidate / CONTRACTS_DIR).is_dir():
            return candidate
    raise CompileError(f"no {CONTRACTS_DIR}/ folder found", fix="run from the project folder or pass --root PATH")


def is_hktoken_checkout(root: Path) -> bool:
    """Whether ``root`` is the checkout of hktoken itself (the only project whose build is the shipped one)."""
    return root.resolve() == _CHECKOUT_ROOT and (root / CONTRACTS_DIR).is_dir() and ARTIFACTS_DIR.is_dir()


def default_artifacts_dir(root: Path) -> Path:
    """Where a project's build goes: the shipped artifacts for hktoken's own checkout, else
    ``<root>/build/hktoken/``."""
    return ARTIFACTS_DIR if is_hktoken_checkout(root) else root / USER_BUILD_DIR


def _output_dir(root: Path, artifacts_dir: Path | None) -> Path:
    """The folder a build of ``root`` may write; refuses the shipped artifacts for any project but hktoken's."""
    out = default_artifacts_dir(root) if artifacts_dir is None else artifacts_dir
    if out.resolve() == ARTIFACTS_DIR and not is_hktoken_checkout(root):
        raise CompileError(
            f"refusing to write the build of {root} into hktoken's shipped artifacts ({ARTIFACTS_DIR})",
            fix=f"leave --out unset (the build goes to {root / USER_BUILD_DIR}) or pass a folder of your own",
        )
    return out


def solidity_dir() -> Path:
    """hktoken's own Solidity sources, which ``import ... from "hktoken/contracts/..."`` resolves to: shipped
    inside the wheel, or the checkout's ``contracts/``."""
    for candidate in (_WHEEL_SOLIDITY_DIR, _CHECKOUT_ROOT / CONTRACTS_DIR):
        if candidate.is_dir():
            return candidate
    raise CompileError(
        "hktoken's Solidity sources are not installed", fix="reinstall hktoken from its wheel or a checkout"
    )


def collect_sources(root: Path, openzeppelin_dir: Path) -> dict[str, str]:
    """Every source under contracts/ plus everything it imports, by path-independent source name."""
    pending = sorted(p.relative_to(root).as_posix() for p in (root / CONTRACTS_DIR).rglob("*.sol") if p.is_file())
    if not pending:
        raise CompileError(f"no .sol files under {root / CONTRACTS_DIR}", fix="add contracts first")
    sources: dict[str, str] = {}
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        text = _read_source(name, root, openzeppelin_dir)
        sources[name] = text
        pending.extend(_resolve_import(name, imported) for imported in _IMPORT_RE.findall(text))
    return dict(sorted(sources.items()))


def _resolve_import(importer: str, imported: str) -> str:
    if not imported.startswith("."):
        return imported
    parts: list[str] = []
    for part in (PurePosixPath(importer).parent / imported).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _read_source(name: str, root: Path, openzeppelin_dir: Path) -> str:
    if name.startswith(OZ_PREFIX):
        path = openzeppelin_dir / name[len(OZ_PREFIX) :]
    elif name.startswith(HKTOKEN_PREFIX):
        path = solidity_dir() / name[len(HKTOKEN_PREFIX) :]
    elif name.startswith("@"):
        raise CompileError(
            f"import {name!r} names a package hktoken does not provide",
            fix=f"import OpenZeppelin as {OZ_PREFIX}..., hktoken as {HKTOKEN_PREFIX}..., "
            f"or vendor the file under {CONTRACTS_DIR}/",
        )
    else:
        path = root / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CompileError(f"cannot read source {name!r} ({path})", fix="check the import path") from exc


def cache_key(solc_version: str, sources: dict[str, str]) -> str:
    """Hash of everything that determines the output: compiler, settings and every source."""
    payload = {
        "solc": solc_version,
        "settings": compiler_settings(),
        "sources": {name: hashlib.sha256(text.encode()).hexdigest() for name, text in sources.items()},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --- pragma check -----------------------------------------------------------------------------------


def _version_tuple(text: str) -> tuple[int, int, int]:
    nums = [int(n) for n in re.findall(r"\d+", text)[:3]]
    while len(nums) < 3:
        nums.append(0)
    return nums[0], nums[1], nums[2]


def _bounds(parts: list[int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """[lower, next) of a possibly partial version: ``0.8`` spans 0.8.0 up to (not incl.) 0.9.0."""
    lower = _version_tuple(".".join(map(str, parts)))
    bumped = [*parts[:-1], parts[-1] + 1]
    return lower, _version_tuple(".".join(map(str, bumped)))


def _caret_upper(parts: list[int]) -> tuple[int, int, int]:
    # ^ keeps the first non-zero written part fixed (^0.8.1 -> <0.9.0, ^1.2 -> <2.0.0, ^0.0.3 -> <0.0.4)
    for index, value in enumerate(parts):
        if value != 0 or index == len(parts) - 1:
            return _bounds(parts[: index + 1])[1]
    raise AssertionError("unreachable")  # pragma: no cover


def _satisfies_term(version: tuple[int, int, int], term: str) -> bool:
    match = re.fullmatch(r"(\^|~|>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})", term.strip())
    if match is None:
        return True  # an expression we do not model: leave the verdict to solc itself
    op = match.group(1) or "="
    parts = [int(p) for p in match.group(2).split(".")]
    lower, upper = _bounds(parts)
    if op == "^":
        return lower <= version < _caret_upper(parts)
    if op == "~":
        return lower <= version < (_bounds(parts[:1])[1] if len(parts) == 1 else _bounds(parts[:2])[1])
    return {
        "=": lower <= version < upper,
        ">=": version >= lower,
        "<": version < lower,
        "<=": version < upper,
        ">": version >= upper,
    }[op]


def pragma_satisfied(version: str, expression: str) -> bool:
    """Whether ``version`` satisfies a Solidity version pragma (``^0.8.20``, ``>=0.8.4 <0.9.0``, ``0.8``,
    ``0.8.0 - 0.9.0``, ``||``); partial versions are wildcards, as solc reads them."""
    parsed = _version_tuple(version)
    for alternative in expression.split("||"):
        text = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1 <=\2", alternative.strip())
        text = re.sub(r"(\^|~|>=|<=|>|<|=)\s+", r"\1", text)
        if all(_satisfies_term(parsed, term) for term in text.split()):
            return True
    return False


def check_pragmas(solc_version: str, sources: dict[str, str]) -> None:
    """Fail early, with the file and the fix, when the solc in use cannot compile a source."""
    for name, text in sources.items():
        for expression in _PRAGMA_RE.findall(text):
            if not pragma_satisfied(solc_version, expression.strip()):
                pinned = toolchain.pins().solc
                raise CompileError(
                    f"solc {solc_version} does not satisfy `pragma solidity {expression.strip()}` in {name}",
                    fix=f"use solc {pinned}: unset HKTOKEN_SOLC or point it at a solc {pinned} binary",
                )


# --- compiling --------------------------------------------------------------------------------------


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text.encode()[: max(offset, 0)].decode(errors="ignore")
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


def _format_diagnostic(entry: dict[str, Any], sources: dict[str, str]) -> str:
    location = entry.get("sourceLocation") or {}
    file = location.get("file")
    kind = entry.get("type", "Error")
    message = entry.get("message", "").strip()
    if file in sources and isinstance(location.get("start"), int):
        line, col = _line_col(sources[file], location["start"])
        return f"{file}:{line}:{col}: {kind}: {message}"
    return f"{kind}: {message}"


def run_solc(solc: toolchain.Tool, sources: dict[str, str]) -> dict[str, Any]:
    """Compile ``sources`` with ``solc`` through py-solc-x; raise CompileError naming file:line:col."""
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": compiler_settings(),
    }
    try:
        output: dict[str, Any] = solcx.compile_standard(standard_input, solc_binary=solc.path)
    except SolcError as exc:
        errors = [e for e in (exc.error_dict or []) if e.get("severity") == "error"]
        if errors:
            first = _format_diagnostic(errors[0], sources)
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            raise CompileError(f"{first}{more}", fix="fix the source and run `hktoken compile` again") from exc
        detail = (exc.stderr_data or str(exc)).strip().splitlines()
        raise CompileError(
            f"solc at {solc.path} failed: {detail[-1] if detail else 'no output'}",
            fix="run `hktoken toolchain` to check the compiler",
        ) from exc
    except (OSError, ValueError) as exc:
        raise CompileError(
            f"solc at {solc.path} could not be run ({exc})", fix="run `hktoken toolchain install`"
        ) from exc
    return output


def build_artifacts(output: dict[str, Any], sources: dict[str, str], solc_version: str, key: str) -> dict[str, str]:
    """Artifact file name -> JSON text, for every contract defined under contracts/."""
    settings = compiler_settings()
    files: dict[str, str] = {}
    seen: dict[str, str] = {}
    error_abis: dict[str, dict[str, Any]] = {}
    for source_name, contracts in sorted(output.get("contracts", {}).items()):
        for contract_name, data in sorted(contracts.items()):
            for item in data.get("abi", []):
                if item.get("type") == "error":
                    error_abis[_error_signature(item)] = item
            if not source_name.startswith(CONTRACTS_DIR + "/"):
                continue
            if contract_name in seen:
                raise CompileError(
                    f"contract name {contract_name} is defined in both {seen[contract_name]} and {source_name}",
                    fix="give each contract a unique name",
                )
            seen[contract_name] = source_name
            metadata = json.loads(data["metadata"])
            artifact = {
                "contractName": contract_name,
                "sourceName": source_name,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "metadata": data["metadata"],
                "storageLayout": data.get("storageLayout", {}),
                "compiler": {"version": metadata["compiler"]["version"], "settings": settings},
                "sourceHashes": {n: s["keccak256"] for n, s in sorted(metadata["sources"].items())},
            }
            files[f"{contract_name}.json"] = _dump(artifact)
    files[BUILD_INFO] = _dump(
        {
            "cacheKey": key,
            "solcVersion": solc_version,
            "settings": settings,
            "contracts": sorted(seen),
            "sources": {n: hashlib.sha256(t.encode()).hexdigest() for n, t in sources.items()},
            "errors": [error_abis[s] for s in sorted(error_abis)],
        }
    )
    return files


def _error_signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(str(i['type']) for i in item.get('inputs', []))})"


def _dump(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _warnings(output: dict[str, Any], sources: dict[str, str]) -> list[str]:
    return [
        _format_diagnostic(e, sources)
        for e in output.get("errors", [])
        if e.get("severity") == "warning"
        and (e.get("sourceLocation") or {}).get("file", "").startswith(CONTRACTS_DIR + "/")
    ]


def _fresh_build(root: Path) -> tuple[dict[str, str], str, list[str]]:
    solc = toolchain.find_solc()
    sources = collect_sources(root, toolchain.find_openzeppelin().path)
    check_pragmas(solc.version, sources)
    key = cache_key(solc.version, sources)
    output = run_solc(solc, sources)
    return build_artifacts(output, sources, solc.version, key), solc.version, _warnings(output, sources)


def _existing_key(artifacts_dir: Path) -> str | None:
    try:
        data = json.loads((artifacts_dir / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None
    key = data.get("cacheKey")
    names = data.get("contracts", [])
    if not all((artifacts_dir / f"{name}.json").is_file() for name in names):
        return None
    return key if isinstance(key, str) else None


def compile_project(
    root: Path | None = None, artifacts_dir: Path | None = None, *, force: bool = False
) -> CompileResult:
    """Compile contracts/ into ``artifacts_dir`` (default: :func:`default_artifacts_dir`); a no-op when nothing
    that matters changed. Only hktoken's own checkout may write the shipped artifacts."""
    started = time.perf_counter()
    root = project_root(root)
    artifacts_dir = _output_dir(root, artifacts_dir)
    solc = toolchain.find_solc()
    sources = collect_sources(root, toolchain.find_openzeppelin().path)
    key = cache_key(solc.version, sources)
    if not force and _existing_key(artifacts_dir) == key:
        names = json.loads((artifacts_dir / BUILD_INFO).read_text())["contracts"]
        return CompileResult(artifacts_dir, names, True, time.perf_counter() - started, solc.version)
    check_pragmas(solc.version, sources)
    output = run_solc(solc, sources)
    files = build_artifacts(output, sources, solc.version, key)
    _write_artifacts(artifacts_dir, files)
    names = sorted(n[: -len(".json")] for n in files if n != BUILD_INFO)
    return CompileResult(
        artifacts_dir, names, False, time.perf_counter() - started, solc.version, _warnings(output, sources)
    )


def _write_artifacts(artifacts_dir: Path, files: dict[str, str]) -> None:
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    for stale in artifacts_dir.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = artifacts_dir / name
        if not path.is_file() or path.read_text() != text:
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(text)
            tmp.replace(path)


def check_artifacts(root: Path | None = None, artifacts_dir: Path | None = None) -> list[str]:
    """Names of artifact files that differ from a fresh build (empty when everything matches)."""
    root = project_root(root)
    artifacts_dir = default_artifacts_dir(root) if artifacts_dir is None else artifacts_dir
    files, _, _ = _fresh_build(root)
    shipped = {p.name for p in artifacts_dir.glob("*.json")}
    problems = [f"{name}: missing" for name in sorted(set(files) - shipped)]
    problems += [f"{name}: not produced by a fresh build" for name in sorted(shipped - set(files))]
    problems += [
        f"{name}: differs from a fresh build"
        for name in sorted(set(files) & shipped)
        if (artifacts_dir / name).read_text() != files[name]
    ]
    return problems
