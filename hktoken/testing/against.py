"""Run pytest against a node started for the run, then always stop it.

    python -m hktoken.testing.against hardhat [--block-time S] -- tests/compliance -q
    python -m hktoken.testing.against anvil --block-time 1 -- tests/compliance/test_rules.py

The node listens on 127.0.0.1 on a free port; pytest runs in a child process with the plugin's
``--hktoken-rpc-url``/``--hktoken-chain-id`` pointing at it, and the node is stopped when pytest ends,
fails or is interrupted. The exit code is pytest's.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

from hktoken.chain.anvil import DEFAULT_CHAIN_ID, Anvil
from hktoken.chain.hardhat import HardhatNode
from hktoken.errors import HKTokenError

NODES = ("anvil", "hardhat")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hktoken.testing.against",
        description="Run pytest (arguments after --) against a node started for the run.",
    )
    parser.add_argument("node", choices=NODES, help="which node to start")
    parser.add_argument("--block-time", type=float, default=None, help="mine on a timer (seconds) instead of per tx")
    return parser


def start_node(kind: str, block_time: float | None) -> Anvil | HardhatNode:
    """Start the named node (the caller stops it)."""
    node: Anvil | HardhatNode = (
        HardhatNode(block_time=block_time) if kind == "hardhat" else Anvil(block_time=block_time)
    )
    node.start()
    return node


def run(kind: str, pytest_args: Sequence[str], *, block_time: float | None = None) -> int:
    """Start ``kind``, run pytest against it, stop it; returns pytest's exit code."""
    started = time.monotonic()
    node = start_node(kind, block_time)
    try:
        mode = f"interval mining every {block_time:g}s" if block_time else "automine"
        print(f"hktoken: {kind} ({mode}) at {node.url}, ready in {time.monotonic() - started:.1f}s", flush=True)
        argv = [
            sys.executable, "-m", "pytest",
            f"--hktoken-rpc-url={node.url}", f"--hktoken-chain-id={DEFAULT_CHAIN_ID}",
            *pytest_args,
        ]  # fmt: skip
        return subprocess.run(argv, check=False).returncode
    finally:
        node.stop()


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through run(): pytest's process is killed, the node stopped


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    words = list(sys.argv[1:] if argv is None else argv)
    ours, pytest_args = (words[: words.index("--")], words[words.index("--") + 1 :]) if "--" in words else (words, [])
    args = _parser().parse_args(ours)
    try:
        return run(args.node, pytest_args, block_time=args.block_time)
    except HKTokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
