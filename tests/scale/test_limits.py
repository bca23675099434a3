"""Batch sizes follow the node's block gas limit and the EIP-7825 cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_utils.address import to_checksum_address

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


def test_an_import_on_a_node_with_a_small_block_gas_limit_sends_batches_that_fit(tmp_path: Path) -> None:
    """End to end on an anvil whose blocks hold 8,000,000 gas (about a quarter of the default; the token's own
    deployment needs more than 3M): the journaled import cuts 250 investors into batches that each fit one block, and
    every row is registered and issued once."""
    from hktoken.bulk.onboard import OnboardingRow, onboard
    from hktoken.chain.signers import dev_accounts
    from hktoken.contracts.bulk import balances_of
    from hktoken.contracts.registry import InvestorRegistry
    from hktoken.contracts.token import RWAToken
    from hktoken.models.investor import Investor

    with Anvil(extra_args=("--gas-limit", "8000000")) as chain:
        admin = dev_accounts(1)[0]
        registry = InvestorRegistry.deploy(chain, admin)
        token = RWAToken.deploy(chain, admin, name="Small", symbol="SML", decimals=6, registry=registry)
        expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=30)
        wallets = [to_checksum_address(f"0x{0x5A11000 + n:040x}") for n in range(250)]
        rows = [OnboardingRow(line=n + 2, amount=Decimal(n + 1), investor=Investor(
            id=f"SMALL-{n:03d}", wallets=[w], country=344, investor_class=1, kyc_expiry=expiry))
            for n, w in enumerate(wallets)]  # fmt: skip
        result = onboard(chain, admin, registry, rows, out=tmp_path, token=token)
        gas_limits = [int(chain.w3.eth.get_transaction(h)["gas"]) for h in result.transactions]
        assert max(gas_limits) <= 8_000_000
        assert result.register_transactions >= 3  # about 85 registrations fit one 8M-gas block
        assert len(result.transactions) - result.register_transactions >= 2  # about 200 mints a block
        assert balances_of(chain, token, wallets) == [(n + 1) * 10**6 for n in range(250)]
