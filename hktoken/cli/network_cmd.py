"""``hktoken ping``: check a JSON-RPC node; ``hktoken account``: show which address a key signs as."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import requests
from web3.exceptions import Web3Exception

from hktoken.chain.connection import connect
from hktoken.chain.signers import DEFAULT_KEY_ENV
from hktoken.cli.options import DEFAULT_PASSWORD_ENV, load_signer
from hktoken.units import from_base_units


@click.command("ping")
@click.option("--rpc-url", required=True, help="The node's HTTP(S) JSON-RPC URL.")
@click.option("--chain-id", type=click.IntRange(min=1), default=None, help="Fail unless the node is on this chain.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds.")
def ping_command(rpc_url: str, chain_id: int | None, timeout: float) -> None:
    """Check that a node answers, and on which chain."""
    chain = connect(rpc_url, expected_chain_id=chain_id, timeout=timeout)
    click.echo(f"{rpc_url}: chain id {chain.chain_id}, block {_optional(lambda: chain.w3.eth.block_number)}, "
               f"client {_optional(lambda: chain.w3.client_version)}")  # fmt: skip


def _optional(read: Callable[[], object]) -> str:
    """A detail some nodes do not serve (it must not turn a reachable node into a traceback)."""
    try:
        return str(read())
    except (Web3Exception, requests.RequestException):
        return "unknown"


@click.command("account")
@click.option(
    "--keystore",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Encrypted JSON keystore file (else the key in --key-env).",
)
@click.option("--key-env", default=DEFAULT_KEY_ENV, show_default=True, help="Variable holding a hex private key.")
@click.option(
    "--password-env",
    default=DEFAULT_PASSWORD_ENV,
    show_default=True,
    help="Variable holding the keystore password (else you are prompted).",
)
@click.option("--rpc-url", default=None, help="Also show the account's ether balance and nonce on this node.")
def account_command(keystore: Path | None, key_env: str, password_env: str, rpc_url: str | None) -> None:
    """Show the address a private key or keystore signs as (the key itself is never shown)."""
    signer = load_signer(keystore, key_env, password_env)
    line = f"address {signer.address}"
    if rpc_url:
        chain = connect(rpc_url)
        balance = from_base_units(chain.w3.eth.get_balance(signer.address), 18)
        nonce = chain.w3.eth.get_transaction_count(signer.address)
        line += f" on chain {chain.chain_id}: {balance.normalize():f} ETH, nonce {nonce}"
    click.echo(line)
