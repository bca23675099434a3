"""Find, report and install the pinned toolchain: Node, solc, anvil and OpenZeppelin Contracts.

Nothing here downloads a binary at run time. The versions come from the project's ``package.json``
(the single place they are pinned); ``npm ci`` installs exactly the ``package-lock.json`` set.

Search order
  anvil: ``$HKTOKEN_ANVIL``, then ``anvil`` on PATH (the user's own Foundry), then the npm binary.
  solc:  ``$HKTOKEN_SOLC``, then a native solc of the pinned version (py-solc-x's install folder,
         then PATH), then the official wasm build from npm behind a small Node shim.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hktoken.errors import ToolchainError

PACKAGE_DIR = Path(__file__).resolve().parent
TOOLCHAIN_PACKAGE_NAME = "hktoken-toolchain"
OPENZEPPELIN_PACKAGE = "@openzeppelin/contracts"
SOLC_PACKAGE = "solc"

_VERSION_RE = re.compile(r"(\d+\.\d+\.\d+)")
_NODE_FIX = "install Node.js 20+ (it includes npm), then run `hktoken toolchain install`"


@dataclass(frozen=True)
class Tool:
    """One resolved tool: what it is, which version, where, and how it was found."""

    name: str
    version: str
    path: Path
    source: str
    command: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        """The command line that runs this tool."""
        return list(self.command) if self.command else [str(self.path)]


@dataclass(frozen=True)
class Pins:
    """The versions hktoken is built and tested with, read from package.json."""

    solc: str
    openzeppelin: str
    anvil: str


def cache_dir() -> Path:
    """Per-user cache folder for the npm toolchain and the solc shim launcher."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hktoken"


def _checkout_root() -> Path | None:
    root = PACKAGE_DIR.parent
    manifest = root / "package.json"
    if manifest.is_file() and _manifest_name(manifest) == TOOLCHAIN_PACKAGE_NAME:
        return root
    return None


def _manifest_name(manifest: Path) -> str | None:
    try:
        name = json.loads(manifest.read_text()).get("name")
    except (OSError, ValueError):
        return None
    return name if isinstance(name, str) else None


def install_dir() -> Path:
    """Where ``hktoken toolchain install`` puts node_modules: the checkout, else the user cache."""
    explicit = os.environ.get("HKTOKEN_TOOLCHAIN_DIR")
    if explicit:
        return Path(explicit)
    return _checkout_root() or cache_dir() / "toolchain"


def _manifest_path() -> Path:
    checkout = _checkout_root()
    if checkout is not None:
        return checkout / "package.json"
    return PACKAGE_DIR / "_npm" / "package.json"


def pins() -> Pins:
    """The pinned versions (from package.json, the one place they are written)."""
    manifest = _manifest_path()
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise ToolchainError(f"cannot read the toolchain manifest {manifest}", fix="reinstall hktoken") from exc
    deps: dict[str, str] = {**data.get("dependencies", {}), **data.get("optionalDependencies", {})}
    anvil = next((v for k, v in deps.items() if k.startswith("@foundry-rs/anvil-")), "")
    return Pins(solc=deps[SOLC_PACKAGE], openzeppelin=deps[OPENZEPPELIN_PACKAGE], anvil=anvil)


def node_modules() -> Path:
    """The node_modules folder of the installed toolchain (it may not exist yet)."""
    return install_dir() / "node_modules"


def _tool_version(argv: list[str]) -> str | None:
    try:
        out = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION_RE.search(out.stdout + out.stderr)
    return match.group(1) if out.returncode == 0 and match else None


def _executable(path: str | Path) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _npm_package_version(package_dir: Path) -> str | None:
    try:
        version = json.loads((package_dir / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def find_node() -> Tool:
    """The Node.js runtime (needed only for the wasm solc and for installing the toolchain)."""
    node = shutil.which("node")
    if node is None:
        raise ToolchainError("Node.js was not found on PATH", fix=_NODE_FIX)
    version = _tool_version([node]) or "unknown"
    return Tool("node", version, Path(node), "PATH")


def _anvil_npm_package() -> str:
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), platform.system().lower())
    machine = {"x86_64": "amd64", "amd64": "amd64", "arm64": "arm64", "aarch64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    return f"@foundry-rs/anvil-{system}-{machine}"


def find_anvil() -> Tool:
    """The anvil binary: $HKTOKEN_ANVIL, then PATH, then the pinned npm package."""
    explicit = os.environ.get("HKTOKEN_ANVIL")
    if explicit:
        version = _tool_version([explicit]) if _executable(explicit) else None
        if version is None:
            raise ToolchainError(
                f"HKTOKEN_ANVIL={explicit} is not a working anvil binary",
                fix="point HKTOKEN_ANVIL at Foundry's anvil, or unset it to use the pinned one",
            )
        return Tool("anvil", version, Path(explicit), "env HKTOKEN_ANVIL")
    on_path = shutil.which("anvil")
    if on_path:
        version = _tool_version([on_path])
        if version:
            return Tool("anvil", version, Path(on_path), "PATH")
    binary = node_modules() / _anvil_npm_package() / "bin" / "anvil"
    if _executable(binary):
        version = _tool_version([str(binary)])
        if version:
            return Tool("anvil", version, binary, "npm")
    raise ToolchainError(
        "anvil was not found ($HKTOKEN_ANVIL, PATH, or the pinned npm package)",
        fix="run `hktoken toolchain install` (needs Node.js 20+), or install Foundry's anvil",
    )


def find_openzeppelin() -> Tool:
    """OpenZeppelin Contracts from the pinned npm install."""
    package_dir = node_modules() / OPENZEPPELIN_PACKAGE
    version = _npm_package_version(package_dir)
    if version is None:
        raise ToolchainError(
            f"OpenZeppelin Contracts was not found in {node_modules()}",
            fix="run `hktoken toolchain install`",
        )
    pinned = pins().openzeppelin
    if version != pinned:
        raise ToolchainError(
            f"OpenZeppelin Contracts {version} is installed in {node_modules()}, but {pinned} is pinned",
            fix="run `hktoken toolchain install`",
        )
    return Tool("openzeppelin", version, package_dir, "npm")


def find_solc() -> Tool:
    """A solc for standard-JSON compiles: explicit, native of the pinned version, else wasm via Node."""
    wanted = pins().solc
    explicit = os.environ.get("HKTOKEN_SOLC")
    if explicit:
        version = _tool_version([explicit]) if _executable(explicit) else None
        if version is None:
            raise ToolchainError(
                f"HKTOKEN_SOLC={explicit} is not a working solc binary",
                fix=f"point HKTOKEN_SOLC at a solc {wanted} binary, or unset it",
            )
        return Tool("solc", version, Path(explicit), "env HKTOKEN_SOLC")
    for candidate, source in _native_solc_candidates(wanted):
        if _tool_version([str(candidate)]) == wanted:
            return Tool("solc", wanted, candidate, source)
    return _wasm_solc(wanted)


def _native_solc_candidates(version: str) -> list[tuple[Path, str]]:
    candidates: list[tuple[Path, str]] = []
    solcx_dir = Path(os.environ.get("SOLCX_BINARY_PATH") or Path.home() / ".solcx")
    installed = solcx_dir / f"solc-v{version}"
    if _executable(installed):
        candidates.append((installed, "py-solc-x"))
    on_path = shutil.which("solc")
    if on_path:
        candidates.append((Path(on_path), "PATH"))
    return candidates


def _wasm_solc(wanted: str) -> Tool:
    module_dir = node_modules() / SOLC_PACKAGE
    version = _npm_package_version(module_dir)
    if version is None:
        raise ToolchainError(
            f"no solc {wanted} found (no native solc, and the npm wasm build is not installed)",
            fix="run `hktoken toolchain install` (needs Node.js 20+), or set HKTOKEN_SOLC to a native solc",
        )
    if version != wanted:
        raise ToolchainError(
            f"the npm solc is {version}, but {wanted} is pinned", fix="run `hktoken toolchain install`"
        )
    node = find_node()
    launcher = _write_shim_launcher(node.path, module_dir, version)
    return Tool("solc", version, launcher, "npm (wasm)", command=(str(launcher),))


def _write_shim_launcher(node: Path, module_dir: Path, version: str) -> Path:
    """py-solc-x needs one executable path: write a tiny launcher for the Node shim (idempotent)."""
    shim = PACKAGE_DIR / "solc_shim.js"
    body = (
        "#!/bin/sh\n"
        f"HKTOKEN_SOLCJS={shlex.quote(str(module_dir))} "
        f'exec {shlex.quote(str(node))} {shlex.quote(str(shim))} "$@"\n'
    )
    digest = hashlib.sha256(body.encode()).hexdigest()[:10]
    launcher = cache_dir() / "bin" / f"solc-wasm-{version}-{digest}"
    if not (launcher.is_file() and launcher.read_text() == body):
        launcher.parent.mkdir(parents=True, exist_ok=True)
        tmp = launcher.with_suffix(".tmp")
        tmp.write_text(body)
        tmp.chmod(0o755)
        tmp.replace(launcher)
    return launcher


def install(*, quiet: bool = False) -> Path:
    """Install the pinned npm toolchain with ``npm ci``; returns the folder it went into."""
    target = install_dir()
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise ToolchainError("Node.js/npm was not found on PATH", fix=_NODE_FIX)
    if _checkout_root() != target:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PACKAGE_DIR / "_npm" / name, target / name)
    argv = [npm, "ci", "--no-audit", "--no-fund"]
    result = subprocess.run(argv, cwd=target, capture_output=quiet, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise ToolchainError(
            f"`npm ci` failed in {target}" + (f" ({detail[0]})" if detail else ""),
            fix="check that the npm registry is reachable, then run `hktoken toolchain install` again",
        )
    return target
