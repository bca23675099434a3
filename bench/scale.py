"""Scale: onboard and issue to 10,000 investors through the bulk path, against the naive web3.py loop (issue 10).

(a) bulk registration + issuance of 10,000 investors on a fresh default anvil, every receipt included;
(b) the naive loop (registerInvestor, then mint, one ``.transact()`` and wait each) on 300 investors, same node;
(c) the coupon push to 10,000 holders is NOT implemented yet: reported as null;
(d) (a) again against ``anvil --enable-tx-gas-limit`` (EIP-7825's 2**24 per-transaction cap): smaller batches.

floor_gas_per_investor: what onboarding and issuing one investor cannot avoid in the contracts' storage design:
- fresh SSTOREs (zero to non-zero, 22,100 gas each, EIP-2929 cold + EIP-2200 set): the registry's wallet -> investor
  slot and id -> profile slot (CONVENTIONS.md: ``Investor`` and ``Profile``, one slot each) and the token's balance
  slot: 3 per investor;
- logs: 375 + 375 per topic + 8 per data byte, taken from the receipts' own logs (per investor, averaged);
- calldata: 16 gas per non-zero byte, 4 per zero byte, taken from the transactions' own input (per investor).
The per-transaction base (21,000) and loop overhead are amortised away in large batches, so they are left out.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_figures, print_table

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain
from hktoken.chain.limits import EIP7825_TX_GAS_CAP
from hktoken.chain.signers import dev_accounts
from hktoken.contracts.bulk import issue_bulk, register_investors_bulk
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import RWAToken
from hktoken.models.investor import Investor

INVESTORS = 10_000
NAIVE = 300
FRESH_SSTORE = 22_100
FRESH_SLOTS_PER_INVESTOR = 3


def _investors(chain: Chain, count: int, prefix: str) -> list[Investor]:
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    return [
        Investor(id=f"{prefix}-{n:06d}", wallets=[Account.create().address], country=344, investor_class=1,
                 kyc_expiry=expiry)
        for n in range(count)
    ]  # fmt: skip


def _calldata_gas(data: bytes) -> int:
    return sum(16 if b else 4 for b in data)


def _bulk(chain: Chain, count: int, tx_cap: int | None) -> dict[str, Any]:
    admin = dev_accounts(1)[0]
    registry = InvestorRegistry.deploy(chain, admin)
    token = RWAToken.deploy(chain, admin, name="Scale", symbol="SCL", decimals=18, registry=registry)
    investors = _investors(chain, count, "SCALE")
    start = time.perf_counter()
    reg = register_investors_bulk(chain, admin, registry, investors, tx_gas_cap=tx_cap)
    mint = issue_bulk(chain, admin, token, [(i.wallets[0], 10**18) for i in investors], tx_gas_cap=tx_cap)
    seconds = time.perf_counter() - start
    gas = sum(reg.gas_used) + sum(mint.gas_used)
    log_gas = calldata = 0
    for tx in (*reg.sent, *mint.sent):
        receipt = chain.w3.eth.get_transaction_receipt(tx.tx_hash)
        for log in receipt["logs"]:
            log_gas += 375 + 375 * len(log["topics"]) + 8 * len(log["data"])
        calldata += _calldata_gas(bytes(chain.w3.eth.get_transaction(tx.tx_hash)["input"]))
    floor = FRESH_SSTORE * FRESH_SLOTS_PER_INVESTOR + (log_gas + calldata) / count
    return {
        "seconds": seconds, "gas_per_investor": gas / count, "floor": floor,
        "register_txs": len(reg.sent), "mint_txs": len(mint.sent),
        "rows_per_register_tx": -(-count // len(reg.sent)), "rows_per_mint_tx": -(-count // len(mint.sent)),
    }  # fmt: skip


def _naive(chain: Chain, count: int) -> float:
    admin = dev_accounts(1)[0]
    registry = InvestorRegistry.deploy(chain, admin)
    token = RWAToken.deploy(chain, admin, name="Naive", symbol="NAV", decimals=18, registry=registry)
    w3 = chain.w3
    investors = _investors(chain, count, "NAIVE")
    start = time.perf_counter()
    for i in investors:
        h = registry.contract.functions.registerInvestor(
            i.id_bytes, i.wallets[0], i.country, int(i.investor_class), i.kyc_expiry_timestamp, i.omnibus
        ).transact({"from": admin.address})
        w3.eth.wait_for_transaction_receipt(h)
        h = token.contract.functions.mint(i.wallets[0], 10**18).transact({"from": admin.address})
        w3.eth.wait_for_transaction_receipt(h)
    return count / (time.perf_counter() - start)


def main() -> None:
    with Anvil() as chain:
        a = _bulk(chain, INVESTORS, None)
        naive = _naive(chain, NAIVE)
    with Anvil(extra_args=("--enable-tx-gas-limit",)) as chain:
        d = _bulk(chain, INVESTORS, EIP7825_TX_GAS_CAP)
    rate = INVESTORS / a["seconds"]
    print_table(
        f"Onboard + issue {INVESTORS:,} investors (bulk) vs the naive web3.py loop ({NAIVE})",
        ["run", "seconds", "investors/s", "register txs", "rows/register tx", "mint txs", "rows/mint tx"],
        [
            ["(a) default anvil", a["seconds"], rate, a["register_txs"], a["rows_per_register_tx"], a["mint_txs"],
             a["rows_per_mint_tx"]],
            ["(b) naive loop", NAIVE / naive, naive, NAIVE, 1, NAIVE, 1],
            ["(d) EIP-7825 cap", d["seconds"], INVESTORS / d["seconds"], d["register_txs"], d["rows_per_register_tx"],
             d["mint_txs"], d["rows_per_mint_tx"]],
        ],
    )  # fmt: skip
    print_figures(
        {
            "investors": INVESTORS,
            "seconds": round(a["seconds"], 3),
            "investors_per_second": round(rate, 1),
            "naive_investors_per_second": round(naive, 2),
            "speedup_vs_naive": round(rate / naive, 1),
            "gas_per_investor": round(a["gas_per_investor"]),
            "floor_gas_per_investor": round(a["floor"]),
            "coupon_push_seconds": None,
            "seconds_tx_cap": round(d["seconds"], 3),
        }
    )


if __name__ == "__main__":
    main()
