"""What every example script shares: its command line, the chain it runs on, and how it fails.

Each example calls :func:`run_example` with its own ``run(chain, accounts)``. Copy this file beside an example
when you take one away.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from eth_account.signers.local import LocalAccount

from hktoken import Anvil, Chain, HKTokenError, connect, dev_accounts, signer_from_env

Story = Callable[[Chain, Sequence[LocalAccount]], None]


def parse_args(description: str, rpc_help: str, key_holder: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rpc-url", help=rpc_help)
    parser.add_argument(
        "--private-key-env", metavar="NAME", help=f"environment variable holding the {key_holder}'s key"
    )
    return parser.parse_args(argv)


@contextmanager
def open_chain(args: argparse.Namespace) -> Iterator[tuple[Chain, list[LocalAccount]]]:
    """Our own anvil and its accounts, or the node at ``--rpc-url`` with its dev accounts (the first account's
    key from ``--private-key-env`` when given)."""
    if args.rpc_url is None:
        node = Anvil()
        with node as chain:
            yield chain, node.accounts
        return
    accounts = dev_accounts()
    if args.private_key_env:
        accounts[0] = signer_from_env(args.private_key_env)
    yield connect(args.rpc_url), accounts


def run_example(
    run: Story,
    *,
    description: str,
    key_holder: str,
    rpc_help: str = "a node to use instead of starting anvil",
    argv: Sequence[str] | None = None,
) -> int:
    """Parse the command line, run ``run`` on its chain; a typed hktoken error is one line and exit status 1."""
    args = parse_args(description, rpc_help, key_holder, argv)
    try:
        with open_chain(args) as (chain, accounts):
            run(chain, accounts)
    except HKTokenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
