"""How a command names a contract: ``--token`` / ``--registry`` take a 0x address, or ``SPEC-NAME.CONTRACT`` (a
contract of a deployment manifest written by ``hktoken deploy``). Every command resolves through :func:`resolve`, so
manifest names resolve here, in :func:`_from_manifest`, and nowhere else.

The syntax is checked before the node is reached (a malformed reference sends nothing and connects to nothing);
the contract at the address is then checked to be of the kind the option names (``Wrapper.at``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import click
from eth_typing import ChecksumAddress

from hktoken.chain.connection import Chain
from hktoken.cli.options import Session
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import RWAToken
from hktoken.deployment.lookup import lookup
from hktoken.deployment.session import genesis_hash
from hktoken.errors import SpecError
from hktoken.models.common import to_address

F = TypeVar("F", bound=Callable[..., Any])

_NAME = re.compile(r"(?P<spec>[A-Za-z0-9][A-Za-z0-9_-]*)\.(?P<contract>[A-Za-z][A-Za-z0-9_-]*)")
METAVAR = "ADDRESS|SPEC.CONTRACT"


class Kind(StrEnum):
    """What an option names; its value is the option's name in messages."""

    TOKEN = "token"
    REGISTRY = "registry"
    DVP = "dvp"


def check_ref(ref: str, kind: Kind) -> None:
    """SpecError for a reference that is neither an address nor ``SPEC-NAME.CONTRACT`` (no node needed)."""
    if ref.lower().startswith("0x"):
        to_address(ref, what=f"--{kind}")
    elif not _NAME.fullmatch(ref):
        raise SpecError(
            f"--{kind} {ref!r} is neither an address nor a SPEC-NAME.CONTRACT name",
            fix="pass 0x followed by 40 hex digits, or a manifest name such as hk-green-bond.bond",
        )


def resolve(session: Session, ref: str, kind: Kind) -> ChecksumAddress:
    """The address ``ref`` names on the session's chain."""
    check_ref(ref, kind)
    if ref.lower().startswith("0x"):
        return to_address(ref, what=f"--{kind}")
    match = _NAME.fullmatch(ref)
    assert match is not None  # check_ref accepted it
    return _from_manifest(session.chain, match["spec"], match["contract"], kind)


def _from_manifest(chain: Chain, spec: str, contract: str, kind: Kind) -> ChecksumAddress:
    """The address the deployment manifest of ``spec`` (written by ``hktoken deploy`` under the current folder)
    recorded for ``contract`` on ``chain``: the one place manifest names resolve."""
    try:
        return lookup(f"{spec}.{contract}", Path.cwd(), chain.chain_id, genesis_hash(chain))
    except SpecError as exc:
        raise SpecError(f"--{kind} {spec}.{contract}: {exc.message}", fix=exc.fix) from exc


def token_at(session: Session, ref: str) -> RWAToken:
    """The security token ``ref`` names: RWAToken or any asset token on RWATokenBase (ERC-7943 checked)."""
    return RWAToken.at(session.chain, resolve(session, ref, Kind.TOKEN))


def registry_at(session: Session, ref: str) -> InvestorRegistry:
    """The investor registry ``ref`` names (IInvestorRegistry checked)."""
    return InvestorRegistry.at(session.chain, resolve(session, ref, Kind.REGISTRY))


def _checked(kind: Kind) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            check_ref(value, kind)
        return value

    return callback


def token_option(function: F) -> F:
    """``--token ADDRESS|SPEC.CONTRACT`` (required)."""
    return click.option(
        "--token",
        "token_ref",
        required=True,
        metavar=METAVAR,
        callback=_checked(Kind.TOKEN),
        help="The security token: its address, or SPEC-NAME.CONTRACT from a deployment manifest.",
    )(function)


def registry_option(*, required: bool = True, help: str | None = None) -> Callable[[F], F]:
    """``--registry ADDRESS|SPEC.CONTRACT``."""

    def decorate(function: F) -> F:
        return click.option(
            "--registry",
            "registry_ref",
            required=required,
            default=None,
            metavar=METAVAR,
            callback=_checked(Kind.REGISTRY),
            help=help or "The investor registry: its address, or SPEC-NAME.CONTRACT from a deployment manifest.",
        )(function)

    return decorate
