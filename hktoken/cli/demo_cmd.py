"""``hktoken demo``: one asset's whole lifecycle on chain, told as a story (the stories live in
:mod:`hktoken.demo`; this module only picks the node and the signers, and prints the result).

By default the demo starts its own anvil on 127.0.0.1 (a free port) and always stops it. With ``--rpc-url`` it runs
on that node, which must be a dev node (anvil or Hardhat's), since every story moves the clock: the node's dev
accounts sign when the default mnemonic's first account is funded there, else the key in ``--private-key-env``
(or ``--keystore``) is the admin and the other parties are accounts derived from it, given gas money on the node.
"""

from __future__ import annotations

import time
from decimal import Decimal

import click
from click.core import ParameterSource

from hktoken.chain.anvil import DEFAULT_CHAIN_ID, Anvil
from hktoken.chain.connection import Chain
from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.demo import STORIES, Cast, Story, derived_cast, dev_cast, dev_cast_available, run_story
from hktoken.demo.story import ROLES, require_time_travel, units
from hktoken.errors import SignerError
from hktoken.models.common import chain_time
from hktoken.reports.captable import CapTable


@click.command("demo")
@click.option(
    "--asset",
    type=click.Choice(list(STORIES)),
    default="bond",
    show_default=True,
    help="Which lifecycle: the HK green bond, tokenized gold, or an ETF share class.",
)
@node_options
@signer_options
@json_option
@pass_session
@click.pass_context
def demo_command(ctx: click.Context, session: Session, asset: str) -> None:
    """Run one asset's whole lifecycle on chain and tell it step by step, with each step's gas, then the cap table.

    Without --rpc-url it starts (and always stops) its own anvil; with --rpc-url it runs on that dev node."""
    started = time.monotonic()
    if ctx.get_parameter_source("rpc_url") in (ParameterSource.DEFAULT, None):
        node = "an embedded anvil"
        anvil = Anvil(accounts=len(ROLES), chain_id=session.chain_id or DEFAULT_CHAIN_ID)
        with anvil as chain, display.progress(f"running the {asset} demo on anvil"):
            story = run_story(asset, chain, dev_cast())
    else:
        chain = session.chain
        node = chain.rpc_url
        require_time_travel(chain)  # before a key is even read: nothing is sent to a node that cannot do it
        with display.progress(f"running the {asset} demo on {chain.rpc_url}"):
            story = run_story(asset, chain, _cast(ctx, session, chain))
    seconds = time.monotonic() - started
    if session.as_json:
        session.emit("", {**story.as_dict(), "node": node, "seconds": round(seconds, 2)})
    else:
        click.echo(render(story, node, seconds))


for _param in demo_command.params:  # the shared option, told what its absence means here
    if _param.name == "rpc_url" and isinstance(_param, click.Option):
        _param.show_default = False
        _param.help = "Run on this dev node's HTTP(S) JSON-RPC URL (default: an embedded anvil, started and stopped)."
    if _param.name == "chain_id" and isinstance(_param, click.Option):
        _param.help = "Fail unless the node is on this chain (the embedded anvil then uses it)."


def _cast(ctx: click.Context, session: Session, chain: Chain) -> Cast:
    """The node's dev accounts when they are funded there and no key was named, else the named key as admin."""
    key_named = ctx.get_parameter_source("private_key_env") not in (ParameterSource.DEFAULT, None)
    named = key_named or session.keystore is not None
    if not named and dev_cast_available(chain):
        return dev_cast()
    admin = session.signer
    if int(chain.w3.eth.get_balance(admin.address)) == 0:
        raise SignerError(
            f"the admin {admin.address} has no ether on {chain.rpc_url} to pay for gas",
            fix="fund it first (the demo needs a few ether on a dev node)",
        )
    return derived_cast(chain, admin)


def render(story: Story, node: str, seconds: float) -> str:
    """The story as people read it: chapters, each step with its gas and transaction, the cap tables, a summary."""
    lines = [f"hktoken demo: {story.title}", f"on {node} (chain id {story.chain_id})"]
    chapter = None
    for step in story.steps:
        if step.chapter != chapter:
            chapter = step.chapter
            lines += ["", chapter]
        lines.append(f"  - {step.what}")
        if not step.transactions:
            lines.append("      nothing sent")
        elif len(step.transactions) == 1:
            lines.append(f"      gas {step.gas:,}  tx {step.tx_hash}")
        else:
            lines.append(f"      gas {step.gas:,} in {len(step.transactions)} transactions, last tx {step.tx_hash}")
    titles = {"before_redemption": "Cap table just before redemption", "final": "Final cap table"}
    for name, table in story.cap_tables.items():
        lines += ["", render_cap_table(titles.get(name, f"Cap table ({name})"), table)]
    lines += [
        "",
        f"{display.plural(story.transaction_count, 'transaction')}, {story.gas:,} gas in all; done in {seconds:.1f} s",
    ]
    return "\n".join(lines)


def render_cap_table(title: str, table: CapTable) -> str:
    """A cap table as the ``captable`` command shows it, under ``title``."""
    header = (
        f"{title}: {table.symbol} at block {table.block} ({display.when(chain_time(table.timestamp))}), "
        f"{units(table.total_supply, table.symbol)} held by {display.plural(table.investor_count, 'investor')}"
        f"; {display.plural(table.transfers_replayed, 'transfer')} replayed, every balance checked against balanceOf"
    )
    if not table.holders:
        return f"{header}\n  no holders: the supply is 0"
    rows = []
    for holder in table.holders:
        name = (holder.investor_id or "(not in the registry)") + (" *" if holder.omnibus else "")
        share = f"{(holder.share * 100).quantize(Decimal('0.01'))}%"
        for n, wallet in enumerate(holder.wallets):
            rows.append(
                [name if n == 0 else "", wallet.wallet, units(wallet.balance, "").rstrip(), share if n == 0 else ""]
            )
    parts = [header, "", display.table(["investor", "wallet", "balance", "share"], rows, right=["balance", "share"])]
    if any(h.omnibus for h in table.holders):
        parts.append("* omnibus account (an intermediary's pooled holding for its clients)")
    return "\n".join(parts)
