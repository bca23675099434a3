"""Options shared by the commands that talk to a node and sign (defined once: ``@node_options``,
``@signer_options``), and what they resolve to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from eth_account.signers.local import LocalAccount

from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import DEFAULT_KEY_ENV
from hktoken.cli.network_cmd import DEFAULT_PASSWORD_ENV, _load_signer

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
F = TypeVar("F", bound=Callable[..., Any])


def node_options(command: F) -> F:
    """``--rpc-url`` (default: a local ``hktoken node`` on 8545) and ``--chain-id``."""
    command = click.option(
        "--chain-id", type=click.IntRange(min=1), default=None, help="Fail unless the node is on this chain."
    )(command)
    return click.option(
        "--rpc-url",
        default=DEFAULT_RPC_URL,
        show_default=True,
        help="The node's HTTP(S) JSON-RPC URL (`hktoken node --port 8545` starts a local one).",
    )(command)


def signer_options(command: F) -> F:
    """``--private-key-env NAME`` or ``--keystore FILE`` (with ``--password-env``): transactions are signed here."""
    command = click.option(
        "--password-env",
        default=DEFAULT_PASSWORD_ENV,
        show_default=True,
        help="Variable holding the keystore password (else you are prompted).",
    )(command)
    command = click.option(
        "--keystore",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Encrypted JSON keystore file (else the key in --private-key-env).",
    )(command)
    return click.option(
        "--private-key-env",
        default=DEFAULT_KEY_ENV,
        show_default=True,
        help="Variable holding the hex private key that signs.",
    )(command)


def open_chain(rpc_url: str, chain_id: int | None) -> Chain:
    """The node named by ``@node_options`` (one clear line when nothing listens there)."""
    return connect(rpc_url, expected_chain_id=chain_id)


def load_signer(private_key_env: str, keystore: Path | None, password_env: str) -> LocalAccount:
    """The signer named by ``@signer_options``."""
    return _load_signer(keystore, private_key_env, password_env)
