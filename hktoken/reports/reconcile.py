"""Reconciliation of a custodian's client sub-ledger against the chain.

A broker or custodian holds its clients' tokens in an omnibus account (one investor in the registry, one or more
wallets). Its own books split that holding per client. ``reconcile`` reads those books from a CSV file and checks
them against the on-chain balances at a block: per wallet when the ledger names the wallet of each entry, and in
total over every wallet of the investor. Every difference is listed; nothing is sent.

Ledger CSV: a header row, then one row per client position: ``client_id,amount`` (amounts in token units), with an
optional ``wallet`` column.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress

from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import SecurityToken
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.reports.calls import call_many
from hktoken.units import format_units, from_base_units, to_base_units


@dataclass(frozen=True)
class LedgerEntry:
    """One client position of the sub-ledger (line: its line number in the file)."""

    line: int
    client_id: str
    amount: Decimal
    wallet: ChecksumAddress | None


@dataclass(frozen=True)
class WalletDifference:
    """A wallet whose ledger total differs from its on-chain balance."""

    wallet: ChecksumAddress
    ledger: Decimal
    on_chain: Decimal

    @property
    def difference(self) -> Decimal:
        """Ledger minus chain (positive: the books show more than the chain holds)."""
        return self.ledger - self.on_chain


@dataclass(frozen=True)
class Reconciliation:
    """The outcome: totals, per-wallet differences and the ledger's own problems (duplicate clients)."""

    investor_id: str
    block: int
    ledger_total: Decimal
    on_chain_total: Decimal
    wallets: dict[ChecksumAddress, Decimal]
    differences: tuple[WalletDifference, ...]
    duplicate_clients: tuple[str, ...]

    @property
    def difference(self) -> Decimal:
        """Ledger total minus on-chain total."""
        return self.ledger_total - self.on_chain_total

    @property
    def matches(self) -> bool:
        """True when the books and the chain agree in total and per wallet, and no client is listed twice."""
        return self.difference == 0 and not self.differences and not self.duplicate_clients

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "investor_id": self.investor_id,
            "block": self.block,
            "matches": self.matches,
            "ledger_total": format_units(self.ledger_total),
            "on_chain_total": format_units(self.on_chain_total),
            "difference": format_units(self.difference),
            "wallets": {w: format_units(b) for w, b in self.wallets.items()},
            "differences": [
                {
                    "wallet": d.wallet,
                    "ledger": format_units(d.ledger),
                    "on_chain": format_units(d.on_chain),
                    "difference": format_units(d.difference),
                }
                for d in self.differences
            ],
            "duplicate_clients": list(self.duplicate_clients),
        }


def read_ledger(path: Path, decimals: int) -> list[LedgerEntry]:
    """Parse a sub-ledger CSV; SpecError naming the file and line of the first bad row (amounts with more
    decimals than the token, negative amounts, a malformed wallet, a missing column)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read the ledger {path}: {exc.strerror}", fix="check the file path") from exc
    reader = csv.DictReader(text.splitlines())
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not {"client_id", "amount"} <= columns:
        raise SpecError(f"{path}: the header must name client_id and amount columns", fix="add a header row")
    entries = []
    for row in reader:
        line = reader.line_num
        fields = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        client = fields.get("client_id", "")
        if not client:
            raise SpecError(f"{path}:{line}: client_id is empty", fix="give every position a client id")
        try:
            amount = Decimal(fields.get("amount", ""))
        except InvalidOperation as exc:
            raise SpecError(
                f"{path}:{line}: amount {fields.get('amount')!r} is not a number", fix="use e.g. 1250.5"
            ) from exc
        if not amount.is_finite() or amount < 0:
            raise SpecError(f"{path}:{line}: amount {amount} must be zero or positive", fix="correct the amount")
        to_base_units(amount, decimals, what=f"{path}:{line}: amount")
        wallet = fields.get("wallet") or None
        entries.append(
            LedgerEntry(line, client, amount, to_address(wallet, what=f"{path}:{line}: wallet") if wallet else None)
        )
    return entries


def reconcile(
    token: SecurityToken[Any],
    investor_id: str,
    entries: Sequence[LedgerEntry],
    *,
    at_block: int | None = None,
) -> Reconciliation:
    """Check the sub-ledger ``entries`` of omnibus investor ``investor_id`` against its wallets' balances."""
    chain = token.chain
    registry = InvestorRegistry(chain, token.raw.registry())
    wallets = registry.wallets_of(investor_id)
    if not wallets:
        raise SpecError(f"investor {investor_id!r} is not in the token's registry", fix="check the investor id")
    block = chain.w3.eth.block_number if at_block is None else at_block
    listed = {e.wallet for e in entries if e.wallet is not None}
    foreign = sorted(listed - set(wallets))
    if foreign:
        raise SpecError(
            f"wallet {foreign[0]} in the ledger is not a wallet of {investor_id!r}", fix="correct the ledger"
        )
    raw = call_many(chain, token.contract, "balanceOf", [[w] for w in wallets], block)
    decimals = token.decimals
    on_chain = {w: from_base_units(b, decimals) for w, b in zip(wallets, raw, strict=True)}
    per_wallet: dict[ChecksumAddress, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.wallet is not None:
            per_wallet[entry.wallet] += entry.amount
    differences = tuple(
        WalletDifference(w, per_wallet[w], on_chain[w]) for w in wallets if listed and per_wallet[w] != on_chain[w]
    )
    seen: dict[str, int] = defaultdict(int)
    for entry in entries:
        seen[entry.client_id] += 1
    return Reconciliation(
        investor_id=investor_id,
        block=block,
        ledger_total=sum((e.amount for e in entries), Decimal(0)),
        on_chain_total=sum(on_chain.values(), Decimal(0)),
        wallets=on_chain,
        differences=differences,
        duplicate_clients=tuple(sorted(c for c, n in seen.items() if n > 1)),
    )
