"""``hktoken compile``: build a project's contracts/, or check its build (``--check``).

In your own project the build goes to ``./build/hktoken/`` (load it with ``ArtifactStore.layered``); only hktoken's
own checkout builds into the shipped artifacts, and building there also regenerates the plain ABI surface
(``hktoken/contracts/_abi``), and ``--check`` checks it too, so the two never drift apart."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hktoken.artifacts import ARTIFACTS_DIR, ArtifactStore
from hktoken.compiler import check_artifacts, compile_project, default_artifacts_dir, project_root
from hktoken.contracts import codegen


@click.command("compile")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project folder holding contracts/ (default: this checkout, else the current folder).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where artifacts are written (default: build/hktoken/ under the project; hktoken's own checkout "
    "builds its shipped artifacts).",
)
@click.option("--check", is_flag=True, help="Exit non-zero when the artifacts differ from a fresh build.")
@click.option("--force", is_flag=True, help="Rebuild even when the cache says nothing changed.")
def compile_command(root: Path | None, out_dir: Path | None, check: bool, force: bool) -> None:
    """Compile every contract under contracts/ (cached by content hash)."""
    root = project_root(root)
    out_dir = default_artifacts_dir(root) if out_dir is None else out_dir
    shipped = out_dir.resolve() == ARTIFACTS_DIR
    if check:
        problems = check_artifacts(root, out_dir)
        if shipped and not problems:
            problems = codegen.check(ArtifactStore(out_dir))
        if problems:
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            click.echo(
                f"error: {len(problems)} artifact or generated file(s) differ from a fresh build: "
                "run `hktoken compile` and commit the result",
                err=True,
            )
            sys.exit(1)
        click.echo(f"artifacts in {out_dir} match a fresh build")
        return
    result = compile_project(root, out_dir, force=force)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    state = "up to date (cached)" if result.cached else "compiled"
    click.echo(
        f"{state}: {len(result.contracts)} contracts with solc {result.solc_version} "
        f"in {result.seconds:.2f}s -> {result.artifacts_dir}"
    )
    if shipped:
        written = codegen.generate(ArtifactStore(out_dir))
        click.echo(f"ABI surface: {len(written)} generated file(s) rewritten in {codegen.GENERATED_DIR}")
