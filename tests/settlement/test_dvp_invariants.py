"""Random sequences of settlements, cancellations and freezes between a handful of parties (one never verified),
with nonces drawn from a small pool so replays and collisions are frequent. After every step: each settlement
either moved both legs exactly and used both nonces, or moved nothing and used nothing; a Python model predicts
which, from the parties' verification, freezes, balances and nonces; both tokens' supplies are conserved and every
party's nonce bitmap equals the model's. Derandomised (fixed seeds, bounded steps) for CI; HKTOKEN_FUZZ_SEEDS=1,2,...
and HKTOKEN_FUZZ_STEPS=N run a longer campaign."""

from __future__ import annotations

import os
import random
from decimal import Decimal

import pytest

from hktoken import DvPSettlement, RWAToken
from hktoken.errors import TransactionReverted
from tests.assets.conftest import Market
from tests.compliance._helpers import MAX_UINT, extra_account, fund
from tests.compliance._helpers import when as chain_when

NONCES = [0, 1, 2, 255, 256, 2**200]
WORDS = sorted({n >> 8 for n in NONCES})


@pytest.mark.invariants
@pytest.mark.parametrize("seed", [int(s) for s in os.environ.get("HKTOKEN_FUZZ_SEEDS", "1,2").split(",")])
def test_random_settlements_are_all_or_nothing(market: Market, seed: int) -> None:
    rng = random.Random(seed)
    chain, hkd = market.chain, market.hkd
    names = [f"DVP-FUZZ-{seed}-{n}" for n in range(4)]
    parties = market.onboard(*names, hkd=2_000)
    outsider = extra_account(f"dvp-fuzz-outsider-{seed}")  # never verified
    fund(chain, outsider)
    everyone = [*parties, outsider]
    token = RWAToken.deploy(
        chain, market.admin, name="Fuzz", symbol="FZ", decimals=2, registry=market.registry,
        treasury=market.treasury.address, roles=market.roles, admin_module=market.admin_module,
    )  # fmt: skip
    dvp = DvPSettlement.deploy(chain, market.admin)
    hkd.mint(market.admin, outsider.address, Decimal(2_000))
    for p in parties:
        token.mint(market.issuer, p.address, Decimal(50))
    for p in everyone:
        token.raw.approve(p, dvp.address, MAX_UINT)
        hkd.raw.approve(p, dvp.address, MAX_UINT)
    used: set[tuple[str, int]] = set()
    frozen: set[str] = set()
    supplies = (token.raw.total_supply(), hkd.raw.total_supply())
    settled = refused = 0

    def balances() -> dict[str, tuple[int, int]]:
        return {p.address: (token.raw_balance_of(p.address), hkd.raw_balance_of(p.address)) for p in everyone}

    for _step in range(int(os.environ.get("HKTOKEN_FUZZ_STEPS", "30"))):
        action = rng.random()
        if action < 0.1:
            who = rng.choice(parties).address
            frozen.symmetric_difference_update({who})
            token.set_address_frozen(market.agent, who, who in frozen)
            continue
        if action < 0.2:
            signer, nonce = rng.choice(everyone), rng.choice(NONCES)
            try:
                dvp.raw.cancel(signer, nonce)
                assert (signer.address, nonce) not in used
                used.add((signer.address, nonce))
            except TransactionReverted as exc:
                assert exc.error == "NonceAlreadyUsed" and (signer.address, nonce) in used
            continue
        seller, buyer = rng.sample(everyone, 2)
        amount, price = rng.randint(1, 3000), rng.randint(1, 900_000_000)  # up to 30 tokens, 900 HKD
        trade = dvp.trade(
            seller=seller.address, buyer=buyer.address, asset=token, asset_amount=Decimal(amount) / 100,
            payment=hkd, payment_amount=Decimal(price) / 10**6, expiry=chain_when(chain, 3600),
            seller_nonce=rng.choice(NONCES), buyer_nonce=rng.choice(NONCES),
        )  # fmt: skip
        before = balances()
        expected = (
            seller.address != outsider.address
            and buyer.address != outsider.address
            and seller.address not in frozen
            and buyer.address not in frozen
            and before[seller.address][0] >= amount
            and before[buyer.address][1] >= price
            and (seller.address, trade.seller_nonce) not in used
            and (buyer.address, trade.buyer_nonce) not in used
        )
        try:
            dvp.raw.settle(market.admin, trade.as_struct(), dvp.sign(trade, seller), dvp.sign(trade, buyer))
            ok = True
        except TransactionReverted:
            ok = False
        after = balances()
        assert ok == expected, (seed, _step, trade)
        if ok:
            settled += 1
            used.update({(seller.address, trade.seller_nonce), (buyer.address, trade.buyer_nonce)})
            moved = {seller.address: (-amount, price), buyer.address: (amount, -price)}
            for address, (asset_delta, cash_delta) in moved.items():
                assert after[address] == (before[address][0] + asset_delta, before[address][1] + cash_delta)
            assert all(after[a] == before[a] for a in after if a not in moved)
        else:
            refused += 1
            assert after == before
        assert (token.raw.total_supply(), hkd.raw.total_supply()) == supplies
        for p in everyone:
            for word in WORDS:
                bits = sum(1 << (n & 0xFF) for n in NONCES if n >> 8 == word and (p.address, n) in used)
                assert dvp.raw.nonce_bitmap(p.address, word) == bits
    assert settled >= 3 and refused >= 3, (settled, refused)  # both outcomes were exercised
