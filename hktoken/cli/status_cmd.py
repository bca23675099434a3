"""``hktoken status``: what a security token is and who runs it: terms, supply, treasury, pause, rules, role holders
(rebuilt from its RoleGranted/RoleRevoked events and confirmed with hasRole) and holders.

Works on any token on RWATokenBase. An asset token adds its own lines (a bond's coupon schedule, a gold token's
reserve, a fund's NAV) by registering a :class:`StatusSection` for its kind: ``register_status_section(...)`` in its
command module; the first section whose ``detect`` accepts the token adds its lines after the core ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from web3 import Web3

from hktoken.abi import role_id, role_names
from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session
from hktoken.cli.refs import token_at, token_option
from hktoken.cli.token_cmd import rules_data, rules_lines
from hktoken.contracts.token import RWAToken
from hktoken.errors import ChainError
from hktoken.reports.calls import call_many
from hktoken.reports.captable import deployment_block
from hktoken.reports.logs import fetch_logs

ROLE_GRANTED = HexStr("0x" + keccak(text="RoleGranted(bytes32,address,address)").hex())
ROLE_REVOKED = HexStr("0x" + keccak(text="RoleRevoked(bytes32,address,address)").hex())
BASE_KIND = "SecurityToken"


@dataclass(frozen=True)
class StatusSection:
    """An asset token's own part of ``hktoken status``: ``detect`` says whether a token is of ``kind`` (an ERC-165
    interface, usually), ``lines`` gives its ``(label, value)`` lines (also shown under ``kind`` with ``--json``)."""

    kind: str
    detect: Callable[[RWAToken], bool]
    lines: Callable[[RWAToken], list[tuple[str, str]]]


STATUS_SECTIONS: list[StatusSection] = []


def register_status_section(section: StatusSection) -> None:
    """Add (or replace, by kind) the status lines of an asset token kind."""
    STATUS_SECTIONS[:] = [s for s in STATUS_SECTIONS if s.kind != section.kind] + [section]


def section_for(token: RWAToken) -> StatusSection | None:
    """The registered section of ``token``'s kind, if any."""
    return next((s for s in STATUS_SECTIONS if s.detect(token)), None)


def token_abi(token: RWAToken, section: StatusSection | None) -> list[dict[str, Any]]:
    """The ABI to read ``token`` with: its kind's artifact when the section names a shipped one (so an asset token's
    own events and roles are decoded), else the base token's."""
    if section is not None and section.kind in token.chain.artifacts.names():
        return token.chain.artifacts.get(section.kind).abi
    return token.artifact.abi


@dataclass(frozen=True)
class RoleHolders:
    """Who holds each role, and how that was found out."""

    holders: dict[str, list[ChecksumAddress]]
    source: str


def role_holders(token: RWAToken, block: int, abi: list[dict[str, Any]] | None = None) -> RoleHolders:
    """Every account holding a role at ``block``: replayed from RoleGranted/RoleRevoked events since the token's
    deployment, each confirmed with hasRole. A node that serves no logs falls back to hasRole over the accounts
    the token names itself (its treasury)."""
    chain = token.chain
    names = {role_id(n): n for n in role_names([*token.artifact.abi, *(abi or [])])}
    try:
        start = deployment_block(chain, token.address, block)
        logs = sorted(
            fetch_logs(chain, [token.address], start, block, topics=[ROLE_GRANTED])
            + fetch_logs(chain, [token.address], start, block, topics=[ROLE_REVOKED]),
            key=lambda log: (log["blockNumber"], log["logIndex"]),
        )
        source = "RoleGranted/RoleRevoked events, confirmed with hasRole"
    except ChainError:
        logs, source = [], "hasRole over the treasury (the node serves no logs)"
    held: dict[tuple[bytes, ChecksumAddress], bool] = {}
    for log in logs:
        role = bytes(log["topics"][1])
        account = Web3.to_checksum_address(bytes(log["topics"][2])[-20:])
        held[(role, account)] = "0x" + bytes(log["topics"][0]).hex() == ROLE_GRANTED
    if not logs:
        treasury = token.treasury()
        held = {(role, treasury): True for role in names}
    candidates = [key for key, granted in held.items() if granted]
    confirmed = call_many(chain, token.contract, "hasRole", [[r, a] for r, a in candidates], block)
    holders: dict[str, list[ChecksumAddress]] = {name: [] for name in sorted(names.values())}
    for (role, account), has in zip(candidates, confirmed, strict=True):
        if has:
            holders.setdefault(names.get(role, "0x" + role.hex()), []).append(account)
    return RoleHolders({k: sorted(v) for k, v in holders.items()}, source)


@click.command("status")
@token_option
@node_options
@json_option
@pass_session
def status_command(session: Session, token_ref: str) -> None:
    """A token's terms, supply, treasury, pause, rules, role holders and holders (plus its asset's own lines)."""
    token = token_at(session, token_ref)
    block = session.chain.w3.eth.block_number
    section = section_for(token)
    kind = section.kind if section else BASE_KIND
    supply = token.total_supply()
    rules = token.rules()
    roles = role_holders(token, block, token_abi(token, section))
    holders = token.holder_count()
    treasury = token.treasury()
    registry = Web3.to_checksum_address(token.raw.registry())
    paused = token.paused()
    documents = token.documents()
    lines = [
        ("token", f"{token.name} ({token.symbol}) at {token.address}"),
        ("kind", kind),
        ("block", str(block)),
        ("decimals", str(token.decimals)),
        ("supply", display.amount(supply, token.symbol)),
        ("treasury", treasury),
        ("registry", registry),
        ("paused", display.yes_no(paused)),
        ("holders", display.plural(holders, "investor")),
        ("documents", ", ".join(documents) or "none"),
    ]
    extra = section.lines(token) if section else []
    rule_part = display.fields([(f"  {k}", v) for k, v in rules_lines(rules)])
    role_part = display.fields([(f"  {r}", ", ".join(a) or "nobody") for r, a in roles.holders.items()])
    text = "\n".join(
        [
            display.fields(lines + extra),
            "rules",
            rule_part,
            f"roles (from {roles.source})",
            role_part,
        ]
    )
    data: dict[str, Any] = {
        "token": token.address,
        "name": token.name,
        "symbol": token.symbol,
        "kind": kind,
        "block": block,
        "decimals": token.decimals,
        "supply": display.amount(supply),
        "treasury": treasury,
        "registry": registry,
        "paused": paused,
        "holders": holders,
        "documents": documents,
        "rules": rules_data(rules),
        "roles": roles.holders,
        "roles_source": roles.source,
    }
    if section is not None:
        data[section.kind] = dict(extra)
    session.emit(text, data)
