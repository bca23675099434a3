"""Bond benchmark (contracts/assets/bond): transfer gas settled and after a coupon record, claim gas at 10 and at
1,000 holders and for one claim covering 8 coupons, and the size of every bond deployable.

Every figure is the exact gasUsed of one transaction mined in its own block (anvil automine), so nothing is warm
from an earlier call. The 10- and 1,000-holder figures are measured from the same snapshot, at the same timestamps,
so they differ only by the 990 extra holders. The bond runs the same three rules as RWAToken's figures in
``bench/gas.py`` (country allow-list, investor class, lock-up). Run: ``python bench/_bond.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from hktoken import (
    Anvil,
    BondTerms,
    BondToken,
    ComplianceRules,
    HKDStablecoin,
    InvestorClass,
    InvestorRegistry,
)
from hktoken.artifacts import ArtifactStore
from hktoken.chain import Chain

HONG_KONG = 344
DAY = 86_400
COUPONS = 9  # one claim then covers coupons 1..8 after a claim of coupon 0 elsewhere
HOLDERS = 10
MORE_HOLDERS = 990
CHUNK = 99
BOND_DEPLOYABLES = ("BondToken", "BondPayingAgent")


def gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


def _wallet(tag: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(keccak(text=f"bench-bond-{tag}"))
    return account


def _register(chain: Chain, admin: LocalAccount, registry: InvestorRegistry, wallets: Sequence[str], tag: str) -> None:
    expiry = chain.timestamp() + 5 * 365 * DAY
    for start in range(0, len(wallets), CHUNK):
        chunk = wallets[start : start + CHUNK]
        n = len(chunk)
        ids = [f"BOND-{tag}-{start + i:05d}".encode().ljust(32, b"\0") for i in range(n)]
        registry.raw.batch_register_investors(
            admin, ids, list(chunk), [HONG_KONG] * n, [int(InvestorClass.PROFESSIONAL)] * n, [expiry] * n, [False] * n
        )


def _mint(bond: BondToken, admin: LocalAccount, wallets: Sequence[str]) -> None:
    for start in range(0, len(wallets), CHUNK):
        bond.batch_mint(admin, [(w, Decimal(10)) for w in wallets[start : start + CHUNK]])


def sizes() -> dict[str, int]:
    """Runtime bytes of every bond deployable."""
    store = ArtifactStore()
    return {f"size_{name}": (len(store.get(name).deployed_bytecode) - 2) // 2 for name in BOND_DEPLOYABLES}


def measure(chain: Chain, accounts: Sequence[LocalAccount], erc20_transfer_gas: int) -> dict[str, int | float]:
    """The bond's figures (see the module docstring); ``erc20_transfer_gas`` is a plain ERC-20 transfer between
    existing holders measured in the same run."""
    outer = chain.snapshot()  # the chain is left as it was found (this travels 240 days ahead)
    try:
        return _measure(chain, accounts, erc20_transfer_gas)
    finally:
        chain.revert(outer)


def _measure(chain: Chain, accounts: Sequence[LocalAccount], erc20_transfer_gas: int) -> dict[str, int | float]:
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    holders = [_wallet(f"holder-{n}") for n in range(HOLDERS)]
    for h in holders:
        chain.set_balance(h.address, 10**21)
    _register(chain, admin, registry, [h.address for h in holders], "A")

    t0 = chain.timestamp()
    dates = [t0 + (n + 1) * 30 * DAY for n in range(COUPONS)]
    terms = BondTerms(
        isin="HK0000098498", currency="HKD", payment_token=hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=450, coupon_frequency=2,
        issue_date=datetime.fromtimestamp(t0 - DAY, tz=UTC), maturity_date=datetime.fromtimestamp(dates[-1], tz=UTC),
        coupon_dates=tuple(datetime.fromtimestamp(d, tz=UTC) for d in dates),
    )  # fmt: skip
    rules = ComplianceRules(
        allowed_countries={HONG_KONG},
        required_classes={InvestorClass.PROFESSIONAL},
        lockup_until=datetime.fromtimestamp(t0 + DAY, tz=UTC),
    )
    bond = BondToken.deploy(
        chain, admin, name="HKSAR Green Bond", symbol="HKGB", decimals=18, registry=registry, rules=rules,
        terms=terms,
    )  # fmt: skip
    agent = bond.paying_agent
    _mint(bond, admin, [h.address for h in holders])
    bond.mint(admin, admin.address, Decimal(1000))  # the treasury's own bonds
    hkd.mint(admin, admin.address, Decimal(100_000_000))
    hkd.raw.approve(admin, agent.address, 2**255)
    for h in holders:  # investors hold cash already: a claim then credits a non-zero balance
        hkd.mint(admin, h.address, Decimal(1))
    chain.set_next_block_timestamp(t0 + 2 * DAY)  # past the lock-up, before the first record
    chain.mine()

    alice, bob, carol, erin = holders[0], holders[1], holders[2], holders[4]
    figures: dict[str, int | float] = {}

    def lifecycle() -> dict[str, int]:
        out = {"transfer": gas(bond.transfer(alice, bob.address, Decimal(1)))}  # settled: no coupon pending
        chain.set_next_block_timestamp(dates[0])
        out["after_record"] = gas(bond.transfer(alice, bob.address, Decimal(1)))  # both sides cross coupon 0
        agent.fund_coupon(admin, 0)
        out["claim_1"] = gas(agent.claim(carol))  # one coupon
        chain.set_next_block_timestamp(dates[7])
        chain.mine()
        for k in range(1, 8):
            agent.fund_coupon(admin, k)
        out["claim_8"] = gas(agent.claim(erin))  # coupons 0..7 in one claim
        return out

    snapshot = chain.snapshot()
    ten = lifecycle()
    chain.revert(snapshot)
    more = [_wallet(f"more-{n}").address for n in range(MORE_HOLDERS)]
    _register(chain, admin, registry, more, "B")
    _mint(bond, admin, more)
    chain.set_next_block_timestamp(t0 + 3 * DAY)
    chain.mine()
    thousand = lifecycle()
    assert bond.holder_count() == HOLDERS + MORE_HOLDERS  # the treasury is no investor

    figures["bond_transfer_gas"] = ten["transfer"]
    figures["bond_transfer_after_record_gas"] = ten["after_record"]
    figures["bond_transfer_gas_ratio"] = round(ten["transfer"] / erc20_transfer_gas, 4)
    figures["bond_transfer_gas_ratio_after_record"] = round(ten["after_record"] / erc20_transfer_gas, 4)
    figures["transfer_gas_1000_holders"] = thousand["transfer"]
    figures["coupon_claim_gas_1_coupon"] = ten["claim_1"]
    figures["coupon_claim_gas_10_holders"] = ten["claim_1"]
    figures["coupon_claim_gas_1000_holders"] = thousand["claim_1"]
    figures["coupon_claim_gas_many_coupons"] = ten["claim_8"]
    figures |= sizes()
    return figures


def main() -> None:
    from _table import print_figures, print_table
    from gas import plain_erc20

    node = Anvil(accounts=20)
    with node as chain:
        accounts = node.accounts
        plain = plain_erc20(chain, accounts[0], accounts[1], accounts[2], list(accounts[7:]))
        erc20 = plain["transfer_existing_holder"]
        figures = measure(chain, accounts[10:], erc20)
    print_table(
        "bond gas per transaction (exact, each in its own block)",
        ["operation", "gas", "over a plain ERC-20 transfer"],
        [
            ("plain ERC-20 transfer (existing holder)", erc20, ""),
            ("bond transfer, no coupon pending (target ratio <= 1.5)", figures["bond_transfer_gas"],
             figures["bond_transfer_gas_ratio"]),
            ("bond transfer, first after a record (target <= 1.6)", figures["bond_transfer_after_record_gas"],
             figures["bond_transfer_gas_ratio_after_record"]),
            ("bond transfer with 1,000 holders", figures["transfer_gas_1000_holders"], ""),
            ("claim of 1 coupon, 10 holders", figures["coupon_claim_gas_10_holders"], ""),
            ("claim of 1 coupon, 1,000 holders", figures["coupon_claim_gas_1000_holders"], ""),
            ("claim of 8 coupons (target within 5% of 1)", figures["coupon_claim_gas_many_coupons"], ""),
        ],
    )  # fmt: skip
    print()
    print_table(
        "runtime size (budget 23,040 bytes)",
        ["contract", "bytes"],
        [(k, v) for k, v in figures.items() if k.startswith("size_")],
    )
    print_figures(figures)


if __name__ == "__main__":
    main()
