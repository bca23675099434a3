"""``hktoken captable``, ``hktoken audit`` and ``hktoken reconcile``: the reports of :mod:`hktoken.reports`
(rebuilt from events; nothing is ever sent), as readable tables, CSV or JSON."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import click

from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session
from hktoken.cli.refs import registry_at, registry_option, token_at, token_option
from hktoken.cli.status_cmd import section_for, token_abi
from hktoken.errors import SpecError
from hktoken.models.common import chain_time
from hktoken.reports import Source, audit_rows, build_cap_table, read_ledger, reconcile, write_audit, write_audit_file
from hktoken.reports.captable import deployment_block

_BLOCK = click.IntRange(min=0)


@click.command("captable")
@click.option("--at-block", type=_BLOCK, default=None, help="The record date as a block (default: the latest).")
@token_option
@node_options
@json_option
@pass_session
def captable_command(session: Session, token_ref: str, at_block: int | None) -> None:
    """Holders per investor and per wallet, omnibus accounts marked: rebuilt from the Transfer events and
    checked against balanceOf at the block."""
    token = token_at(session, token_ref)
    with display.progress(f"reading the Transfer events of {token.symbol} (blocks)", total=0) as bar:
        table = build_cap_table(token, at_block=at_block, on_progress=display.blocks_read(bar))
    header = (
        f"cap table of {table.symbol} ({table.token}) at block {table.block} "
        f"({display.when(chain_time(table.timestamp))})"
        f": {display.amount(table.total_supply, table.symbol)} held by {table.investor_count} investor"
        + ("s" if table.investor_count != 1 else "")
        + f"; {display.plural(table.transfers_replayed, 'transfer')} replayed, every balance checked against balanceOf"
    )
    rows = []
    for holder in table.holders:
        name = holder.investor_id if holder.investor_id is not None else "(not in the registry)"
        name += " *" if holder.omnibus else ""
        share = f"{(holder.share * 100).quantize(Decimal('0.01'))}%"
        if len(holder.wallets) == 1:
            rows.append([name, holder.wallets[0].wallet, display.amount(holder.balance), share])
            continue
        rows.append([name, f"{len(holder.wallets)} wallets", display.amount(holder.balance), share])
        rows += [["", f"  {w.wallet}", display.amount(w.balance), ""] for w in holder.wallets]
    parts = [header]
    if rows:
        parts += ["", display.table(["investor", "wallet", "balance", "share"], rows, right=["balance", "share"])]
    if any(h.omnibus for h in table.holders):
        parts.append("* omnibus account (an intermediary's pooled holding for its clients)")
    session.emit("\n".join(parts), table.as_dict())


@click.command("audit")
@click.option(
    "--from-block", type=_BLOCK, default=None, help="First block (default: where the first contract was deployed)."
)
@click.option("--to-block", type=_BLOCK, default=None, help="Last block (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE (default: standard output).",
)
@registry_option(required=False, help="Also export this registry's events (KYC changes).")
@token_option
@node_options
@pass_session
def audit_command(
    session: Session,
    token_ref: str,
    registry_ref: str | None,
    from_block: int | None,
    to_block: int | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Every transfer and administrative event of the token (and of a registry): block, time, transaction,
    actor, the decoded event and its amounts in token units."""
    if out is not None and not out.parent.is_dir():
        raise SpecError(f"--out {out}: folder {out.parent} does not exist", fix="create it first")
    token = token_at(session, token_ref)
    section = section_for(token)
    abi = token_abi(token, section)
    label = section.kind if section is not None else token.artifact_name
    contract = session.chain.w3.eth.contract(address=token.address, abi=abi)
    sources = [Source(label, contract, abi, token.decimals)]
    if registry_ref is not None:
        sources.append(Source.of(registry_at(session, registry_ref)))
    latest = session.chain.w3.eth.block_number
    last = latest if to_block is None else to_block
    if from_block is None and last <= latest:
        from_block = min(deployment_block(session.chain, s.contract.address, last) for s in sources)
    from_block = from_block or 0
    if last > latest or from_block > last:
        raise SpecError(
            f"blocks {from_block}..{last} are not on chain (latest {latest})",
            fix="give --from-block <= --to-block <= the latest block",
        )
    with display.progress(f"reading the events of blocks {from_block}..{last}", total=last - from_block + 1) as bar:
        rows = audit_rows(
            session.chain, sources, from_block=from_block, to_block=last, on_progress=display.blocks_read(bar)
        )
    if out is None:
        buffer = io.StringIO()
        write_audit(rows, buffer, fmt=fmt)
        click.echo(buffer.getvalue(), nl=False)
        return
    write_audit_file(rows, out, fmt=fmt)
    events = f"{len(rows)} event" + ("s" if len(rows) != 1 else "")
    click.echo(f"wrote {events} of blocks {from_block}..{last} to {out} ({fmt})")


@click.command("reconcile")
@click.argument("ledger", metavar="LEDGER.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--investor", "investor_id", metavar="ID", required=True, help="The omnibus investor whose sub-ledger this is."
)
@click.option("--at-block", type=_BLOCK, default=None, help="Check at this block (default: the latest).")
@token_option
@node_options
@json_option
@pass_session
def reconcile_command(session: Session, token_ref: str, ledger: Path, investor_id: str, at_block: int | None) -> None:
    """Check a custodian's client sub-ledger (CSV: client_id,amount[,wallet]) against the investor's on-chain
    balances; exit 1 when they differ, listing every difference."""
    token = token_at(session, token_ref)
    entries = read_ledger(ledger, token.decimals)
    latest = session.chain.w3.eth.block_number
    if at_block is not None and at_block > latest:
        raise SpecError(f"block {at_block} is not mined yet (latest {latest})", fix="give a mined block")
    result = reconcile(token, investor_id, entries, at_block=at_block)
    symbol = token.symbol
    lines = [
        f"reconciliation of {investor_id}'s sub-ledger {ledger} ({len(entries)} positions) against {symbol} at block "
        f"{result.block}",
        display.fields(
            [
                ("  ledger total", display.amount(result.ledger_total, symbol)),
                ("  on-chain total", display.amount(result.on_chain_total, symbol)),
                ("  difference", display.amount(result.difference, symbol)),
            ]
        ),
    ]
    problems = [
        f"  wallet {d.wallet}: ledger {display.amount(d.ledger)}, on chain {display.amount(d.on_chain)}, "
        f"difference {display.amount(d.difference)}"
        for d in result.differences
    ]
    problems += [f"  client {c} is listed more than once" for c in result.duplicate_clients]
    if result.difference != 0:
        side = "more" if result.difference > 0 else "less"
        problems.insert(
            0, f"  total: the books show {display.amount(abs(result.difference), symbol)} {side} than the chain holds"
        )
    if result.matches:
        lines.append("result: the sub-ledger matches the chain")
    else:
        lines.append(f"result: {len(problems)} difference" + ("s" if len(problems) != 1 else ""))
        lines += problems
    session.emit("\n".join(lines), result.as_dict())
    if not result.matches:
        raise SystemExit(1)
