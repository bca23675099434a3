"""The storage layout the hot path relies on, checked on EVERY deployable token (RWAToken and each asset token on
RWATokenBase): the ERC-7201 namespace, the hot config word, the per-wallet account word and the packed slots.

The namespace is not in solc's storageLayout output, so the layout is read back from chain with eth_getStorageAt
after setting known values, which checks what the assembly and the bit masks assume, not what the source says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken.artifacts import ArtifactStore
from hktoken.chain import Chain
from hktoken.contracts.base import deploy_contract
from hktoken.contracts.gold import GoldCustodian, _create_address
from hktoken.contracts.token import RWAToken

from ._helpers import PRO, World, extra_account, investor

_NAMESPACE_ID = int.from_bytes(keccak(text="hktoken.storage.RWAToken"), "big") - 1
NAMESPACE = int.from_bytes(keccak(_NAMESPACE_ID.to_bytes(32, "big")), "big") & ~0xFF  # ERC-7201
# Members of TokenStorage.Layout, in slot order from the namespace root.
CONFIG, ACCOUNTS, SUPPLY, AMOUNTS, HOLDERS, MAX_BALANCE = range(6)
FROZEN_AMOUNTS = 11
# OpenZeppelin's own state (ERC20, EIP712, Nonces, AccessControl, Pausable): everything else is in the namespace.
OZ_STATE = [
    "_balances", "_allowances", "_totalSupply", "_name", "_symbol", "_nameFallback", "_versionFallback", "_nonces",
    "_roles", "_paused",
]  # fmt: skip
STORE = ArtifactStore()
TOKENS = sorted(
    name
    for name in STORE.names()
    if STORE.get(name).deployable
    and any(item.get("name") == "detectTransferRestriction" for item in STORE.get(name).abi)
)


def test_the_namespace_root_is_the_erc7201_slot_the_source_declares() -> None:
    source = Path(__file__).resolve().parents[2] / "contracts" / "compliance" / "TokenStorage.sol"
    assert f"0x{NAMESPACE:064x}" in source.read_text()
    assert TOKENS == ["BondToken", "ExtensionProbeToken", "FundToken", "GoldToken", "RWAToken"]


@pytest.mark.parametrize("name", TOKENS)
def test_every_token_keeps_its_own_state_in_the_namespace(name: str) -> None:
    storage = STORE.get(name).storage_layout["storage"]
    assert [item["label"] for item in storage] == OZ_STATE


def _constructor_args(name: str, w: World, module: str, chain: Chain) -> list[Any]:
    """Constructor arguments by parameter name: a new asset token with another parameter must be added here."""
    values: dict[str, Any] = {
        "name_": "Layout", "symbol_": "LAY", "decimals_": 18, "registry_": w.registry.address,
        "admin": w.admin.address, "treasury_": w.treasury.address, "adminModule_": module,
        "closesAt_": chain.timestamp() + 10**6,
        "managementFeeBps_": 0, "managementFeeReceiver_": w.treasury.address,
        "isin_": b"HK0000098498", "paymentToken_": w.registry.address,
        "terms_": [10**9, 450, 2, chain.timestamp(), chain.timestamp() + 10**7, 0, 0x484B44],
        "couponDates_": [chain.timestamp() + 10**6],
    }  # fmt: skip
    constructor = next(i for i in STORE.get(name).abi if i.get("type") == "constructor")
    if any(i["name"] == "custodian_" for i in constructor["inputs"]):
        values["custodian_"] = _gold_custodian(w, chain)
    return [values[i["name"]] for i in constructor["inputs"]]


def _gold_custodian(w: World, chain: Chain) -> str:
    """A GoldCustodian naming the token deployed next (the admin's fourth transaction from now) with one 400 oz bar,
    so the layout test's mint is within the gold reserve."""
    token = _create_address(w.admin.address, chain.w3.eth.get_transaction_count(w.admin.address, "pending") + 3)
    custodian = GoldCustodian.deploy_artifact(chain, w.admin, w.admin.address, token)
    custodian.grant_role(w.admin, "CUSTODIAN_ROLE", w.admin.address)
    custodian.raw.add_bars(w.admin, [(b"L-1".ljust(32, b"\0"), bytes(32), bytes(32), 400_000, 9999)])
    return custodian.address


@pytest.fixture(scope="module")
def holder(world: World, accounts: list[LocalAccount]) -> LocalAccount:
    world.registry.register(world.admin, [investor(world.chain, "LAYOUT", [accounts[6]], klass=PRO)])
    return accounts[6]


@pytest.fixture(params=TOKENS)
def token(request: pytest.FixtureRequest, world: World, holder: LocalAccount) -> RWAToken:
    name = request.param
    w = world
    contract = deploy_contract(w.chain, w.admin, name, *_constructor_args(name, w, w.token.admin_module(), w.chain))
    wrapped = RWAToken(w.chain, contract.address)
    roles = ("ISSUER_ROLE", "AGENT_ROLE", "PAUSER_ROLE", "COMPLIANCE_ROLE")
    wrapped.grant_roles(w.admin, {role: [w.admin.address] for role in roles})
    return wrapped


def _slot(chain: Chain, token: RWAToken) -> Callable[[int], int]:
    def read(slot: int) -> int:
        return int.from_bytes(chain.w3.eth.get_storage_at(token.address, slot), "big")

    return read


def _mapping_slot(key: str, member: int) -> int:
    return int.from_bytes(keccak(bytes(12) + bytes.fromhex(key[2:]) + (NAMESPACE + member).to_bytes(32, "big")), "big")


def test_the_hot_word_packs_pause_treasury_lockup_classes_and_flags(world: World, token: RWAToken) -> None:
    w, raw = world, token.raw
    read = _slot(w.chain, token)
    treasury = extra_account("layout-treasury").address
    raw.set_treasury(w.admin, treasury)
    raw.set_lockup_until(w.admin, 2**64 - 2)
    raw.set_required_investor_classes(w.admin, 0x0C)
    raw.set_max_holders(w.admin, 7)
    raw.set_supply_cap(w.admin, 2**128 - 1)
    raw.pause(w.admin)
    word = read(NAMESPACE + CONFIG)
    assert word & 0xFF == 1  # paused (OpenZeppelin Pausable's flag, kept here)
    assert (word >> 8) & (2**160 - 1) == int(treasury, 16)
    assert (word >> 168) & (2**64 - 1) == 2**64 - 2
    assert (word >> 232) & 0xFF == 0x0C
    flags = (word >> 240) & 0xFF
    assert flags == raw.rules()[2] == (1 << 2) | (1 << 6)  # max holders, supply cap
    assert word >> 248 == 0
    assert read(NAMESPACE + HOLDERS) & (2**32 - 1) == 7  # maxHolders packed with holderCount
    assert read(NAMESPACE + SUPPLY) >> 128 == 2**128 - 1  # the cap beside the supply
    raw.unpause(w.admin)
    assert read(NAMESPACE + CONFIG) & 0xFF == 0 and token.paused() is False


def test_the_account_word_packs_balance_freezes_and_holder_state(
    world: World, token: RWAToken, holder: LocalAccount
) -> None:
    w, raw, wallet = world, token.raw, holder.address
    read = _slot(w.chain, token)
    raw.mint(w.admin, wallet, 5 * 10**18)
    raw.freeze_partial_tokens(w.admin, wallet, 2 * 10**18)
    word = read(_mapping_slot(wallet, ACCOUNTS))
    assert word & (2**128 - 1) == 5 * 10**18
    assert (word >> 128) & 1 == 0  # not address-frozen
    assert (word >> 129) & 1 == 1  # a frozen amount is stored ...
    assert read(_mapping_slot(wallet, FROZEN_AMOUNTS)) == 2 * 10**18  # ... here
    assert (word >> 130) & 1 == 1  # counted toward its (single-wallet) investor
    assert (word >> 136) & 0xFF == 0  # no other counted wallet of the investor
    raw.set_address_frozen(w.admin, wallet, True)
    assert (read(_mapping_slot(wallet, ACCOUNTS)) >> 128) & 1 == 1
    assert read(NAMESPACE + SUPPLY) & (2**128 - 1) == raw.total_supply() == 5 * 10**18
    assert (read(NAMESPACE + HOLDERS) >> 32) & (2**32 - 1) == raw.holder_count() == 1
