"""Batch sizing from the node's real limits, not a constant.

A batch transaction's gas is ``fixed + per_row * rows`` (measured: estimate one batch, scale). It must fit the
latest block's gas limit and, on nodes that enforce EIP-7825, the per-transaction cap of 2**24; its calldata must
fit, with the other requests of one JSON-RPC batch, inside the node's HTTP body limit (anvil: 2 MiB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hktoken.chain.sender import EIP7825_TX_GAS_CAP, GAS_MARGIN_PERCENT
from hktoken.errors import ChainError

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain

HTTP_BODY_LIMIT = 2 * 1024 * 1024
"""anvil's request body limit: 2 MiB."""


@dataclass(frozen=True)
class NodeLimits:
    """What one transaction may use on a node."""

    block_gas_limit: int
    tx_gas_cap: int | None  # EIP-7825, where enforced
    body_limit: int = HTTP_BODY_LIMIT

    @property
    def tx_gas_limit(self) -> int:
        return min(self.block_gas_limit, self.tx_gas_cap or self.block_gas_limit)


def node_limits(chain: Chain, *, tx_gas_cap: int | None = None) -> NodeLimits:
    """The latest block's gas limit, and the per-transaction cap when the caller (or the one sender) learned it.

    No JSON-RPC method reports EIP-7825's cap: the one sender learns it from a refusal
    (``TransactionSender.tx_gas_cap``), or a caller that started the node with ``--enable-tx-gas-limit`` passes it."""
    latest = chain.w3.eth.get_block("latest")
    cap = tx_gas_cap if tx_gas_cap is not None else chain.sender.tx_gas_cap
    return NodeLimits(int(latest["gasLimit"]), cap)


def rows_per_batch(
    limits: NodeLimits, *, fixed_gas: int, gas_per_row: int, bytes_per_row: int, rpc_batch: int = 1
) -> int:
    """The most rows one transaction can carry within ``limits``, keeping the sender's gas margin in hand."""
    if gas_per_row <= 0 or bytes_per_row <= 0:
        raise ValueError("gas_per_row and bytes_per_row must be positive")
    budget = limits.tx_gas_limit * 100 // (100 + GAS_MARGIN_PERCENT) - fixed_gas
    by_gas = budget // gas_per_row
    # Hex encoding doubles calldata on the wire; leave 10% of the body for the JSON around it.
    by_body = (limits.body_limit * 9 // 10) // (2 * bytes_per_row * max(rpc_batch, 1))
    rows = min(by_gas, by_body)
    if rows < 1:
        raise ChainError(
            f"one row needs {fixed_gas + gas_per_row:,} gas, more than the {limits.tx_gas_limit:,} one transaction "
            "may use on this node",
            fix="raise the node's block gas limit",
        )
    return rows


__all__ = ["EIP7825_TX_GAS_CAP", "HTTP_BODY_LIMIT", "NodeLimits", "node_limits", "rows_per_batch"]
