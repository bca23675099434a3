"""How commands show things: rich tables rendered to plain text (stable, no colour, so scripts and tests can read
them), ``key  value`` blocks, amounts and dates the same way everywhere, and rich progress on stderr for work that
takes more than a moment (only in a terminal: piped output stays clean)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import click
from hexbytes import HexBytes
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from web3.types import TxReceipt

from hktoken.cli.options import Session
from hktoken.units import format_units

_WIDTH = 240  # wide enough that no table of addresses wraps


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, right: Sequence[str] = ()) -> str:
    """A table with a header rule, as plain text (trailing spaces removed); columns in ``right`` right-aligned."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="", highlight=False)
    for column in columns:
        grid.add_column(column, justify="right" if column in right else "left", no_wrap=True)
    for row in rows:
        grid.add_row(*row)
    return _render(grid)


def fields(pairs: Iterable[tuple[str, str]], *, width: int = 0) -> str:
    """``key  value`` lines with the values aligned (at least ``width`` for the keys)."""
    items = list(pairs)
    width = max([width, *(len(k) for k, _ in items)])
    return "\n".join(f"{k.ljust(width)}  {v}".rstrip() for k, v in items)


def _render(renderable: Table) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=_WIDTH, color_system=None, force_terminal=False, highlight=False).print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")


def amount(value: Decimal, symbol: str | None = None) -> str:
    """``1250.5 HKGB``: no exponent, no trailing zeros."""
    text = format_units(value)
    return f"{text} {symbol}" if symbol else text


def when(moment: datetime) -> str:
    """``2027-06-30 00:00:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 investor``, ``2 investors``."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def tx_line(action: str, receipts: Sequence[TxReceipt]) -> str:
    """``minted 100 TA1 to 0x…: tx 0x… (block 12, gas 51234)``, one entry per transaction sent."""
    if not receipts:
        return f"{action}: nothing sent"
    sent = "; ".join(
        f"tx {HexBytes(r['transactionHash']).to_0x_hex()} (block {r['blockNumber']}, gas {r['gasUsed']})"
        for r in receipts
    )
    return f"{action}: {sent}"


def tx_data(receipts: Sequence[TxReceipt]) -> list[dict[str, object]]:
    """The transactions of an action, for ``--json``."""
    return [
        {"tx": HexBytes(r["transactionHash"]).to_0x_hex(), "block": r["blockNumber"], "gas": r["gasUsed"]}
        for r in receipts
    ]


def sent(session: Session, text: str, data: dict[str, Any], receipts: Sequence[TxReceipt]) -> None:
    """What a command that sent transactions prints: ``text: tx …`` or, with ``--json``, ``data`` and the
    transactions."""
    session.emit(tx_line(text, receipts), {**data, "transactions": tx_data(receipts)})


def interactive() -> bool:
    """Progress only where a person watches: stderr is a terminal."""
    return sys.stderr.isatty()


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Progress]:
    """A rich progress bar (or spinner when ``total`` is None) on stderr, gone when done; silent when piped."""
    columns = (
        [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
        if total is None
        else [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    )
    shown = interactive()
    console = Console(file=click.get_text_stream("stderr"), stderr=True, force_terminal=shown)
    # rich would route stdout through the bar's console (stderr): only right when stdout is the same terminal, never
    # when it is piped (`--json > file` must keep every byte on stdout).
    on_screen = shown and click.get_text_stream("stdout").isatty()
    with Progress(
        *columns,
        console=console,
        transient=True,
        disable=not shown,
        redirect_stdout=on_screen,
        redirect_stderr=on_screen,
    ) as bar:
        bar.add_task(description, total=total)
        yield bar


def advance(bar: Progress, steps: int = 1) -> None:
    """Move the (single) task of ``bar`` on."""
    for task in bar.task_ids:
        bar.advance(task, steps)


def blocks_read(bar: Progress) -> Callable[[int, int], None]:
    """An ``on_progress(done, total)`` for a log scan: the bar counts blocks read of the range."""

    def update(done: int, total: int) -> None:
        for task in bar.task_ids:
            bar.update(task, completed=done, total=total)

    return update
