"""Gas of tokenized gold (contracts/assets/gold): a mint with its proof-of-reserve check, a bar listed, a transfer
between holders, and the size of each gold deployable.

Every figure is the exact gasUsed of one transaction mined in its own block (anvil automine), so nothing is warm
from an earlier call. ``measure`` is wired into ``bench/gas.py``; run ``python bench/_gold.py`` for this part alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from hktoken import GoldToken, Investor, InvestorClass, InvestorRegistry
from hktoken.artifacts import ArtifactStore
from hktoken.chain import Chain
from hktoken.models.gold import GoldBar

GOLD_DEPLOYABLES = ("GoldToken", "GoldCustodian")
HONG_KONG = 344
INTAKE = 100


def _gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


def _bar(serial: str) -> GoldBar:
    return GoldBar(serial=serial, refiner="Heraeus Hong Kong", gross_oz=Decimal("400.125"), fineness=9999,
                   vault="HK Airport Vault")  # fmt: skip


def _deploy(chain: Chain, admin: LocalAccount, holders: Sequence[LocalAccount]) -> GoldToken:
    registry = InvestorRegistry.deploy(chain, admin)
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    registry.register(
        admin,
        [
            Investor(id=f"GOLD-BENCH-{n}", wallets=[h.address], country=HONG_KONG,
                     investor_class=InvestorClass.PROFESSIONAL, kyc_expiry=expiry)
            for n, h in enumerate(holders)
        ],
    )  # fmt: skip
    return GoldToken.deploy(chain, admin, name="HK Gold", symbol="HKAU", registry=registry)


def sizes() -> dict[str, int]:
    """Runtime bytes of each gold deployable."""
    store = ArtifactStore()
    return {f"size_{name}": (len(store.get(name).deployed_bytecode) - 2) // 2 for name in GOLD_DEPLOYABLES}


def measure(chain: Chain, accounts: Sequence[LocalAccount], erc20_transfer_gas: int) -> dict[str, int | float]:
    """``gold_mint_gas`` (a mint to an existing holder, reserve check included), ``gold_add_bar_gas`` (one bar
    listed in custody that already holds bars), ``gold_transfer_gas`` (between existing holders) and the sizes.
    ``accounts[0]`` deploys and holds every duty; ``accounts[1]`` and ``[2]`` are the holders."""
    del erc20_transfer_gas  # the gold figures are absolute; bench/gas.py sets them beside the plain ERC-20
    admin, alice, bob = accounts[0], accounts[1], accounts[2]
    token = _deploy(chain, admin, [alice, bob])
    custodian = token.custodian
    custodian.add_bars(admin, [_bar("BENCH-0001"), _bar("BENCH-0002"), _bar("BENCH-0003")])
    add_bar = _gas(custodian.add_bars(admin, [_bar("BENCH-0004")]))
    token.mint(admin, alice.address, Decimal(1000))
    token.mint(admin, bob.address, Decimal(10))
    mint = _gas(token.mint(admin, alice.address, Decimal(1)))
    transfer = _gas(token.transfer(alice, bob.address, Decimal(1)))
    return {"gold_mint_gas": mint, "gold_add_bar_gas": add_bar, "gold_transfer_gas": transfer} | sizes()


def _context(chain: Chain, accounts: Sequence[LocalAccount]) -> dict[str, int]:
    """Figures for the table only: the RWAToken mint it compares with, a redemption, and a batch intake."""
    from hktoken import RWAToken

    admin, alice, bob, carol = accounts[0], accounts[3], accounts[4], accounts[5]
    token = _deploy(chain, admin, [alice, bob, carol])
    custodian = token.custodian
    intake = _gas(custodian.add_bars(admin, [_bar(f"INTAKE-{n:04d}") for n in range(INTAKE)]))
    token.mint(admin, alice.address, Decimal(1000))
    request = _gas(custodian.request_redemption(alice, Decimal(400)))
    fulfil = _gas(custodian.fulfil(admin, 1, ["INTAKE-0000"]))
    remove = _gas(custodian.remove_bars(admin, ["INTAKE-0001"]))
    rwa = RWAToken.deploy(
        chain, admin, name="Plain", symbol="PLN", decimals=18, registry=token.raw.registry(),
        admin_module=token.admin_module(),
    )  # fmt: skip
    rwa.mint(admin, carol.address, Decimal(10))
    rwa_mint = _gas(rwa.mint(admin, carol.address, Decimal(1)))
    return {
        "intake_per_bar": intake // INTAKE,
        "request_redemption": request,
        "fulfil_one_bar": fulfil,
        "remove_one_bar": remove,
        "rwa_mint": rwa_mint,
    }


def main() -> None:
    from _table import print_figures, print_table
    from gas import plain_erc20

    from hktoken import Anvil

    node = Anvil(accounts=20)
    with node as chain:
        accounts = node.accounts
        plain = plain_erc20(chain, accounts[10], accounts[11], accounts[12], list(accounts[13:]))
        erc20 = plain["transfer_existing_holder"]
        figures = measure(chain, accounts, erc20)
        context = _context(chain, accounts)
    rows = [
        ("mint to an existing holder (reserve check included)", figures["gold_mint_gas"]),
        ("  RWAToken mint to an existing holder, for comparison", context["rwa_mint"]),
        ("list one bar (custody already holds bars)", figures["gold_add_bar_gas"]),
        (f"list bars in a batch of {INTAKE}, per bar", context["intake_per_bar"]),
        ("remove one bar (reserve check included)", context["remove_one_bar"]),
        ("transfer between existing holders", figures["gold_transfer_gas"]),
        ("  plain ERC-20 transfer, for comparison", erc20),
        ("request a redemption (permit + escrow)", context["request_redemption"]),
        ("fulfil a redemption with one bar (burn included)", context["fulfil_one_bar"]),
        ("size GoldToken (bytes; budget 23,040)", figures["size_GoldToken"]),
        ("size GoldCustodian (bytes; budget 23,040)", figures["size_GoldCustodian"]),
    ]
    print_table("tokenized gold (exact gasUsed, one transaction per block)", ["figure", "value"], rows)
    print(f"gold transfer over a plain ERC-20 transfer: {figures['gold_transfer_gas'] / erc20:.4f}")
    print_figures(figures)


if __name__ == "__main__":
    main()
