"""Scale: onboard, issue to and pay 10,000 investors through hktoken's bulk path, beside the naive web3.py loop.

One run, on fresh local anvils with default settings (automine, 30M block gas limit):

(a) onboard and issue to 10,000 investors with :func:`hktoken.bulk.onboard` (the journaled path ``hktoken investor
    import`` runs): batched reads of the register and balances, ``batchRegisterInvestors`` and ``batchMint`` in
    batches sized from the node's limits, pipelined, every receipt gathered. Timed end to end, from the rows in
    memory to the last receipt;
(b) the naive web3.py loop (``registerInvestor`` then ``mint``, one ``.transact()`` and one wait each) on 300
    investors, on the same node, run first (while the node is fresh: see ``main``);
(c) a bond issued to the same 10,000 investors (not timed), its first coupon recorded and funded, then pushed to
    every holder with :func:`hktoken.bulk.coupons.push_coupons` (the path of ``hktoken bond push --all``): timed
    from finding the holders in the bond's Transfer events to the last receipt;
(d) (a) again on an anvil enforcing EIP-7825's per-transaction cap of 2**24 gas (``--enable-tx-gas-limit``): the
    batches shrink to fit.

``floor_gas_per_investor``: what onboarding and issuing one investor cannot avoid in the contracts' own storage
design (docs/scale.md):
- four fresh storage slots (zero to non-zero: 20,000 gas, plus 2,100 for the first, cold access: 22,100 each). The
  registry keeps an investor in three (``_records[id]``: primary wallet, key and wallet count; ``_idOfKey[key]``;
  ``_walletProfiles[wallet]``: the packed profile a transfer reads) and the token one (the holder's packed account
  word: balance, frozen amount and flags). Every other write (total supply, holder count, the key counter) is to
  a slot already written in the same transaction and is amortised over the batch;
- the logs, from the receipts' own logs: 375 + 375 per topic + 8 per data byte (one ``InvestorRegistered``, one
  ``Transfer`` per investor);
- the calldata, from the transactions' own input: 16 gas per non-zero byte, 4 per zero byte.
Left out: the 21,000 base of each transaction and the loop's own overhead, spread over hundreds of rows a batch.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_figures, print_table

from hktoken import BondRoles, BondTerms, BondToken
from hktoken.bulk.coupons import push_coupons
from hktoken.bulk.onboard import OnboardingRow, onboard
from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain
from hktoken.chain.limits import EIP7825_TX_GAS_CAP
from hktoken.chain.signers import dev_accounts
from hktoken.contracts.bulk import issue_bulk
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.token import RWAToken
from hktoken.models.investor import Investor

INVESTORS = 10_000
NAIVE = 300
FRESH_SLOT_GAS = 22_100
FRESH_SLOTS_PER_INVESTOR = 4  # registry: record, id of key, wallet profile; token: account word
DAY = 86_400


def _rows(chain: Chain, count: int, prefix: str) -> list[OnboardingRow]:
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    return [
        OnboardingRow(line=n + 2, amount=Decimal(1000 + n % 7), investor=Investor(
            id=f"{prefix}-{n:06d}", wallets=[to_checksum_address(os.urandom(20))], country=344,
            investor_class=1 + n % 3, kyc_expiry=expiry))
        for n in range(count)
    ]  # fmt: skip


def _calldata_gas(data: bytes) -> int:
    return sum(16 if b else 4 for b in data)


def _floor(chain: Chain, hashes: list[str], count: int) -> float:
    """The floor per investor (module docstring), with logs and calldata taken from the run's own transactions."""
    log_gas = calldata = 0
    for tx_hash in hashes:
        for log in chain.w3.eth.get_transaction_receipt(tx_hash)["logs"]:
            log_gas += 375 + 375 * len(log["topics"]) + 8 * len(log["data"])
        calldata += _calldata_gas(bytes(chain.w3.eth.get_transaction(tx_hash)["input"]))
    return FRESH_SLOT_GAS * FRESH_SLOTS_PER_INVESTOR + (log_gas + calldata) / count


def _onboard(chain: Chain, count: int, tx_cap: int | None, out: Path) -> dict[str, Any]:
    admin = dev_accounts(1)[0]
    registry = InvestorRegistry.deploy(chain, admin)
    token = RWAToken.deploy(chain, admin, name="Scale", symbol="SCL", decimals=18, registry=registry)
    rows = _rows(chain, count, "SCALE")
    start = time.perf_counter()
    result = onboard(chain, admin, registry, rows, out=out, token=token, tx_gas_cap=tx_cap)
    seconds = time.perf_counter() - start
    assert (result.registered, result.issued) == (count, count), result
    assert token.raw.total_supply() == sum(int(r.amount or 0) for r in rows) * 10**18
    registers, mints = result.register_transactions, len(result.transactions) - result.register_transactions
    return {
        "seconds": seconds, "gas_per_investor": result.gas_used / count,
        "floor": _floor(chain, result.transactions, count), "register_txs": registers, "mint_txs": mints,
        "rows_per_register_tx": -(-count // registers), "rows_per_mint_tx": -(-count // mints),
        "registry": registry, "token": token, "rows": rows, "admin": admin,
    }  # fmt: skip


def _naive(chain: Chain, count: int) -> float:
    admin = dev_accounts(1)[0]
    registry = InvestorRegistry.deploy(chain, admin)
    token = RWAToken.deploy(chain, admin, name="Naive", symbol="NAV", decimals=18, registry=registry)
    w3 = chain.w3
    investors = [r.investor for r in _rows(chain, count, "NAIVE")]
    start = time.perf_counter()
    for i in investors:
        h = registry.contract.functions.registerInvestor(
            i.id_bytes, i.wallets[0], i.country, int(i.investor_class), i.kyc_expiry_timestamp, i.omnibus
        ).transact({"from": admin.address})
        w3.eth.wait_for_transaction_receipt(h)
        h = token.contract.functions.mint(i.wallets[0], 10**18).transact({"from": admin.address})
        w3.eth.wait_for_transaction_receipt(h)
    return count / (time.perf_counter() - start)


def _coupon_push(chain: Chain, a: dict[str, Any], out: Path) -> dict[str, Any]:
    admin, registry, rows = a["admin"], a["registry"], a["rows"]
    hkd = HKDStablecoin.deploy(chain, admin)
    t0 = chain.timestamp()
    dates = [t0 + 30 * DAY, t0 + 60 * DAY]
    terms = BondTerms(
        isin="HK0000098498", currency="HKD", payment_token=hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=450, coupon_frequency=2,
        issue_date=datetime.fromtimestamp(t0 - DAY, tz=UTC), maturity_date=datetime.fromtimestamp(dates[-1], tz=UTC),
        coupon_dates=tuple(datetime.fromtimestamp(d, tz=UTC) for d in dates), min_call_notice=timedelta(days=10),
    )  # fmt: skip
    bond = BondToken.deploy(chain, admin, name="Scale Bond", symbol="SCB", decimals=18, registry=registry,
                            terms=terms, bond_roles=BondRoles())  # fmt: skip
    issue_bulk(chain, admin, bond, [(r.investor.wallets[0], (1 + n % 5) * 10**18) for n, r in enumerate(rows)])
    chain.set_next_block_timestamp(dates[0] + 1)
    chain.mine()
    agent = bond.paying_agent
    funding = agent.raw.coupon_funding(0)
    hkd.raw.mint(admin, admin.address, funding)
    hkd.raw.approve(admin, agent.address, funding)
    bond.fund_coupon(admin, 0)
    start = time.perf_counter()
    result = push_coupons(chain, admin, bond, out=out)
    seconds = time.perf_counter() - start
    assert (result.pushed, result.unpaid, result.owed_units) == (len(rows), 0, funding), result
    assert hkd.raw_balance_of(agent.address) == 0
    return {"seconds": seconds, "txs": len(result.transactions), "holders": result.holders,
            "gas_per_holder": result.gas_used / len(rows)}  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hktoken-scale-") as folder:
        out = Path(folder)
        with Anvil() as chain:
            # The naive loop first, on the fresh node: after a pipelined burst anvil's automine answers each
            # single transaction about 0.1 s late (measured: 3 ms -> 110 ms to the receipt), which would make the
            # loop look three to six times slower than it is.
            naive = _naive(chain, NAIVE)
            a = _onboard(chain, INVESTORS, None, out / "a")
            c = _coupon_push(chain, a, out / "c")
        with Anvil(extra_args=("--enable-tx-gas-limit",)) as chain:
            d = _onboard(chain, INVESTORS, EIP7825_TX_GAS_CAP, out / "d")
    rate = INVESTORS / a["seconds"]
    print_table(
        f"Onboard + issue {INVESTORS:,} investors (bulk, journaled) vs the naive web3.py loop ({NAIVE})",
        ["run", "seconds", "investors/s", "register txs", "rows/register tx", "mint txs", "rows/mint tx"],
        [
            ["(a) default anvil", a["seconds"], rate, a["register_txs"], a["rows_per_register_tx"], a["mint_txs"],
             a["rows_per_mint_tx"]],
            ["(b) naive loop", NAIVE / naive, naive, NAIVE, 1, NAIVE, 1],
            ["(d) EIP-7825 cap", d["seconds"], INVESTORS / d["seconds"], d["register_txs"], d["rows_per_register_tx"],
             d["mint_txs"], d["rows_per_mint_tx"]],
        ],
    )  # fmt: skip
    print()
    print_table(
        "Gas per investor (a) and the coupon push (c)",
        ["figure", "value"],
        [
            ["gas per investor (register + issue)", round(a["gas_per_investor"])],
            ["floor per investor (4 fresh slots + logs + calldata)", round(a["floor"])],
            ["ratio", a["gas_per_investor"] / a["floor"]],
            [f"(c) push to {c['holders']:,} holders: seconds", c["seconds"]],
            ["(c) push transactions", c["txs"]],
            ["(c) gas per holder paid", round(c["gas_per_holder"])],
        ],
    )
    print_figures(
        {
            "investors": INVESTORS,
            "seconds": round(a["seconds"], 3),
            "investors_per_second": round(rate, 1),
            "naive_investors_per_second": round(naive, 2),
            "speedup_vs_naive": round(rate / naive, 1),
            "gas_per_investor": round(a["gas_per_investor"]),
            "floor_gas_per_investor": round(a["floor"]),
            "coupon_push_seconds": round(c["seconds"], 3),
            "seconds_tx_cap": round(d["seconds"], 3),
        }
    )


if __name__ == "__main__":
    main()
