"""Bulk registration and issuance on the pipelined sender, in batches sized from the node's limits.

Validation reads go to the node in JSON-RPC batch requests (one HTTP round trip per 200 reads, not one per row);
gas per row is measured by estimating a one-row and a many-row batch and scaling, then
:func:`hktoken.chain.limits.rows_per_batch` fits as many rows as the node allows into each transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from hktoken.chain.bulk import BulkCall, BulkResult, BulkSender, Progress
from hktoken.chain.limits import node_limits, rows_per_batch
from hktoken.chain.sender import GAS_MARGIN_MIN, GAS_MARGIN_PERCENT
from hktoken.errors import SpecError
from hktoken.models.investor import Investor

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain
    from hktoken.contracts.registry import InvestorRegistry
    from hktoken.contracts.token import RWAToken

_PROBE_ROWS = 20


def _measure(
    chain: Chain, signer: LocalAccount, to: ChecksumAddress, encode: Callable[[int], HexStr], rows: int
) -> tuple[int, int, int]:
    """(fixed gas, gas per row, calldata bytes per row) of a batch function, from two estimates."""
    many = max(2, min(_PROBE_ROWS, rows))
    one_data, many_data = encode(1), encode(many)
    one = chain.sender.simulate(signer, to, one_data)
    several = chain.sender.simulate(signer, to, many_data)
    per_row = -(-(several - one) // (many - 1))
    per_byte = -(-(len(many_data) - len(one_data)) // (2 * (many - 1)))
    return max(one - per_row, 0), per_row, per_byte


def _batched(
    chain: Chain,
    signer: LocalAccount,
    to: ChecksumAddress,
    encode_rows: Callable[[int, int], HexStr],
    count: int,
    tx_gas_cap: int | None,
) -> list[BulkCall]:
    fixed, per_row, per_byte = _measure(chain, signer, to, lambda n: encode_rows(0, n), count)
    size = rows_per_batch(
        node_limits(chain, tx_gas_cap=tx_gas_cap), fixed_gas=fixed, gas_per_row=per_row, bytes_per_row=per_byte
    )
    calls = []
    for start in range(0, count, size):
        n = min(size, count - start)
        gas = fixed + per_row * n
        calls.append(BulkCall(to, encode_rows(start, n), gas + max(gas * GAS_MARGIN_PERCENT // 100, GAS_MARGIN_MIN)))
    return calls


def registered_ids(chain: Chain, registry: InvestorRegistry, investors: Sequence[Investor]) -> set[bytes]:
    """The ids of ``investors`` already on the register, read in JSON-RPC batch requests."""
    contract = registry.contract
    reads = [
        ("eth_call", [{"to": registry.address, "data": contract.encode_abi("investor", args=[i.id_bytes])}, "latest"])
        for i in investors
    ]
    answers = BulkSender(chain).batch(reads)
    found: set[bytes] = set()
    for investor, answer in zip(investors, answers, strict=True):
        raw = bytes.fromhex(str(answer["result"])[2:])
        if int.from_bytes(raw[:32], "big") != 0:  # the profile's first word (kycExpiry) is zero when unregistered
            found.add(investor.id_bytes)
    return found


def register_investors_bulk(
    chain: Chain,
    signer: LocalAccount,
    registry: InvestorRegistry,
    investors: Sequence[Investor],
    *,
    tx_gas_cap: int | None = None,
    progress: Progress | None = None,
    before_send: Callable[[Sequence[Any]], None] | None = None,
) -> BulkResult:
    """Register the investors not yet on the register (one wallet each), pipelined in node-sized batches."""
    if any(len(i.wallets) != 1 for i in investors):
        raise SpecError("the bulk path registers one wallet per investor", fix="add further wallets with add_wallet()")
    done = registered_ids(chain, registry, investors)
    todo = [i for i in investors if i.id_bytes not in done]
    if not todo:
        return BulkResult((), ())
    contract = registry.contract

    def encode(start: int, n: int) -> HexStr:
        rows = todo[start : start + n]
        return HexStr(
            contract.encode_abi(
                "batchRegisterInvestors",
                args=[
                    [i.id_bytes for i in rows],
                    [i.wallets[0] for i in rows],
                    [i.country for i in rows],
                    [int(i.investor_class) for i in rows],
                    [i.kyc_expiry_timestamp for i in rows],
                    [i.omnibus for i in rows],
                ],
            )
        )

    calls = _batched(chain, signer, registry.address, encode, len(todo), tx_gas_cap)
    return BulkSender(chain).send_all(signer, calls, progress=progress, before_send=before_send)


def issue_bulk(
    chain: Chain,
    signer: LocalAccount,
    token: RWAToken,
    mints: Sequence[tuple[ChecksumAddress, int]],
    *,
    tx_gas_cap: int | None = None,
    progress: Progress | None = None,
    before_send: Callable[[Sequence[Any]], None] | None = None,
) -> BulkResult:
    """Mint ``(wallet, base units)`` pairs with ``batchMint``, pipelined in node-sized batches."""
    contract = token.contract

    def encode(start: int, n: int) -> HexStr:
        rows = mints[start : start + n]
        return HexStr(contract.encode_abi("batchMint", args=[[w for w, _ in rows], [a for _, a in rows]]))

    calls = _batched(chain, signer, token.address, encode, len(mints), tx_gas_cap)
    return BulkSender(chain).send_all(signer, calls, progress=progress, before_send=before_send)


__all__ = ["issue_bulk", "register_investors_bulk", "registered_ids"]
