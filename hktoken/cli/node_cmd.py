"""``hktoken node``: a local anvil node on 127.0.0.1:8545 that runs until Ctrl-C and leaves no process behind;
with ``--state FILE`` the chain survives between runs (anvil's own state load and dump)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from hktoken.chain.anvil import DEFAULT_CHAIN_ID, Anvil
from hktoken.errors import ChainError, SpecError

STATE_INTERVAL_SECONDS = 30  # a node killed without warning loses at most this much of its chain


@click.command("node")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8545,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Load the chain from FILE if it exists, and save it there on exit (and every 30 s).",
)
@click.option("--chain-id", type=click.IntRange(min=1), default=DEFAULT_CHAIN_ID, show_default=True)
@click.option(
    "--accounts", type=click.IntRange(1, 100), default=10, show_default=True, help="Number of funded dev accounts."
)
@click.option(
    "--block-time",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Mine every N seconds instead of on each transaction.",
)
def node_command(port: int, chain_id: int, accounts: int, block_time: float | None, state_file: Path | None) -> None:
    """Start a local anvil node, print its URL and dev accounts, and stop it on Ctrl-C."""
    extra: tuple[str, ...] = ()
    if state_file is not None:
        if not state_file.parent.is_dir():
            raise SpecError(f"--state {state_file}: folder {state_file.parent} does not exist", fix="create it first")
        extra = ("--state", str(state_file), "--state-interval", str(STATE_INTERVAL_SECONDS))
    resumed = state_file is not None and state_file.is_file()
    stop = threading.Event()

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    node = Anvil(port=port, chain_id=chain_id, accounts=accounts, block_time=block_time, extra_args=extra)
    try:
        node.start()
        click.echo(f"anvil {node.url} (chain id {chain_id})")
        if state_file is not None:
            block = node.chain.w3.eth.block_number if node.chain is not None else 0
            loaded = f"loaded from {state_file}, block {block}" if resumed else str(state_file)
            click.echo(f"state: {loaded}; saved there on exit")
        click.echo("dev accounts (10,000 ETH each; keys derive from anvil's public test mnemonic):")
        for index, account in enumerate(node.accounts):
            click.echo(f"  ({index}) {account.address}")
        click.echo("press Ctrl-C to stop", nl=True)
        sys.stdout.flush()
        while not stop.wait(0.5):
            if not node.running:
                raise ChainError("anvil exited unexpectedly", fix="run `hktoken node` again")
        click.echo("stopping anvil")
    finally:
        node.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
