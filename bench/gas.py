"""Gas benchmark: RWAToken against a plain OpenZeppelin ERC-20, side by side in one run, same compiler; the cost of
onboarding and issuing an investor against the floor of the storage layout; the size of every deployable contract
against the size budget.

Every figure is the exact gasUsed of one transaction mined in its own block (anvil automine), so no
storage slot or account is warm from an earlier call (EIP-2929 warmth is per transaction).
Run: ``python bench/gas.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import _bond
import _dvp
import _fund
import _gold
from _table import print_figures, print_table
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from hktoken import (
    Anvil,
    ComplianceRules,
    Investor,
    InvestorClass,
    InvestorRegistry,
    RWAToken,
)
from hktoken.artifacts import ArtifactStore
from hktoken.chain import Chain
from hktoken.contracts.base import deploy_contract

HONG_KONG, SINGAPORE, NORTH_KOREA = 344, 702, 408
UNIT = 10**18
SIZE_BUDGET = 23_040  # runtime bytes: EIP-170's 24,576 less 1,536 bytes of headroom for every deployable
EIP170_LIMIT = 24_576
BATCH = 100

# The floor of onboarding + issuing one investor in this layout (docs/contracts-spec.md, "Registry layout"): the
# fresh storage slots it cannot avoid, each a cold zero-to-non-zero SSTORE (20,000 + 2,100 for the cold access):
#   registry: the wallet's profile copy (the one slot a transfer reads), the id -> record word (primary wallet, key,
#   wallet count) and the key -> id word; token: the holder's account word (balance, freeze and holder bits).
FRESH_SLOTS = 4
FRESH_SLOT_GAS = 22_100
# Its logs: InvestorRegistered(id, wallet indexed; key, country, class, expiry, omnibus) is LOG3 with 5 data words,
# the mint's Transfer is LOG3 with 1 data word: 375 + 3 x 375 + 8 per data byte each.
LOG_GAS = (375 + 3 * 375 + 8 * 5 * 32) + (375 + 3 * 375 + 8 * 32)
# Its calldata (16 gas per non-zero byte, 4 per zero byte) is counted from the transactions sent.


def calldata_gas(data: bytes) -> int:
    return sum(16 if byte else 4 for byte in data)


def contract_sizes() -> dict[str, int]:
    """Runtime bytes of every deployable contract (internal-function libraries, which deploy nothing, left out)."""
    store = ArtifactStore()
    return {
        name: (len(store.get(name).deployed_bytecode) - 2) // 2
        for name in store.names()
        if store.get(name).deployable and any(item.get("type") == "function" for item in store.get(name).abi)
    }


def gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


def plain_erc20(
    chain: Chain, owner: LocalAccount, holder: LocalAccount, spender: LocalAccount, fresh: list[LocalAccount]
) -> dict[str, int]:
    token = deploy_contract(chain, owner, "PlainERC20", 1_000_000 * UNIT)
    address = token.address

    def send(signer: LocalAccount, fn: str, *args: object) -> TxReceipt:
        return chain.sender.send(signer, address, HexStr(token.encode_abi(fn, args=list(args))))

    send(owner, "transfer", holder.address, 10 * UNIT)
    send(owner, "approve", spender.address, 10 * UNIT)
    return {
        "transfer_new_holder": gas(send(owner, "transfer", fresh[0].address, UNIT)),
        "transfer_existing_holder": gas(send(owner, "transfer", holder.address, UNIT)),
        "transfer_from": gas(send(spender, "transferFrom", owner.address, holder.address, UNIT)),
    }


def onboard_and_issue(
    chain: Chain, admin: LocalAccount, registry: InvestorRegistry, token: RWAToken, tag: str, count: int
) -> tuple[int, int]:
    """Register ``count`` fresh single-wallet investors in one transaction and issue to each in another: (gas used,
    calldata gas) of the two transactions together."""
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    wallets = [Account.from_key(keccak(text=f"bench-{tag}-{n}")).address for n in range(count)]
    investors = [
        Investor(id=f"HK-{tag}-{n:05d}", wallets=[wallet], country=HONG_KONG,
                 investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry)
        for n, wallet in enumerate(wallets)
    ]  # fmt: skip
    receipts = [*registry.register(admin, investors), token.batch_mint(admin, [(w, Decimal(10)) for w in wallets])]
    used = sum(gas(r) for r in receipts)
    data = sum(calldata_gas(bytes(chain.w3.eth.get_transaction(r["transactionHash"])["input"])) for r in receipts)
    return used, data


def onboarding(chain: Chain, admin: LocalAccount, registry: InvestorRegistry, token: RWAToken) -> dict[str, int]:
    """Marginal gas per investor in batches (a batch of BATCH against one of BATCH - 1, from the same state), the
    average in a batch, and one more investor at a time (registerInvestor + mint) on a token that has holders."""
    snapshot = chain.snapshot()
    big, big_data = onboard_and_issue(chain, admin, registry, token, "A", BATCH)
    chain.revert(snapshot)
    small, small_data = onboard_and_issue(chain, admin, registry, token, "B", BATCH - 1)
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    wallet = Account.from_key(keccak(text="bench-single")).address
    single = Investor(id="HK-SINGLE", wallets=[wallet], country=HONG_KONG,
                      investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry)  # fmt: skip
    single_gas = gas(registry.register_investor(admin, single)[0]) + gas(token.mint(admin, wallet, Decimal(10)))
    marginal_data = big_data - small_data
    return {
        "onboard_issue_gas_per_investor": big - small,
        "onboard_issue_gas_average_batch": big // BATCH,
        "onboard_issue_gas_single": single_gas,
        "onboard_issue_floor_gas": FRESH_SLOTS * FRESH_SLOT_GAS + LOG_GAS + marginal_data,
        "onboard_issue_calldata_gas_per_investor": marginal_data,
    }


# Issue 8's targets for the asset lifecycles: (figure, comparison, bound).
ASSET_TARGETS = (
    ("bond_transfer_gas_ratio", "<=", 1.5),
    ("bond_transfer_gas_ratio_after_record", "<=", 1.6),
    ("dvp_settle_gas", "<=", 125_000),
)


def asset_figures(erc20_transfer_gas: int) -> dict[str, int | float]:
    """Each asset's figures (bench/_bond.py, _gold.py, _fund.py, _dvp.py), each on a fresh anvil of its own so no
    asset's time travel or warm state reaches another's."""
    figures: dict[str, int | float] = {}
    for measure in (_bond.measure, _gold.measure, _fund.measure, _dvp.measure):
        node = Anvil(accounts=20)
        with node as chain:
            figures |= measure(chain, node.accounts, erc20_transfer_gas)
    return figures


def print_asset_figures(figures: dict[str, int | float]) -> None:
    claim_1 = figures["coupon_claim_gas_1_coupon"]
    print_table(
        "asset lifecycles (exact gas; each transaction in its own block, nothing warm)",
        ["figure", "value", "target"],
        [
            ("bond transfer, no coupon pending (ratio to a plain ERC-20 transfer)", figures["bond_transfer_gas_ratio"],
             "<= 1.5"),
            ("bond transfer, first after a coupon record (ratio)", figures["bond_transfer_gas_ratio_after_record"],
             "<= 1.6"),
            ("bond transfer at 10 / 1,000 holders", f"{figures['bond_transfer_gas']:,} / "
             f"{figures['transfer_gas_1000_holders']:,}", "equal"),
            ("coupon claim at 10 / 1,000 holders", f"{figures['coupon_claim_gas_10_holders']:,} / "
             f"{figures['coupon_claim_gas_1000_holders']:,}", "equal"),
            ("coupon claim of 8 coupons / of 1", f"{figures['coupon_claim_gas_many_coupons']:,} / {claim_1:,} "
             f"(+{(figures['coupon_claim_gas_many_coupons'] / claim_1 - 1) * 100:.1f}%)", "within 5%"),
            ("DvP settlement between existing holders", figures["dvp_settle_gas"], "<= 125,000"),
            ("gold mint (proof-of-reserve check included)", figures["gold_mint_gas"], ""),
            ("fund strike (1 / 20 requests)", f"{figures['fund_strike_gas_1_request']:,} / "
             f"{figures['fund_strike_gas_20_requests']:,}", "equal"),
            ("fund claim", figures["fund_claim_gas"], ""),
        ],
    )  # fmt: skip
    for name, _, bound in ASSET_TARGETS:
        print(f"{name} = {figures[name]} ({'meets' if figures[name] <= bound else 'MISSES'} <= {bound})")


def main() -> None:
    node = Anvil(accounts=20)
    with node as chain:
        accounts = node.accounts
        admin, alice, bob, spender, carol, dave, erin = accounts[:7]
        fresh = accounts[7:]
        plain = plain_erc20(chain, admin, bob, spender, fresh)

        registry = InvestorRegistry.deploy(chain, admin)
        expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
        investors = [
            Investor(
                id=f"HK-PI-{n}",
                wallets=[acct.address],
                country=HONG_KONG,
                investor_class=InvestorClass.PROFESSIONAL,
                kyc_expiry=expiry,
            )
            for n, acct in enumerate((alice, bob, spender, carol, dave))
        ]
        registry.register(admin, investors)
        register_gas = gas(
            registry.register_investor(
                admin,
                Investor(
                    id="HK-PI-NEW",
                    wallets=[erin.address],
                    country=HONG_KONG,
                    investor_class=InvestorClass.PROFESSIONAL,
                    kyc_expiry=expiry,
                ),
            )[0]
        )

        lockup_end = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=30)
        three_rules = ComplianceRules(
            allowed_countries={HONG_KONG}, required_classes={InvestorClass.PROFESSIONAL}, lockup_until=lockup_end
        )
        token = RWAToken.deploy(
            chain,
            admin,
            name="HK Green Bond",
            symbol="HKGB",
            decimals=18,
            registry=registry,
            treasury=admin.address,
            rules=three_rules,
        )
        mint_first = gas(token.mint(admin, alice.address, Decimal(1000)))
        token.mint(admin, bob.address, Decimal(10))
        token.mint(admin, spender.address, Decimal(10))
        mint_existing = gas(token.mint(admin, alice.address, Decimal(1)))
        chain.increase_time(31 * 24 * 3600)  # the lock-up is still configured, but over

        rwa = {
            "transfer_new_holder": gas(token.transfer(alice, carol.address, Decimal(1))),
            "transfer_existing_holder": gas(token.transfer(alice, bob.address, Decimal(1))),
        }
        token.approve(alice, spender.address, Decimal(10))
        rwa["transfer_from"] = gas(token.transfer_from(spender, alice.address, bob.address, Decimal(1)))
        rwa["mint_existing_holder"] = mint_existing
        rwa["mint_new_holder"] = mint_first
        rwa["forced_transfer"] = gas(token.forced_transfer(admin, alice.address, bob.address, Decimal(1)))
        rwa["register_investor"] = register_gas

        token.mint(admin, dave.address, Decimal(10))
        token.freeze_partial(admin, dave.address, Decimal(1))  # a freeze elsewhere: transfers now read freeze slots
        rwa["transfer_existing_holder_freezes_elsewhere"] = gas(token.transfer(alice, bob.address, Decimal(1)))
        token.unfreeze_partial(admin, dave.address, Decimal(1))

        token.apply_rules(
            admin,
            ComplianceRules(
                allowed_countries={HONG_KONG},
                blocked_countries={NORTH_KOREA},
                required_classes={InvestorClass.PROFESSIONAL},
                lockup_until=lockup_end,
                max_holders=1000,
                max_balance_per_investor=Decimal(1_000_000),
                minimum_transfer=Decimal("0.5"),
                denomination=Decimal("0.5"),
                supply_cap=Decimal(10_000_000),
            ),
        )
        rwa["transfer_existing_holder_all_rules"] = gas(token.transfer(alice, bob.address, Decimal(1)))

        plain_token = RWAToken.deploy(
            chain, admin, name="Onboarding", symbol="ONB", decimals=18, registry=registry,
            admin_module=token.admin_module(),
        )  # fmt: skip
        onboard = onboarding(chain, admin, registry, plain_token)

    ratio = rwa["transfer_existing_holder"] / plain["transfer_existing_holder"]
    ratio_all = rwa["transfer_existing_holder_all_rules"] / plain["transfer_existing_holder"]
    ratio_frozen = rwa["transfer_existing_holder_freezes_elsewhere"] / plain["transfer_existing_holder"]
    rows = [
        ("transfer to an existing holder", plain["transfer_existing_holder"], rwa["transfer_existing_holder"]),
        ("transfer to a new holder", plain["transfer_new_holder"], rwa["transfer_new_holder"]),
        ("transferFrom", plain["transfer_from"], rwa["transfer_from"]),
        ("transfer, every rule active", "", rwa["transfer_existing_holder_all_rules"]),
        ("transfer, a wallet frozen elsewhere", "", rwa["transfer_existing_holder_freezes_elsewhere"]),
        ("mint to an existing holder", "", rwa["mint_existing_holder"]),
        ("mint to a new holder", "", rwa["mint_new_holder"]),
        ("forced transfer", "", rwa["forced_transfer"]),
        ("register an investor (1 wallet)", "", rwa["register_investor"]),
    ]
    print_table(
        "gas per transaction (exact; RWAToken rules: country allow-list, investor class, lock-up)",
        ["operation", "plain ERC-20", "RWAToken"],
        rows,
    )
    print(f"transfer_gas_ratio = {ratio:.3f} (target <= 1.45); all rules = {ratio_all:.3f} (target <= 1.85)")
    print(f"with a wallet of the token frozen elsewhere (freezes live in the account word): {ratio_frozen:.3f}")
    print()
    print_table(
        f"onboarding + issuance per investor (register + mint; batches of {BATCH}, marginal)",
        ["figure", "gas"],
        [
            ("marginal, in batches (target <= 120,000)", onboard["onboard_issue_gas_per_investor"]),
            ("average in a batch", onboard["onboard_issue_gas_average_batch"]),
            ("one at a time: registerInvestor + mint (target <= 185,000)", onboard["onboard_issue_gas_single"]),
            (f"floor: {FRESH_SLOTS} fresh slots + logs + calldata", onboard["onboard_issue_floor_gas"]),
        ],
    )
    print()
    assets = asset_figures(plain["transfer_existing_holder"])
    print_asset_figures(assets)
    sizes = contract_sizes()
    print()
    print_table(
        f"runtime size of every deployable contract (budget {SIZE_BUDGET:,} bytes; EIP-170 {EIP170_LIMIT:,})",
        ["contract", "bytes", "headroom"],
        [(name, size, SIZE_BUDGET - size) for name, size in sorted(sizes.items())],
    )
    print_figures(
        {"plain_" + k: v for k, v in plain.items()}
        | {"rwa_" + k: v for k, v in rwa.items()}
        | onboard
        | assets
        | {f"size_{name}": size for name, size in sizes.items()}
        | {f"headroom_{name}": SIZE_BUDGET - size for name, size in sizes.items()}
        | {
            "transfer_gas_ratio": round(ratio, 4),
            "transfer_gas_ratio_all_rules": round(ratio_all, 4),
            "transfer_gas_ratio_freezes_elsewhere": round(ratio_frozen, 4),
        }
    )


if __name__ == "__main__":
    main()
