"""Run Slither on contracts/ with the project's own solc and standard-JSON sources, then the triage gate.

Run with the project's Python: ``python .ci/slither/run.py [--out build/slither/slither.json]``. Slither lives in its
own virtual environment (slither-analyzer pins web3 < 8), created from the pinned requirements.txt beside this file
under ~/.cache/hktoken/ (keyed by the requirements' hash, so a pin change makes a fresh one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hktoken import compiler, toolchain

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REQUIREMENTS = HERE / "requirements.txt"
# OpenZeppelin is a dependency, not ours; mocks are analysed but their findings are triaged like the rest.
FILTER_PATHS = "@openzeppelin/|node_modules/"


def slither_venv() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = toolchain.cache_dir() / f"slither-venv-{digest}"
    if not (venv / "bin" / "slither").is_file():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    return venv


def standard_input() -> dict[str, object]:
    """The project's standard-JSON input, plus the AST and source maps Slither reads (codegen is unchanged)."""
    sources = compiler.collect_sources(ROOT, toolchain.find_openzeppelin().path)
    settings = compiler.compiler_settings()
    settings["outputSelection"] = {
        "*": {"*": ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode", "evm.deployedBytecode"], "": ["ast"]}
    }
    return {"language": "Solidity", "sources": {n: {"content": t} for n, t in sources.items()}, "settings": settings}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slither" / "slither.json")
    args = parser.parse_args()
    started = time.perf_counter()
    venv = slither_venv()
    venv_seconds = time.perf_counter() - started
    if toolchain.find_openzeppelin().path.resolve() != (ROOT / "node_modules" / compiler.OZ_PREFIX).resolve():
        print("slither: OpenZeppelin must be in the checkout's node_modules: run `hktoken toolchain install`")
        return 2
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # Slither refuses to overwrite its JSON
    input_path = out.with_name("standard-input.json")
    input_path.write_text(json.dumps(standard_input()))
    command = [
        str(venv / "bin" / "slither"), str(input_path), "--compile-force-framework", "solc-json",
        "--solc", str(toolchain.find_solc().path), "--solc-working-dir", str(ROOT),
        "--filter-paths", FILTER_PATHS, "--exclude-dependencies", "--show-ignored-findings", "--fail-none",
        "--json", str(out),
    ]  # fmt: skip
    log = out.with_name("slither.log")
    # crytic-compile walks up from its working directory for a framework config and, finding the checkout's
    # foundry.toml, would shell out to `forge config` (not on PATH, and its solc settings are not ours): run it
    # from an empty directory outside the checkout; sources still resolve against --solc-working-dir.
    with log.open("w") as handle, tempfile.TemporaryDirectory(prefix="hktoken-slither-") as cwd:
        rc = subprocess.run(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
    if rc != 0 or not out.is_file():
        print(f"slither: failed (exit {rc}); see {log}")
        print(log.read_text()[-3000:])
        return 1
    print(f"slither: venv {venv_seconds:.0f}s, analysis {time.perf_counter() - started - venv_seconds:.0f}s")
    return subprocess.run([sys.executable, str(HERE / "gate.py"), str(out)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
