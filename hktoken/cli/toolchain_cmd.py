"""``hktoken toolchain``: show what was found; ``hktoken toolchain install``: install the pinned set."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from hktoken import toolchain
from hktoken.errors import ToolchainError

_FINDERS: list[tuple[str, Callable[[], toolchain.Tool]]] = [
    ("node", toolchain.find_node),
    ("solc", toolchain.find_solc),
    ("anvil", toolchain.find_anvil),
    ("forge", toolchain.find_forge),
    ("openzeppelin", toolchain.find_openzeppelin),
    ("hardhat", toolchain.find_hardhat),
    ("hardhat-node", toolchain.find_hardhat_node),
]


@click.group("toolchain", invoke_without_command=True)
@click.pass_context
def toolchain_group(ctx: click.Context) -> None:
    """Show the toolchain in use: each tool's version, path and where it was found."""
    if ctx.invoked_subcommand is not None:
        return
    pinned = toolchain.pins()
    click.echo(
        f"pinned: solc {pinned.solc}, OpenZeppelin {pinned.openzeppelin}, anvil {pinned.anvil}, forge {pinned.forge}, "
        f"Hardhat {pinned.hardhat} (Node.js {pinned.hardhat_node} for it)"
    )
    click.echo(f"npm toolchain folder: {toolchain.node_modules()}")
    missing: list[ToolchainError] = []
    for name, find in _FINDERS:
        try:
            tool = find()
        except ToolchainError as exc:
            click.echo(f"  {name:<13} not found")
            missing.append(exc)
            continue
        click.echo(f"  {name:<13} {tool.version:<10} {tool.path}  ({tool.source})")
    if missing:
        click.echo(f"error: {missing[0]}", err=True)
        sys.exit(1)


@toolchain_group.command("install")
def install_command() -> None:
    """Install the pinned solc (wasm), OpenZeppelin Contracts, anvil, forge and Hardhat with `npm ci`."""
    target = toolchain.install()
    click.echo(f"installed the pinned toolchain into {target / 'node_modules'}")
