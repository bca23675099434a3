"""Tokenize gold bars and redeem one: 1 token = 1 fine troy ounce held in a Hong Kong vault.

A custodian lists three LBMA Good Delivery bars (serial, refiner, gross weight, fineness, vault); an auditor attests
the reserve; the issuer mints tokens to two KYC'd investors against that reserve, and a mint one ounce beyond it is
refused with its typed error (``TransferRestricted``, the gold token's ERC-1404 code 72) before anything is sent.
Then an investor asks for physical gold: the request escrows the tokens, and the custodian fulfils it by releasing
one bar, whose fine weight leaves the reserve as the escrowed tokens are burned.

Run: ``python examples/gold_bars.py`` (starts and stops its own anvil), or against a node you run:
``python examples/gold_bars.py --rpc-url http://127.0.0.1:8545`` with ``--private-key-env NAME`` to sign as the
issuer with your own key (the other parties are the node's dev accounts).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _script import run_example
from eth_account.signers.local import LocalAccount

from hktoken import (
    Attestation,
    Chain,
    GoldBar,
    GoldToken,
    Investor,
    InvestorClass,
    InvestorRegistry,
    TransferRestricted,
)

HONG_KONG = 344
VAULT = "HK Airport Vault"
BARS = [
    GoldBar(serial="HKAU-0001", refiner="Heraeus Hong Kong", gross_oz=Decimal("400.125"), fineness=9999, vault=VAULT),
    GoldBar(serial="HKAU-0002", refiner="Heraeus Hong Kong", gross_oz=Decimal("399.870"), fineness=9995, vault=VAULT),
    GoldBar(serial="HKAU-0003", refiner="PAMP Hong Kong", gross_oz=Decimal("410.000"), fineness=9999, vault=VAULT),
]
MINTS = {"alice": Decimal(800), "bob": Decimal(300)}


def oz(amount: Decimal) -> str:
    """1,234.5 oz (exact, no trailing zeros)."""
    return f"{amount.normalize():,f} oz"


def run(chain: Chain, accounts: Sequence[LocalAccount]) -> None:
    issuer, vault, auditor, alice, bob = accounts[:5]
    investors = {"alice": alice, "bob": bob}
    now = datetime.fromtimestamp(chain.timestamp(), tz=UTC)

    registry = InvestorRegistry.deploy(chain, issuer)
    registry.register(
        issuer,
        [Investor(id=f"HK-PI-{n:04d}", wallets=[account.address], country=HONG_KONG,
                  investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=now + timedelta(days=365))
         for n, account in enumerate(investors.values(), start=1)],
    )  # fmt: skip
    token = GoldToken.deploy(
        chain, issuer, name="HK Gold", symbol="HKAU", registry=registry, custodians=[vault.address],
        auditors=[auditor.address],
    )  # fmt: skip
    custodian = token.custodian
    print(f"gold token {token.symbol} at {token.address}, custodian {custodian.address}")

    custodian.add_bars(vault, BARS)
    for bar in custodian.bars():
        print(f"bar {bar.serial} ({bar.refiner}, {bar.vault}): {oz(bar.gross_oz)} gross x {bar.fineness}/10000 "
              f"= {oz(bar.fine_oz)} fine")  # fmt: skip
    print(f"reserve {oz(custodian.reserve_oz())} in {custodian.bar_count()} bars")

    report = b"HKAU reserve report: bars HKAU-0001 to HKAU-0003"
    custodian.attest(
        auditor,
        Attestation(report_hash=hashlib.sha256(report).digest(), uri="https://example.com/hkau/report.pdf",
                    ounces=custodian.reserve_oz(), as_of=datetime.fromtimestamp(chain.timestamp(), tz=UTC)),
    )  # fmt: skip
    attested = custodian.latest_attestation()
    assert attested is not None
    print(f"the auditor attested {oz(attested.ounces)}")

    token.batch_mint(issuer, [(investors[name].address, amount) for name, amount in MINTS.items()])
    print("minted: " + ", ".join(f"{name} {oz(amount)}" for name, amount in MINTS.items())
          + f"; headroom {oz(custodian.mint_headroom_oz())}")  # fmt: skip

    too_much = custodian.mint_headroom_oz() + 1
    try:
        token.mint(issuer, bob.address, too_much)
    except TransferRestricted as refused:
        print(f"mint of {oz(too_much)} refused: TransferRestricted(code={refused.code}, reason={refused.reason!r})")
    print(f"supply still {oz(token.total_supply())}")

    bar = BARS[0]
    request_id = custodian.redemption_id(custodian.request_redemption(alice, bar.fine_oz))
    print(f"alice requested physical gold: {oz(bar.fine_oz)} escrowed (request #{request_id})")
    custodian.fulfil(vault, request_id, [bar.serial])
    status = custodian.redemption(request_id).status.name
    print(f"the custodian released bar {bar.serial}: request #{request_id} {status}")

    for name, account in investors.items():
        print(f"final {name}: {oz(token.balance_of(account.address))}")
    print(f"final supply {oz(token.total_supply())}, reserve {oz(custodian.reserve_oz())} in "
          f"{custodian.bar_count()} bars, reserve ratio {token.reserve_ratio()}")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    return run_example(run, description="Tokenize gold bars and redeem one.", key_holder="issuer", argv=argv)


if __name__ == "__main__":
    sys.exit(main())
