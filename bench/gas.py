"""Gas benchmark: RWAToken against a plain OpenZeppelin ERC-20, side by side in one run, same compiler.

Every figure is the exact gasUsed of one transaction mined in its own block (anvil automine), so no
storage slot or account is warm from an earlier call (EIP-2929 warmth is per transaction).
Run: ``python bench/gas.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _table import print_figures, print_table
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3.types import TxReceipt

from hktoken import (
    Anvil,
    ComplianceRules,
    Investor,
    InvestorClass,
    InvestorRegistry,
    RWAToken,
)
from hktoken.chain import Chain
from hktoken.contracts.base import deploy_contract

HONG_KONG, SINGAPORE, NORTH_KOREA = 344, 702, 408
UNIT = 10**18


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
    print(f"transfer_gas_ratio = {ratio:.3f} (target <= 1.5); all rules = {ratio_all:.3f} (target <= 2.0)")
    print(f"with any wallet of the token frozen (freeze slots then read on every transfer): {ratio_frozen:.3f}")
    print_figures(
        {"plain_" + k: v for k, v in plain.items()}
        | {"rwa_" + k: v for k, v in rwa.items()}
        | {
            "transfer_gas_ratio": round(ratio, 4),
            "transfer_gas_ratio_all_rules": round(ratio_all, 4),
            "transfer_gas_ratio_freezes_elsewhere": round(ratio_frozen, 4),
        }
    )


if __name__ == "__main__":
    main()
