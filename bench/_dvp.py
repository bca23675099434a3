"""Gas of a DvP settlement (bench/gas.py wires ``measure`` in; run alone: ``python bench/_dvp.py``).

Every figure is the exact gasUsed of one transaction mined in its own block (anvil automine): nothing is warm from an
earlier call. The asset is an RWAToken (18 decimals) with a lock-up rule (over) and the country and class rules of
bench/gas.py; the payment token is the HKD stablecoin (6 decimals). Seller and buyer are verified investors who
already hold both tokens; their allowances to the settlement contract are the maximum (OpenZeppelin does not
rewrite a maximal allowance).

- ``dvp_settle_gas``: ``settle`` between parties who have settled before, so both nonce bitmap words are non-zero
  (the target case, <= 125,000).
- ``dvp_settle_gas_first_trade``: the same, but each party's first trade: both nonce words are fresh.
- ``dvp_settle_with_permits_gas``: ``settleWithPermits`` with an EIP-2612 permit for both legs (each party's second
  permit on each token, second trade; no allowance set before the permits).
- ``size_DvPSettlement``: runtime bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from eth_account.signers.local import LocalAccount

from hktoken import ComplianceRules, DvPSettlement, HKDStablecoin, Investor, InvestorClass, InvestorRegistry, RWAToken
from hktoken.artifacts import ArtifactStore
from hktoken.chain import Chain
from hktoken.models.dvp import Trade
from hktoken.units import UINT256_MAX

HONG_KONG = 344
EXPIRY = datetime(2100, 1, 1, tzinfo=UTC)  # fixed, so the signatures (hence the calldata gas) repeat run to run


def _settled_gas(settlement: DvPSettlement, submitter: LocalAccount, trade: Trade, *parties: LocalAccount) -> int:
    seller, buyer = parties
    receipt = settlement.settle(submitter, trade, settlement.sign(trade, seller), settlement.sign(trade, buyer))
    return int(receipt["gasUsed"])


def measure(chain: Chain, accounts: Sequence[LocalAccount], erc20_transfer_gas: int) -> dict[str, int | float]:
    """The DvP figures named in the module docstring (``erc20_transfer_gas`` is only shown beside them)."""
    admin, seller, buyer, permit_seller, permit_buyer, platform = accounts[:6]
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    registry = InvestorRegistry.deploy(chain, admin)
    registry.register(
        admin,
        [
            Investor(id=f"HK-DVP-{n}", wallets=[a.address], country=HONG_KONG,
                     investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry)
            for n, a in enumerate((seller, buyer, permit_seller, permit_buyer))
        ],
    )  # fmt: skip
    lockup = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=1)
    rules = ComplianceRules(
        allowed_countries={HONG_KONG}, required_classes={InvestorClass.PROFESSIONAL}, lockup_until=lockup
    )
    asset = RWAToken.deploy(
        chain, admin, name="HK Green Bond", symbol="HKGB", decimals=18, registry=registry, rules=rules
    )
    hkd = HKDStablecoin.deploy(chain, admin)
    settlement = DvPSettlement.deploy(chain, admin)
    for party in (seller, buyer, permit_seller, permit_buyer):
        asset.mint(admin, party.address, Decimal(1000))
        hkd.mint(admin, party.address, Decimal(1_000_000))
    for party in (seller, buyer):
        asset.raw.approve(party, settlement.address, UINT256_MAX)
        hkd.raw.approve(party, settlement.address, UINT256_MAX)
    chain.increase_time(2 * 86_400)  # the lock-up is configured, but over

    def trade(s: LocalAccount, b: LocalAccount) -> Trade:
        return settlement.trade(
            seller=s.address, buyer=b.address, asset=asset, asset_amount=Decimal(10), payment=hkd,
            payment_amount=Decimal("1050.25"), expiry=EXPIRY,
            submitter=platform.address,
        )  # fmt: skip

    first = _settled_gas(settlement, platform, trade(seller, buyer), seller, buyer)
    settle = _settled_gas(settlement, platform, trade(seller, buyer), seller, buyer)

    deadline = int(EXPIRY.timestamp())

    def with_permits() -> int:
        deal = trade(permit_seller, permit_buyer)
        receipt = settlement.settle_with_permits(
            platform, deal, settlement.sign(deal, permit_seller), settlement.sign(deal, permit_buyer),
            asset_permit=asset.sign_permit(permit_seller, settlement.address, deal.asset_amount, deadline=deadline),
            payment_permit=hkd.sign_permit(permit_buyer, settlement.address, deal.payment_amount, deadline=deadline),
        )  # fmt: skip
        return int(receipt["gasUsed"])

    with_permits()  # each party's first permit (fresh permit nonce) and first trade (fresh nonce word)
    permits = with_permits()
    size = (len(ArtifactStore().get(DvPSettlement.artifact_name).deployed_bytecode) - 2) // 2
    return {
        "dvp_settle_gas": settle,
        "dvp_settle_gas_first_trade": first,
        "dvp_settle_with_permits_gas": permits,
        "size_DvPSettlement": size,
    }


def _plain_erc20_transfer(chain: Chain, accounts: Sequence[LocalAccount]) -> int:
    from gas import plain_erc20  # bench/gas.py: the same baseline as every benchmark

    owner, holder, spender, *fresh = accounts[6:]
    return plain_erc20(chain, owner, holder, spender, list(fresh))["transfer_existing_holder"]


def main() -> None:
    from _table import print_figures, print_table

    from hktoken import Anvil

    node = Anvil(accounts=20)
    with node as chain:
        erc20 = _plain_erc20_transfer(chain, node.accounts)
        figures = measure(chain, node.accounts, erc20)
    print_table(
        "DvP settlement gas (exact; RWAToken asset against the HKD stablecoin, each transaction in its own block)",
        ["operation", "gas", "over a plain ERC-20 transfer"],
        [
            ("settle, parties who traded before (target <= 125,000)", figures["dvp_settle_gas"],
             round(figures["dvp_settle_gas"] / erc20, 4)),
            ("settle, each party's first trade", figures["dvp_settle_gas_first_trade"],
             round(figures["dvp_settle_gas_first_trade"] / erc20, 4)),
            ("settleWithPermits, both legs", figures["dvp_settle_with_permits_gas"],
             round(figures["dvp_settle_with_permits_gas"] / erc20, 4)),
            ("plain ERC-20 transfer (reference)", erc20, 1.0),
            ("DvPSettlement runtime bytes (budget 23,040)", figures["size_DvPSettlement"], ""),
        ],
    )  # fmt: skip
    print_figures(figures)


if __name__ == "__main__":
    main()
