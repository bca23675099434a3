"""The options every chain-facing command shares, defined once: the node (``--rpc-url``, ``--chain-id``), the
signer (``--private-key-env`` or ``--keystore`` with ``--password-env``) and ``--json`` for scripts.

A command takes them with ``@node_options`` / ``@signer_options`` / ``@json_option`` and receives one
:class:`Session` (``session`` parameter) that connects and loads the key only when first asked, so a command that
fails validation sends nothing and never even reaches the node.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import click
from eth_account.signers.local import LocalAccount

from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import DEFAULT_KEY_ENV, signer_from_env, signer_from_keystore
from hktoken.errors import SignerError

DEFAULT_RPC_URL = "http://127.0.0.1:8545"  # `hktoken node`
DEFAULT_PASSWORD_ENV = "HKTOKEN_KEYSTORE_PASSWORD"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Session:
    """What the shared options name: a node, and (for commands that send) a signer, both loaded lazily."""

    rpc_url: str = DEFAULT_RPC_URL
    chain_id: int | None = None
    key_env: str = DEFAULT_KEY_ENV
    keystore: Path | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    as_json: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def chain(self) -> Chain:
        """The node, checked to be on ``--chain-id`` when given."""
        return connect(self.rpc_url, expected_chain_id=self.chain_id)

    @cached_property
    def signer(self) -> LocalAccount:
        """The account that signs: the key in ``--private-key-env``, or ``--keystore``."""
        return load_signer(self.keystore, self.key_env, self.password_env)

    def emit(self, text: str, data: Any) -> None:
        """Print ``text`` for people, or ``data`` as one JSON object with ``--json``."""
        if self.as_json:
            click.echo(json.dumps(data, default=str))
        else:
            click.echo(text)


def load_signer(keystore: Path | None, key_env: str, password_env: str = DEFAULT_PASSWORD_ENV) -> LocalAccount:
    """The signer named by the options: a keystore (password from ``password_env``, else prompted in a terminal),
    or the hex key in environment variable ``key_env``."""
    if keystore is None:
        return signer_from_env(key_env)
    if not keystore.exists():  # before asking for a password the missing file would make useless
        raise SignerError(
            f"cannot read keystore {keystore} (No such file or directory)", fix="check the path and permissions"
        )
    password = os.environ.get(password_env)
    if password is None:
        if not sys.stdin.isatty():
            raise SignerError(
                f"no password for keystore {keystore}",
                fix=f"set {password_env}, or run in a terminal to be prompted",
            )
        password = click.prompt(f"password for {keystore}", hide_input=True)
    return signer_from_keystore(keystore, password)


def _session(ctx: click.Context) -> Session:
    found = ctx.find_object(Session)
    if found is None:
        found = ctx.ensure_object(Session)
    return found


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            setattr(_session(ctx), name, value)
        return value

    return callback


def node_options(function: F) -> F:
    """``--rpc-url`` (default: a local ``hktoken node``) and ``--chain-id``."""
    function = click.option(
        "--chain-id",
        type=click.IntRange(min=1),
        default=None,
        expose_value=False,
        callback=_store("chain_id"),
        help="Fail unless the node is on this chain.",
    )(function)
    return click.option(
        "--rpc-url",
        default=DEFAULT_RPC_URL,
        show_default=True,
        expose_value=False,
        callback=_store("rpc_url"),
        help="The node's HTTP(S) JSON-RPC URL.",
    )(function)


def signer_options(function: F) -> F:
    """``--private-key-env NAME`` or ``--keystore FILE`` (with ``--password-env``): who signs."""
    function = click.option(
        "--password-env",
        default=DEFAULT_PASSWORD_ENV,
        show_default=True,
        expose_value=False,
        callback=_store("password_env"),
        help="Variable holding the keystore password (else you are prompted).",
    )(function)
    function = click.option(
        "--keystore",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=_store("keystore"),
        help="Encrypted JSON keystore file (else the key in --private-key-env).",
    )(function)
    return click.option(
        "--private-key-env",
        default=DEFAULT_KEY_ENV,
        show_default=True,
        expose_value=False,
        callback=_store("key_env"),
        help="Variable holding the signer's hex private key.",
    )(function)


def json_option(function: F) -> F:
    """``--json``: one JSON object on stdout, for scripts."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        default=False,
        expose_value=False,
        callback=_store("as_json"),
        help="Print one JSON object instead of text.",
    )(function)


pass_session = click.make_pass_decorator(Session, ensure=True)
