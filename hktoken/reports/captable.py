"""The cap table: who holds a token at a block, per investor and per wallet, rebuilt from its ``Transfer`` events.

The events are the ownership record; ``balanceOf`` is the token's own answer. The table is built from the first,
then every wallet's computed balance and the total are checked against the second at the same block, so a table
that comes back is one both agree on (anything else raises :class:`CapTableMismatch`). Wallets are grouped by the
investor the registry links them to at that block; omnibus accounts (a broker's or custodian's pooled account)
are marked; a wallet outside the registry (the treasury, usually) is listed on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from web3 import Web3

from hktoken.chain.connection import Chain
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import SecurityToken
from hktoken.errors import ChainError, HKTokenError
from hktoken.models.investor import investor_id_text
from hktoken.reports.calls import call_many
from hktoken.reports.logs import DEFAULT_CHUNK, fetch_logs
from hktoken.units import format_units, from_base_units

TRANSFER_TOPIC = HexStr("0x" + keccak(text="Transfer(address,address,uint256)").hex())
ZERO = "0x0000000000000000000000000000000000000000"


class CapTableMismatch(HKTokenError):
    """The token's events and its ``balanceOf`` disagree at the record block (a non-conforming token, or logs the
    node did not return in full)."""


@dataclass(frozen=True)
class WalletHolding:
    """One wallet's balance at the record block."""

    wallet: ChecksumAddress
    balance: Decimal
    base_units: int


@dataclass(frozen=True)
class InvestorHolding:
    """One investor's holding over all its wallets (``investor_id`` None: a wallet outside the registry)."""

    investor_id: str | None
    omnibus: bool
    wallets: tuple[WalletHolding, ...]
    balance: Decimal
    base_units: int
    share: Decimal  # of the total supply, 0..1

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (amounts as strings, exact)."""
        return {
            "investor_id": self.investor_id,
            "omnibus": self.omnibus,
            "balance": format_units(self.balance),
            "base_units": str(self.base_units),
            "share": format_units(self.share),
            "wallets": [
                {"wallet": w.wallet, "balance": format_units(w.balance), "base_units": str(w.base_units)}
                for w in self.wallets
            ],
        }


@dataclass(frozen=True)
class CapTable:
    """Every holder of a token at ``block``, largest first, checked against ``balanceOf``."""

    token: ChecksumAddress
    symbol: str
    decimals: int
    block: int
    timestamp: int
    total_supply: Decimal
    holders: tuple[InvestorHolding, ...]
    transfers_replayed: int

    @property
    def investor_count(self) -> int:
        """Registered investors holding a balance (what the token's holder count counts)."""
        return sum(1 for h in self.holders if h.investor_id is not None)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "token": self.token,
            "symbol": self.symbol,
            "decimals": self.decimals,
            "block": self.block,
            "timestamp": self.timestamp,
            "total_supply": format_units(self.total_supply),
            "investor_count": self.investor_count,
            "transfers_replayed": self.transfers_replayed,
            "holders": [h.as_dict() for h in self.holders],
        }


def deployment_block(chain: Chain, address: ChecksumAddress, latest: int) -> int:
    """The block the contract was created in (binary search on its code); 0 when the node keeps no old state."""
    try:
        if chain.w3.eth.get_code(address, latest) in (b"", None):
            raise ChainError(f"no contract at {address} at block {latest}", fix="check the address and the network")
        low, high = 0, latest
        while low < high:
            middle = (low + high) // 2
            if len(chain.w3.eth.get_code(address, middle)) > 0:
                high = middle
            else:
                low = middle + 1
        return low
    except ChainError:
        raise
    except Exception:
        return 0


def replay_transfers(logs: list[Any]) -> dict[ChecksumAddress, int]:
    """Wallet -> balance after applying every ``Transfer(from, to, value)`` log in order (mints from and burns to
    the zero address move supply, not a wallet)."""
    balances: dict[ChecksumAddress, int] = defaultdict(int)
    for log in logs:
        topics = log["topics"]
        sender = Web3.to_checksum_address(bytes(topics[1])[-20:])
        recipient = Web3.to_checksum_address(bytes(topics[2])[-20:])
        value = int.from_bytes(bytes(log["data"]), "big")
        if sender != ZERO:
            balances[sender] -= value
        if recipient != ZERO:
            balances[recipient] += value
    return dict(balances)


def build_cap_table(
    token: SecurityToken[Any],
    *,
    at_block: int | None = None,
    from_block: int | None = None,
    chunk: int = DEFAULT_CHUNK,
    on_progress: Callable[[int, int], None] | None = None,
) -> CapTable:
    """The cap table of ``token`` at ``at_block`` (default: the latest block), from its events since
    ``from_block`` (default: the block it was deployed in). Raises CapTableMismatch when the events and
    ``balanceOf`` disagree for any wallet or for the total supply."""
    chain = token.chain
    latest = chain.w3.eth.block_number
    block = latest if at_block is None else at_block
    if not 0 <= block <= latest:
        raise ChainError(f"block {block} is not on chain {chain.chain_id} (latest {latest})", fix="give a mined block")
    start = deployment_block(chain, token.address, block) if from_block is None else from_block
    logs = fetch_logs(
        chain, [token.address], start, block, topics=[TRANSFER_TOPIC], chunk=chunk, on_progress=on_progress
    )
    computed = replay_transfers(logs)
    wallets = sorted(computed)
    _check_against_chain(token, block, computed, wallets)

    holding = [w for w in wallets if computed[w] > 0]
    registry = InvestorRegistry(chain, token.raw.registry())
    ids = call_many(chain, registry.contract, "investorOf", [[w] for w in holding], block)
    profiles = call_many(chain, registry.contract, "profileOf", [[w] for w in holding], block)
    decimals = token.decimals
    supply = sum(computed[w] for w in holding)

    groups: dict[str, list[tuple[ChecksumAddress, bool]]] = defaultdict(list)
    for wallet, raw_id, profile in zip(holding, ids, profiles, strict=True):
        key = investor_id_text(raw_id) if any(raw_id) else f"wallet:{wallet}"
        groups[key].append((wallet, bool(profile[5])))  # Profile.omnibus
    holders = []
    for key, members in groups.items():
        units = sum(computed[w] for w, _ in members)
        holders.append(
            InvestorHolding(
                investor_id=None if key.startswith("wallet:") else key,
                omnibus=any(omnibus for _, omnibus in members),
                wallets=tuple(
                    WalletHolding(w, from_base_units(computed[w], decimals), computed[w])
                    for w, _ in sorted(members, key=lambda m: -computed[m[0]])
                ),
                balance=from_base_units(units, decimals),
                base_units=units,
                share=Decimal(units) / Decimal(supply) if supply else Decimal(0),
            )
        )
    holders.sort(key=lambda h: (-h.base_units, h.investor_id or ""))
    return CapTable(
        token=token.address,
        symbol=token.symbol,
        decimals=decimals,
        block=block,
        timestamp=int(chain.w3.eth.get_block(block)["timestamp"]),
        total_supply=from_base_units(supply, decimals),
        holders=tuple(holders),
        transfers_replayed=len(logs),
    )


def _check_against_chain(
    token: SecurityToken[Any], block: int, computed: dict[ChecksumAddress, int], wallets: list[ChecksumAddress]
) -> None:
    chain = token.chain
    on_chain = call_many(chain, token.contract, "balanceOf", [[w] for w in wallets], block)
    differences = [(w, computed[w], b) for w, b in zip(wallets, on_chain, strict=True) if computed[w] != b]
    if differences:
        wallet, events, answered = differences[0]
        more = f" (+{len(differences) - 1} more wallets)" if len(differences) > 1 else ""
        raise CapTableMismatch(
            f"{wallet}: the Transfer events give {events} base units, balanceOf gives {answered} at block "
            f"{block}{more}",
            fix="the token does not emit Transfer for every balance change, or the node returned partial logs",
        )
    supply = call_many(chain, token.contract, "totalSupply", [[]], block)[0]
    total = sum(v for v in computed.values() if v > 0)
    if supply != total:
        raise CapTableMismatch(
            f"the Transfer events give a supply of {total} base units, totalSupply gives {supply} at block {block}",
            fix="the token does not emit Transfer for every mint and burn",
        )
