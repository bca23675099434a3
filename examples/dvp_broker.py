"""A DvP trade submitted by a broker: bonds against HKD stablecoin, both legs in one transaction or neither.

A seller and a buyer each sign the same trade (EIP-712 typed data: asset, amount, payment, price, their nonces, an
expiry, and the broker allowed to submit it). The broker submits the pair to ``DvPSettlement``, which moves the
bonds to the buyer and the HKD to the seller atomically. A second trade, to a buyer whose KYC the registry does not
hold, is refused by the asset leg with ``TransferRestricted``: the HKD leg does not move either, and both parties'
nonces stay free.

Run: ``python examples/dvp_broker.py`` (starts and stops its own anvil), or against a node you run:
``python examples/dvp_broker.py --rpc-url http://127.0.0.1:8545`` with ``--private-key-env NAME`` to sign as the
issuer with your own key (the other parties are the node's dev accounts).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _script import run_example
from eth_account.signers.local import LocalAccount

from hktoken import (
    Chain,
    ComplianceRules,
    DvPSettlement,
    HKDStablecoin,
    Investor,
    InvestorClass,
    InvestorRegistry,
    RWAToken,
    TransferRestricted,
)

HONG_KONG = 344
BONDS = Decimal(500)
PRICE = Decimal("1001.25")  # HKD per bond


def run(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    issuer, broker, seller, buyer, stranger = accounts[:5]
    now = datetime.fromtimestamp(chain.timestamp(), tz=UTC)

    registry = InvestorRegistry.deploy(chain, issuer)
    registry.register(
        issuer,
        [Investor(id=name, wallets=[account.address], country=HONG_KONG,
                  investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=now + timedelta(days=365))
         for name, account in (("HK-PI-SELLER", seller), ("HK-PI-BUYER", buyer))],
    )  # fmt: skip
    hkd = HKDStablecoin.deploy(chain, issuer)
    bond = RWAToken.deploy(
        chain, issuer, name="HKSAR Green Bond 2028", symbol="HKGB28", decimals=0, registry=registry,
        rules=ComplianceRules(allowed_countries={HONG_KONG}),
    )  # fmt: skip
    dvp = DvPSettlement.deploy(chain, issuer)
    print(f"bond {bond.symbol} {bond.address}, HKD {hkd.address}, DvP {dvp.address}")

    bond.mint(issuer, seller.address, Decimal(1000))
    hkd.mint(issuer, buyer.address, Decimal(1_000_000))
    hkd.mint(issuer, stranger.address, Decimal(1_000_000))
    bond.approve(seller, dvp.address, Decimal(1000))
    hkd.approve(buyer, dvp.address, Decimal(1_000_000))
    hkd.approve(stranger, dvp.address, Decimal(1_000_000))

    def balances() -> str:
        return ", ".join(
            f"{name} {bond.balance_of(a.address)} {bond.symbol} HK${hkd.balance_of(a.address):,.2f}"
            for name, a in (("seller", seller), ("buyer", buyer), ("stranger", stranger))
        )

    print(f"before: {balances()}")
    expiry = max(now, datetime.now(UTC)) + timedelta(days=1)
    trade = dvp.trade(
        seller=seller.address, buyer=buyer.address, asset=bond, asset_amount=BONDS, payment=hkd,
        payment_amount=BONDS * PRICE, expiry=expiry, submitter=broker.address,
    )  # fmt: skip
    seller_signature, buyer_signature = dvp.sign(trade, seller), dvp.sign(trade, buyer)
    print(f"both parties signed trade {dvp.hash_trade(trade).hex()}: {BONDS} bonds for HK${BONDS * PRICE:,.2f}")
    receipt = dvp.settle(broker, trade, seller_signature, buyer_signature)
    print(f"the broker settled it in block {receipt['blockNumber']}: {balances()}")

    refused = dvp.trade(
        seller=seller.address, buyer=stranger.address, asset=bond, asset_amount=BONDS, payment=hkd,
        payment_amount=BONDS * PRICE, expiry=expiry, submitter=broker.address,
    )  # fmt: skip
    settled = balances()
    try:
        dvp.settle(broker, refused, dvp.sign(refused, seller), dvp.sign(refused, stranger))
    except TransferRestricted as refusal:
        print(f"trade to the unverified stranger refused: TransferRestricted(code={refusal.code}, "
              f"reason={refusal.reason!r})")  # fmt: skip
    free = not dvp.nonce_used(seller.address, refused.seller_nonce) and not dvp.nonce_used(
        stranger.address, refused.buyer_nonce
    )
    print(f"nothing moved: {balances() == settled}, both nonces still free: {free}")
    print(f"final: {balances()}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_example(
        run, description="A DvP trade signed by both parties and submitted by a broker.", key_holder="issuer", argv=argv
    )


if __name__ == "__main__":
    sys.exit(main())
