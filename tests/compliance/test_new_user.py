"""What a new user trips over first: a contract of the wrong kind handed to ``Wrapper.at``, and refusals whose
amounts and ids only made sense in base units and hex."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import HKDStablecoin, InvestorRegistry, RWAToken, SpecError, TransactionReverted
from hktoken.chain import Chain
from hktoken.contracts.base import ContractWrapper, deploy_contract
from hktoken.contracts.kinds import ERC7943_INTERFACE_ID, interface_id
from hktoken.testing import nothing_sent, reverts
from hktoken.testing.plugin import Kyc

TOKEN = "an RWAToken (ERC-7943 security token)"
REGISTRY = "an InvestorRegistry"
COIN = "an HKDStablecoin"
OTHER = "a contract of another kind"


def id32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


@pytest.fixture(scope="module")
def token(rwa_token_factory: Callable[..., RWAToken], kyc: Kyc, accounts: list[LocalAccount]) -> RWAToken:
    kyc(accounts[1].address, investor_id="HK-A")
    kyc(accounts[2].address, investor_id="HK-B")
    token = rwa_token_factory(decimals=2)
    token.mint(accounts[0], accounts[1].address, Decimal("100.00"))
    return token


@pytest.fixture(scope="module")
def plain_erc20(chain: Chain, accounts: list[LocalAccount]) -> str:
    return str(deploy_contract(chain, accounts[0], "PlainERC20", 10**18).address)


@pytest.fixture(scope="module")
def addresses(
    token: RWAToken, investor_registry: InvestorRegistry, hkd_stablecoin: HKDStablecoin, plain_erc20: str
) -> dict[str, str]:
    return {
        TOKEN: token.address,
        REGISTRY: investor_registry.address,
        COIN: hkd_stablecoin.address,
        OTHER: plain_erc20,
    }


WRAPPERS: list[tuple[type[ContractWrapper], str]] = [  # type: ignore[type-arg]
    (RWAToken, TOKEN),
    (InvestorRegistry, REGISTRY),
    (HKDStablecoin, COIN),
]
WRONG = [(wrapper, wanted, found) for wrapper, wanted in WRAPPERS for found in (TOKEN, REGISTRY, COIN, OTHER)
         if found != wanted]  # fmt: skip


def test_the_interface_ids_are_the_contracts_own(
    chain: Chain, token: RWAToken, investor_registry: InvestorRegistry
) -> None:
    assert token.supports_interface(ERC7943_INTERFACE_ID) is True
    assert interface_id(chain, "IInvestorRegistry") != ERC7943_INTERFACE_ID
    assert investor_registry.raw.supports_interface(interface_id(chain, "IInvestorRegistry")) is True
    assert token.supports_interface(interface_id(chain, "IInvestorRegistry")) is False


@pytest.mark.parametrize(("wrapper", "wanted"), WRAPPERS, ids=[w.__name__ for w, _ in WRAPPERS])
def test_the_right_kind_is_accepted(
    chain: Chain,
    addresses: dict[str, str],
    wrapper: type[ContractWrapper],
    wanted: str,  # type: ignore[type-arg]
) -> None:
    assert wrapper.at(chain, addresses[wanted]).address == addresses[wanted]


@pytest.mark.parametrize(
    ("wrapper", "wanted", "found"), WRONG, ids=[f"{w.__name__}-at-{f.split()[1]}" for w, _, f in WRONG]
)
def test_a_contract_of_the_wrong_kind_is_named(
    chain: Chain,
    accounts: list[LocalAccount],
    addresses: dict[str, str],
    wrapper: type[ContractWrapper],  # type: ignore[type-arg]
    wanted: str,
    found: str,
) -> None:
    with nothing_sent(chain, accounts[0]), pytest.raises(SpecError) as info:
        wrapper.at(chain, addresses[found])
    assert str(info.value) == (
        f"{addresses[found]} on chain {chain.chain_id} holds {found}, not {wanted}: pass the address of {wanted}"
    )


def test_amounts_show_token_units_beside_base_units(
    chain: Chain, accounts: list[LocalAccount], token: RWAToken
) -> None:
    alice, bob = accounts[1], accounts[2]
    with nothing_sent(chain, alice), reverts("ERC20InsufficientBalance", balance=10_000, needed=100_000) as refusal:
        token.transfer(alice, bob.address, Decimal("1000.00"))
    assert type(refusal.value) is TransactionReverted
    assert str(refusal.value) == (
        f"reverted with ERC20InsufficientBalance(sender={alice.address!r}, balance=100.00 (10000 base units), "
        "needed=1000.00 (100000 base units))"
    )
    assert refusal.value.arguments == {"sender": alice.address, "balance": 10_000, "needed": 100_000}
    assert token.balance_of(alice.address) == Decimal("100.00")


def test_allowance_amounts_in_token_units(chain: Chain, accounts: list[LocalAccount], token: RWAToken) -> None:
    alice, bob = accounts[1], accounts[2]
    with nothing_sent(chain, bob), pytest.raises(TransactionReverted) as info:
        token.transfer_from(bob, alice.address, bob.address, Decimal("1"))
    assert str(info.value) == (
        f"reverted with ERC20InsufficientAllowance(spender={bob.address!r}, allowance=0.00 (0 base units), "
        "needed=1.00 (100 base units))"
    )


def test_stablecoin_amounts_in_its_own_six_decimals(
    chain: Chain, accounts: list[LocalAccount], hkd_stablecoin: HKDStablecoin
) -> None:
    alice, bob = accounts[1], accounts[2]
    hkd_stablecoin.mint(accounts[0], alice.address, Decimal(100))
    with nothing_sent(chain, alice), pytest.raises(TransactionReverted) as info:
        hkd_stablecoin.transfer(alice, bob.address, Decimal(1000))
    assert str(info.value) == (
        f"reverted with ERC20InsufficientBalance(sender={alice.address!r}, balance=100.000000 (100000000 base units), "
        "needed=1000.000000 (1000000000 base units))"
    )


def test_investor_ids_show_as_text_beside_their_hex(
    chain: Chain, accounts: list[LocalAccount], token: RWAToken
) -> None:
    admin, alice, bob = accounts[0], accounts[1], accounts[2]
    with nothing_sent(chain, admin), pytest.raises(TransactionReverted) as info:
        token.recover(admin, alice.address, bob.address, "HK-B")
    assert str(info.value) == (
        f"reverted with RecoveryInvestorMismatch(lostWallet={alice.address!r}, newWallet={bob.address!r}, "
        f"investorId='HK-B' (0x{id32('HK-B').hex()}))"
    )
    assert info.value.arguments["investorId"] == id32("HK-B")  # raw bytes kept
