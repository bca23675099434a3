"""Gas of the ETF share class: the strike of a dealing epoch (the same with 1 and with 20 requests: no loop over
requests), a subscription claim, a request, a share transfer between existing holders, and the size of every fund
deployable.

Every figure is the exact gasUsed of one transaction mined in its own block (anvil automine), measured from the same
snapshot, so nothing is warm from an earlier call. Run: ``python bench/_fund.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _table import print_figures, print_table
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from hktoken import (
    Anvil,
    FundRoles,
    FundTerms,
    FundToken,
    HKDStablecoin,
    Investor,
    InvestorClass,
    InvestorRegistry,
    RWAToken,
)
from hktoken.artifacts import ArtifactStore
from hktoken.chain import Chain
from hktoken.contracts.fund import FundAdministrator

HONG_KONG = 344
PARTICIPANTS = 20
SEVERAL = 5  # APs in the headline strike, each with a subscription and a redemption
FUND_DEPLOYABLES = ("FundToken", "FundAdministrator")


def _gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


def _participants(chain: Chain, registry: InvestorRegistry, admin: LocalAccount) -> list[LocalAccount]:
    """PARTICIPANTS verified APs, then the verified manager wallet that receives the management fee."""
    aps: list[LocalAccount] = [Account.from_key(keccak(text=f"bench-fund-ap-{n}")) for n in range(PARTICIPANTS + 1)]
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    registry.register(
        admin,
        [
            Investor(id=f"HK-AP-{n:02d}", wallets=[ap.address], country=HONG_KONG,
                     investor_class=InvestorClass.INSTITUTIONAL, kyc_expiry=expiry)
            for n, ap in enumerate(aps)
        ],
    )  # fmt: skip
    for ap in aps:
        chain.set_balance(ap.address, 10**21)
    return aps


def _publish(chain: Chain, adm: FundAdministrator, signer: LocalAccount, nav: str) -> None:
    chain.increase_time(3600)
    chain.mine()
    as_of = datetime.fromtimestamp(chain.timestamp() - 60, tz=UTC)
    adm.publish_nav(signer, adm.nav_strike(nav, as_of))


def measure(chain: Chain, accounts: Sequence[LocalAccount], erc20_transfer_gas: int) -> dict[str, int | float]:
    """The fund figures, on contracts of its own (registry, HKD, admin module): ``accounts[:4]`` are the admin, the
    fund admin, the cash account and the fee receiver (funded, otherwise unused). ``erc20_transfer_gas`` is not
    among the figures: ``main`` prints the share transfer's ratio to it."""
    admin, fund_admin, cash, fees = accounts[:4]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    *aps, manager = _participants(chain, registry, admin)
    terms = FundTerms(
        payment_token=hkd.address, cash_account=cash.address, fee_receiver=fees.address,
        creation_unit=Decimal(1000), initial_nav=Decimal(10), max_nav_age=timedelta(days=1),
        nav_move_bound_bps=500, subscription_fee_bps=10, redemption_fee_bps=20,
        management_fee_bps=50, management_fee_receiver=manager.address,
    )  # fmt: skip
    token = FundToken.deploy(
        chain, admin, name="Bench ETF", symbol="BETF", decimals=18, registry=registry,
        admin_module=RWAToken.deploy_admin_module(chain, admin), terms=terms,
        fund_roles=FundRoles(fund_admins=[fund_admin.address], participants=[ap.address for ap in aps]),
    )  # fmt: skip
    adm = token.administrator()
    # Every AP (and the manager) already holds shares and cash, and has approved the administrator for both
    # (approvals are not the request's cost); the cash account and the fee receiver already hold HKD. The
    # management fee is 0.5% a year, so every strike also mints the fee accrued since the last one.
    token.batch_mint(admin, [(ap.address, Decimal(5000)) for ap in [*aps, manager]])
    hkd.mint(admin, cash.address, Decimal(10_000_000))
    hkd.mint(admin, fees.address, Decimal(1))
    hkd.raw.approve(cash, adm.address, 2**256 - 1)
    for ap in aps:
        hkd.mint(admin, ap.address, Decimal(1_000_000))
        hkd.raw.approve(ap, adm.address, 2**256 - 1)
        token.raw.approve(ap, adm.address, 2**256 - 1)
    _publish(chain, adm, fund_admin, "10")  # strike an empty first epoch: the figures are of a later one
    adm.strike(fund_admin)

    def strike_gas(redemptions: int, subscriptions: int) -> int:
        snapshot = chain.snapshot()
        for ap in aps[:redemptions]:
            adm.raw.request_redemption(ap, 1000 * 10**18)
        for ap in aps[:subscriptions]:
            adm.raw.request_subscription(ap, 20_020 * 10**6)
        _publish(chain, adm, fund_admin, "10.01")
        used = _gas(adm.strike(fund_admin))
        chain.revert(snapshot)
        return used

    figures: dict[str, int | float] = {
        "fund_strike_gas": strike_gas(SEVERAL, SEVERAL),
        "fund_strike_gas_1_request": strike_gas(1, 0),
        "fund_strike_gas_20_requests": strike_gas(PARTICIPANTS, 0),
    }
    # A request by an AP with none yet in an epoch that already has one; then the claim of a struck subscription
    # (mint to a holder, cost to the cash account, fee, refund) and a share transfer between two holders.
    snapshot = chain.snapshot()
    adm.raw.request_subscription(aps[1], 25_000 * 10**6)
    figures["fund_request_gas"] = _gas(adm.raw.request_subscription(aps[0], 25_000 * 10**6))
    _publish(chain, adm, fund_admin, "10.01")
    adm.strike(fund_admin)
    figures["fund_claim_gas"] = _gas(adm.raw.claim_subscription(aps[0], 2))
    chain.revert(snapshot)
    figures["fund_transfer_gas"] = _gas(token.raw.transfer(aps[0], aps[1].address, 10**18))
    store = ArtifactStore()
    for name in FUND_DEPLOYABLES:
        figures[f"size_{name}"] = (len(store.get(name).deployed_bytecode) - 2) // 2
    return figures


def main() -> None:
    from gas import plain_erc20

    node = Anvil(accounts=20)
    with node as chain:
        accounts = node.accounts
        plain = plain_erc20(chain, accounts[0], accounts[1], accounts[2], list(accounts[10:]))
        figures = measure(chain, accounts[4:], plain["transfer_existing_holder"])
    erc20 = plain["transfer_existing_holder"]
    print_table(
        "ETF share class (gasUsed, one transaction per block)",
        ["operation", "gas"],
        [
            (f"strike: {SEVERAL} APs, a subscription and a redemption each (+ fee mint)", figures["fund_strike_gas"]),
            ("strike: 1 redemption request", figures["fund_strike_gas_1_request"]),
            (f"strike: {PARTICIPANTS} redemption requests", figures["fund_strike_gas_20_requests"]),
            ("subscription request", figures["fund_request_gas"]),
            ("subscription claim (mint, cost, fee, refund)", figures["fund_claim_gas"]),
            ("share transfer between holders", figures["fund_transfer_gas"]),
            ("  over a plain ERC-20 transfer", round(int(figures["fund_transfer_gas"]) / erc20, 4)),
        ],
    )
    print_table(
        "runtime size of the fund deployables (budget 23,040 bytes)",
        ["contract", "bytes"],
        [(name, figures[f"size_{name}"]) for name in FUND_DEPLOYABLES],
    )
    print_figures(figures)


if __name__ == "__main__":
    main()
