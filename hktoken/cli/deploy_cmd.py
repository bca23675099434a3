"""``hktoken deploy SPEC``: a journaled, resumable deployment of a spec file (see docs/deployment.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.deployment.builders import compile_plan
from hktoken.deployment.runner import StepResult
from hktoken.deployment.session import deploy_spec, plan_status
from hktoken.models.deployment import load_spec


def _line(result: StepResult) -> str:
    step = result.step
    if result.outcome == "skipped":
        return f"skipped  {step.id:<40} done in block {result.block} ({step.summary})"
    verb = "mined   " if result.outcome == "sent" else "resumed "
    where = f" -> {result.address}" if result.address else ""
    note = f" [{result.note}]" if result.note else ""
    return f"{verb} {step.id:<40} block {result.block}, gas {result.gas_used:,}{where}{note}"


@click.command("deploy")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@node_options
@signer_options
@click.option(
    "--confirmations",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Blocks that must include a transaction before the next step (1: mined).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder that holds deployments/ (default: the current folder).",
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Use this manifest file instead of deployments/<chain-id>-<genesis>/<spec>.json.",
)
@click.option(
    "--resign",
    multiple=True,
    metavar="STEP",
    help="Sign a new transaction for a step whose journaled one can never be mined (its nonce was used).",
)
@click.option(
    "--plan", "show_plan", is_flag=True, help="Print each step and what the manifest says of it; send nothing."
)
@json_option
@pass_session
def deploy_command(
    session: Session,
    spec: Path,
    confirmations: int,
    out: Path | None,
    manifest: Path | None,
    resign: tuple[str, ...],
    show_plan: bool,
) -> None:
    """Deploy SPEC (a deploy/*.toml file), or resume it where it stopped; a run whose steps are all done sends
    nothing (it checks the code and receipts of each recorded step)."""
    parsed = load_spec(spec)  # a bad spec is reported before connecting or asking for a key
    signer = session.signer
    chain = session.chain
    as_json = session.as_json
    if show_plan:
        steps = plan_status(chain, signer, spec, out=out, manifest=manifest)
        rows = [{"id": step.id, "status": status, "summary": step.summary} for step, status in steps]
        if as_json:
            click.echo(json.dumps({"spec": str(spec), "chain_id": chain.chain_id, "steps": rows}))
        else:
            for row in rows:
                click.echo(f"{row['status']:<8} {row['id']:<40} {row['summary']}")
        return

    step_count = len(compile_plan(parsed, signer.address, now=chain.timestamp()).steps)
    with display.progress(f"deploying {parsed.name}", total=step_count) as bar:

        def progress(result: StepResult) -> None:
            display.advance(bar)
            if not as_json:
                click.echo(_line(result))

        result = deploy_spec(
            chain, signer, spec, out=out, manifest=manifest, confirmations=confirmations, resign=resign,
            on_step=progress,
        )  # fmt: skip
    if as_json:
        click.echo(json.dumps({"spec": str(spec), "chain_id": chain.chain_id, **result.as_json()}))
        return
    click.echo(
        f"{len(result.results)} steps: {result.sent} sent, {result.resumed} resumed, {result.skipped} already done; "
        f"gas {result.gas_used:,}; {result.blocks_mined} block(s) mined; manifest {result.manifest}"
    )
