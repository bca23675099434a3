"""Every command of the investor, token and status groups and the report commands has an end-to-end test in this
folder and an entry in docs/cli.md (a new command without either fails here)."""

from __future__ import annotations

from pathlib import Path

import click

from hktoken.cli import cli

GROUPS = ("investor", "token", "bond", "gold", "fund", "settle", "status", "captable", "audit", "reconcile")
HERE = Path(__file__).parent
DOC = HERE.parents[1] / "docs" / "cli.md"


def command_paths(command: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(command, click.Group):
        return [p for name, sub in sorted(command.commands.items()) for p in command_paths(sub, (*path, name))]
    return [path]


def all_paths() -> list[tuple[str, ...]]:
    return [p for name in GROUPS for p in command_paths(cli.commands[name], (name,))]


def test_every_command_is_run_by_a_test() -> None:
    sources = "".join(p.read_text() for p in HERE.glob("test_*.py") if p.name != Path(__file__).name)
    missing = [" ".join(p) for p in all_paths() if ", ".join(f'"{w}"' for w in p) not in sources]
    assert missing == []
    assert len(all_paths()) == 55  # fund settle (issue 10) is the 55th


def test_every_command_is_documented() -> None:
    doc = DOC.read_text()
    missing = [" ".join(p) for p in all_paths() if f"hktoken {' '.join(p)}" not in doc and f"`{' '.join(p)}" not in doc]
    assert missing == []
