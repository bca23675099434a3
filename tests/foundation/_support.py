"""Helpers shared by the foundation tests: a tiny Solidity project, ports, processes, the CLI."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

PROBE_SOL = """\
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IExtraErrors} from "./IExtraErrors.sol";

/// A tiny ERC-20 for the foundation tests.
contract Coin is ERC20 {
    constructor(address holder, uint256 supply) ERC20("Coin", "COIN") {
        _mint(holder, supply);
    }
}

/// Reverts in every way the revert decoder has to understand.
contract Probe {
    error NotAllowed(address who, uint256 amount);
    error TransferRestricted(address from, address to, uint256 amount, uint8 code);
    error OnChainOnly(uint256 blockNumber);

    uint256 public counter;

    function bump() external {
        counter += 1;
    }

    function failCustom(address who, uint256 amount) external pure {
        revert NotAllowed(who, amount);
    }

    function failString() external pure {
        require(false, "probe says no");
    }

    function failPanic(uint256 divisor) external pure returns (uint256) {
        return 7 / divisor;
    }

    function failRestricted(address from, address to, uint256 amount, uint8 code) external pure {
        revert TransferRestricted(from, to, amount, code);
    }

    /// Reverts with an error that only IExtraErrors declares (it is not in this contract's ABI).
    function failInterfaceError(address account, uint256 id) external pure {
        bytes memory data = abi.encodeWithSelector(IExtraErrors.DeclaredElsewhere.selector, account, id);
        assembly {
            revert(add(data, 32), mload(data))
        }
    }

    function failUnknown() external pure {
        assembly {
            mstore(0, shl(224, 0xdeadbeef))
            revert(0, 4)
        }
    }

    function failEmpty() external pure {
        revert();
    }

    /// Bubbles up whatever the token reverts with (OpenZeppelin's ERC20 errors are not in this ABI).
    function callCoin(address coin, address to, uint256 amount) external {
        (bool ok, bytes memory data) = coin.call(abi.encodeCall(ERC20.transfer, (to, amount)));
        if (!ok) {
            assembly {
                revert(add(data, 32), mload(data))
            }
        }
    }

    /// Passes when simulated on the latest block, reverts once mined in the next one.
    function failOnChain(uint256 latest) external {
        counter += 1;
        if (block.number > latest) revert OnChainOnly(block.number);
    }
}
"""

IEXTRA_SOL = """\
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

interface IExtraErrors {
    error DeclaredElsewhere(address account, uint256 id);
}
"""

NOISY_SOL = """\
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

contract Noisy {
    function f() external pure returns (uint256) {
        uint256 unused;
        return 1;
    }
}
"""

PROBE_PROJECT = {
    "contracts/Probe.sol": PROBE_SOL,
    "contracts/IExtraErrors.sol": IEXTRA_SOL,
    "contracts/Noisy.sol": NOISY_SOL,
}

# anvil's first dev key (public test mnemonic): it must never be printed by hktoken.
DEV_KEY_0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ETH = 10**18


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; return root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_gone(pid: int) -> bool:
    """True when no process (not even a zombie) has ``pid``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def children_of(ppid: int) -> list[int]:
    """Pids whose parent is ``ppid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == ppid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def anvil_pids_with_arg(value: str) -> list[int]:
    """Pids of running anvil processes whose command line contains ``value``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = cmdline(int(entry.name))
            if argv and Path(argv[0]).name == "anvil" and value in argv:
                pids.append(int(entry.name))
    return pids


def cli_argv(*args: str) -> list[str]:
    """The real ``hktoken`` console entry point, run by this interpreter."""
    return [sys.executable, "-c", "from hktoken.cli import main; main()", *args]


def env_without_node(empty_dir: Path) -> dict[str, str]:
    """os.environ with a PATH that holds no node, npm or solc, and no native solc from py-solc-x."""
    env = dict(os.environ)
    env["PATH"] = str(empty_dir)
    env["SOLCX_BINARY_PATH"] = str(empty_dir)
    env.pop("HKTOKEN_SOLC", None)
    env.pop("HKTOKEN_ANVIL", None)
    return env
