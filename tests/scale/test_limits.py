"""Batch sizes follow the node's block gas limit and the EIP-7825 cap."""

from __future__ import annotations

import pytest

from hktoken.chain.anvil import Anvil
from hktoken.chain.limits import EIP7825_TX_GAS_CAP, NodeLimits, node_limits, rows_per_batch
from hktoken.errors import ChainError


def test_rows_per_batch_fits_the_margin_inside_the_tighter_limit() -> None:
    block = NodeLimits(30_000_000, None)
    capped = NodeLimits(30_000_000, EIP7825_TX_GAS_CAP)
    # 30M / 1.2 = 25,000,000; minus 50,000 fixed, / 100,000 per row
    assert rows_per_batch(block, fixed_gas=50_000, gas_per_row=100_000, bytes_per_row=100) == 249
    # 16,777,216 / 1.2 = 13,981,013; minus 50,000 -> 139
    assert rows_per_batch(capped, fixed_gas=50_000, gas_per_row=100_000, bytes_per_row=100) == 139
    # the body limit: 2 MiB * 0.9 / (2 hex chars * 10,000 bytes) = 94
    assert rows_per_batch(block, fixed_gas=0, gas_per_row=1, bytes_per_row=10_000) == 94


def test_a_node_with_a_small_block_gas_limit_gets_small_batches() -> None:
    with Anvil(extra_args=("--gas-limit", "3000000")) as chain:
        limits = node_limits(chain)
        assert limits == NodeLimits(3_000_000, None)
        assert rows_per_batch(limits, fixed_gas=50_000, gas_per_row=100_000, bytes_per_row=100) == 24
        with pytest.raises(ChainError, match="more than the 3,000,000 one transaction may use"):
            rows_per_batch(limits, fixed_gas=50_000, gas_per_row=3_000_000, bytes_per_row=100)
