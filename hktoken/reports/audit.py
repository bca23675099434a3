"""The audit export: every event of a token (and of the contracts around it: its registry, a settlement contract)
as rows a regulator can read, with block, time, transaction, actor, the decoded event and its amounts in token
units. Rebuilt from the chain alone; CSV or JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from hktoken.abi import role_id, role_names
from hktoken.chain.connection import Chain
from hktoken.contracts.base import ContractWrapper
from hktoken.contracts.refusals import AMOUNT_PARAMETERS, TEXT_PARAMETERS
from hktoken.errors import SpecError
from hktoken.models.investor import investor_id_text
from hktoken.reports.logs import DEFAULT_CHUNK, fetch_logs
from hktoken.units import format_units, from_base_units

# Event parameters that hold amounts of the contract's token (ERC-20's Transfer and Approval call it "value").
_AMOUNTS = AMOUNT_PARAMETERS | {"value"}
CSV_COLUMNS = ("block", "time", "transaction", "log_index", "contract", "actor", "event", "details")


@dataclass(frozen=True)
class AuditRow:
    """One event, decoded: ``args`` hold human values (Decimal token units, text ids, role names)."""

    block: int
    time: datetime
    transaction: HexStr
    log_index: int
    contract: str
    address: ChecksumAddress
    actor: ChecksumAddress
    event: str
    args: dict[str, Any]

    def details(self) -> str:
        """``name=value`` pairs, the way a reader scans them."""
        return "; ".join(f"{k}={_text(v)}" for k, v in self.args.items())

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "block": self.block,
            "time": self.time.isoformat(),
            "transaction": self.transaction,
            "log_index": self.log_index,
            "contract": self.contract,
            "address": self.address,
            "actor": self.actor,
            "event": self.event,
            "args": {k: _text(v) for k, v in self.args.items()},
        }


@dataclass(frozen=True)
class Source:
    """A contract whose events go into the export: its label, web3 contract, ABI and the decimals of its amounts
    (None for a contract whose events carry no token amounts, such as the registry)."""

    label: str
    contract: Contract
    abi: list[dict[str, Any]]
    decimals: int | None

    @classmethod
    def of(cls, wrapper: ContractWrapper[Any], decimals: int | None = None) -> Source:
        """A wrapped contract, labelled by its artifact name."""
        return cls(wrapper.artifact_name, wrapper.contract, wrapper.artifact.abi, decimals)


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format_units(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _humanise(name: str, value: Any, decimals: int | None, roles: dict[bytes, str]) -> Any:
    if name in _AMOUNTS and isinstance(value, int) and not isinstance(value, bool) and decimals is not None:
        return from_base_units(value, decimals) if value < 2**255 else Decimal(value)  # type(uint256).max stays raw
    if isinstance(value, bytes) and len(value) == 32:
        if value in roles:
            return roles[value]
        if name in TEXT_PARAMETERS:
            return investor_id_text(value)
    return value


def audit_rows(
    chain: Chain,
    sources: Sequence[Source],
    *,
    from_block: int = 0,
    to_block: int | None = None,
    chunk: int = DEFAULT_CHUNK,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[AuditRow]:
    """Every event of ``sources`` in ``[from_block, to_block]``, decoded, in chain order."""
    if not sources:
        raise SpecError("the audit export needs at least one contract", fix="name the token")
    last = chain.w3.eth.block_number if to_block is None else to_block
    by_address = {s.contract.address: s for s in sources}
    events = {
        (s.contract.address, keccak(text=f"{e['name']}({','.join(str(i['type']) for i in e['inputs'])})")): e["name"]
        for s in sources
        for e in s.abi
        if e.get("type") == "event" and not e.get("anonymous")
    }
    roles = {role_id(r): r for s in sources for r in role_names(s.abi)}
    logs = fetch_logs(chain, list(by_address), from_block, last, chunk=chunk, on_progress=on_progress)
    actors: dict[str, ChecksumAddress] = {}
    times: dict[int, datetime] = {}
    rows = []
    for log in logs:
        address = Web3.to_checksum_address(log["address"])
        source = by_address[address]
        if not log["topics"]:
            continue
        name = events.get((address, bytes(log["topics"][0])))
        if name is None:
            continue
        decoded = source.contract.events[name]().process_log(log)
        tx = HexStr("0x" + bytes(log["transactionHash"]).hex())
        if tx not in actors:
            actors[tx] = Web3.to_checksum_address(chain.w3.eth.get_transaction(tx)["from"])
        block = int(log["blockNumber"])
        if block not in times:
            times[block] = datetime.fromtimestamp(int(chain.w3.eth.get_block(block)["timestamp"]), tz=UTC)
        args = {k: _humanise(k, v, source.decimals, roles) for k, v in decoded["args"].items()}
        rows.append(AuditRow(block, times[block], tx, int(log["logIndex"]), source.label, address, actors[tx], name,
                             args))  # fmt: skip
    return rows


def write_audit(rows: Iterable[AuditRow], out: IO[str], *, fmt: str = "csv") -> None:
    """Write rows as CSV (one line per event, ``details`` as name=value pairs) or JSON (a list of objects)."""
    if fmt == "json":
        json.dump([r.as_dict() for r in rows], out, indent=2)
        out.write("\n")
        return
    if fmt != "csv":
        raise SpecError(f"unknown audit format {fmt!r}", fix="use csv or json")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.block, r.time.isoformat(), r.transaction, r.log_index, r.contract, r.actor, r.event,
                         r.details()])  # fmt: skip


def write_audit_file(rows: Iterable[AuditRow], path: Path, *, fmt: str = "csv") -> None:
    """``write_audit`` to a file (UTF-8, newline handling as the csv module wants)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        write_audit(rows, out, fmt=fmt)
