"""The ``hktoken`` command. Each command group lives in its own module; this one wires them up and
turns every hktoken error into one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from hktoken import __version__
from hktoken.cli.bond_cmd import bond_group
from hktoken.cli.compile_cmd import compile_command
from hktoken.cli.demo_cmd import demo_command
from hktoken.cli.deploy_cmd import deploy_command
from hktoken.cli.fund_cmd import fund_group
from hktoken.cli.gold_cmd import gold_group
from hktoken.cli.investor_cmd import investor_group
from hktoken.cli.network_cmd import account_command, ping_command
from hktoken.cli.node_cmd import node_command
from hktoken.cli.reports_cmd import audit_command, captable_command, reconcile_command
from hktoken.cli.settle_cmd import settle_group
from hktoken.cli.status_cmd import status_command
from hktoken.cli.token_cmd import token_group
from hktoken.cli.toolchain_cmd import toolchain_group
from hktoken.errors import HKTokenError

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130
_NEGATIVE = re.compile(r"-\d+(\.\d*)?")


def usage_line(exc: click.UsageError, argv: Sequence[str] = ()) -> str:
    """Click's usage error as one line, ``error: <cause>: <fix>`` (``argv``: the command line, to quote from)."""
    command = exc.ctx.command_path if exc.ctx is not None else "hktoken"
    if isinstance(exc, click.NoSuchOption) and _NEGATIVE.fullmatch(exc.option_name):
        # `token mint 0x… -5`: click takes a negative argument for an unknown option (`-1.5` for the flags -1 . 5);
        # name what was really wrong, as it was typed
        typed = [a for a in argv if a.startswith(exc.option_name) and _NEGATIVE.fullmatch(a)]
        number = typed[0] if typed else exc.option_name
        return f"error: {number} is a negative number: give 0 or more (amounts are in token units)"
    cause = " ".join(exc.format_message().split()).rstrip(".")
    return f"error: {cause}: run `{command} --help` for the usage"


class _Cli(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Click's own handling, except that a usage error is one line (click prints three)."""
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except NoArgsIsHelpError as exc:  # no arguments at all: the help is the answer
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            argv = kwargs.get("args") or (args[0] if args else None) or sys.argv[1:]
            click.echo(usage_line(exc, [str(a) for a in argv]), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HKTokenError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Cli)
@click.version_option(__version__, prog_name="hktoken")
def cli() -> None:
    """Tokenize real-world assets: compile, deploy and test KYC-gated token contracts."""


cli.add_command(demo_command)
cli.add_command(toolchain_group)
cli.add_command(compile_command)
cli.add_command(deploy_command)
cli.add_command(node_command)
cli.add_command(ping_command)
cli.add_command(account_command)
cli.add_command(investor_group)
cli.add_command(token_group)
cli.add_command(bond_group)
cli.add_command(gold_group)
cli.add_command(fund_group)
cli.add_command(settle_group)
cli.add_command(status_command)
cli.add_command(captable_command)
cli.add_command(audit_command)
cli.add_command(reconcile_command)


def main() -> None:
    """Console-script entry point (named ``hktoken`` in messages however it is started, e.g. ``python -c``)."""
    cli(prog_name="hktoken")
