"""Every privileged function of RWAToken, InvestorRegistry and HKDStablecoin, called from every role-holder
that must not have it and from a plain holder: ``MissingRole`` naming the caller and the needed role, and
nothing changes. A positive control per function proves the right role-holder can call it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import HKDStablecoin, MissingRole, SpecError
from hktoken.abi import python_name
from hktoken.contracts.base import ContractWrapper, role_id
from hktoken.testing import reverts

from ._helpers import (
    HK,
    KP,
    YEAR,
    World,
    call_requests,
    extra_account,
    fund,
    id32,
    investor,
    raw_batch,
    unchanged,
)

ADMIN, ISSUER, AGENT, PAUSER, COMPLIANCE, REGISTRAR = (
    "DEFAULT_ADMIN_ROLE", "ISSUER_ROLE", "AGENT_ROLE", "PAUSER_ROLE", "COMPLIANCE_ROLE", "REGISTRAR_ROLE",
)  # fmt: skip
CALLERS = ("admin", "issuer", "agent", "pauser", "compliance", "registrar", "holder")
HOLDS = {  # contract -> role -> the one caller holding it
    "token": {ADMIN: "admin", ISSUER: "issuer", AGENT: "agent", PAUSER: "pauser", COMPLIANCE: "compliance"},
    "registry": {ADMIN: "admin", REGISTRAR: "registrar"},
    "coin": {ADMIN: "admin", ISSUER: "issuer", COMPLIANCE: "compliance", PAUSER: "pauser"},
}
DOC = b"prospectus".ljust(32, b"\0")


@dataclass
class Rl:
    w: World
    coin: HKDStablecoin
    callers: dict[str, LocalAccount]
    h1: str
    h2: str
    other: str
    fresh: str  # an address nobody registered

    def contract(self, key: str) -> ContractWrapper[Any]:
        return {"token": self.w.token, "registry": self.w.registry, "coin": self.coin}[key]


@pytest.fixture(scope="module")
def rl(world: World, accounts: list[LocalAccount]) -> Rl:
    chain, admin = world.chain, world.admin
    holder, h2, other = accounts[6], accounts[7], accounts[8]
    registrar, fresh = extra_account("registrar"), extra_account("fresh")
    fund(chain, registrar)
    world.registry.register(admin, [investor(chain, "HOLDER", [holder, h2]), investor(chain, "OTHER", [other])])
    # The registrar duty moves to its own account.
    world.registry.grant_role(admin, REGISTRAR, registrar.address)
    world.registry.revoke_role(admin, REGISTRAR, admin.address)
    token = world.token
    token.batch_mint(world.issuer, [(holder.address, 100), (other.address, 100)])
    token.raw.freeze_partial_tokens(world.agent, holder.address, 1)  # so an unfreeze can succeed
    token.set_document(admin, "prospectus", "ipfs://prospectus", b"\x11" * 32)
    coin = HKDStablecoin.deploy(chain, admin)
    for role, account in ((ISSUER, accounts[1]), (COMPLIANCE, accounts[4]), (PAUSER, accounts[3])):
        coin.grant_role(admin, role, account.address)
        coin.revoke_role(admin, role, admin.address)
    coin.mint(accounts[1], accounts[1].address, 1000)  # so the issuer can burn
    callers = {
        "admin": admin, "issuer": world.issuer, "agent": world.agent, "pauser": world.pauser,
        "compliance": world.compliance, "registrar": registrar, "holder": holder,
    }  # fmt: skip
    return Rl(world, coin, callers, holder.address, h2.address, other.address, fresh.address)


def test_role_names_come_from_each_contracts_abi(rl: Rl) -> None:
    expected = {
        "token": {ADMIN, ISSUER, AGENT, PAUSER, COMPLIANCE},
        "registry": {ADMIN, REGISTRAR},
        "coin": {ADMIN, ISSUER, COMPLIANCE, PAUSER},
    }
    for key, roles in expected.items():
        contract = rl.contract(key)
        assert roles <= set(contract.roles), key
        for role in contract.roles:
            # the contract's own constant is the hash the name gives, and the decoder knows the name
            assert getattr(contract.raw, python_name(role))() == contract.role(role) == role_id(role)
            assert rl.w.chain.decoder.role_name(role_id(role)) == role
    with pytest.raises(SpecError, match=r"^InvestorRegistry has no role 'AGENT_ROLE': use one of DEFAULT_ADMIN_ROLE"):
        rl.w.registry.has_role(AGENT, rl.h1)
    assert rl.w.chain.decoder.role_name(b"\x01" * 32) == "0x" + "01" * 32


def test_duties_are_held_by_different_accounts(rl: Rl) -> None:
    for key, holds in HOLDS.items():
        contract = rl.contract(key)
        for role, holder in holds.items():
            for caller, account in rl.callers.items():
                assert contract.has_role(role, account.address) is (caller == holder), (key, role, caller)


# --------------------------------------------------------------------------------------------- the functions

Args = Callable[[Rl], Sequence[Any]]


def _expiry(rl: Rl) -> int:
    return rl.w.chain.timestamp() + YEAR


FUNCTIONS: list[tuple[str, str, str, Args]] = [
    # ISSUER_ROLE
    ("token", "mint", ISSUER, lambda r: (r.h1, 1)),
    ("token", "batchMint", ISSUER, lambda r: ([r.h1, r.other], [1, 2])),
    ("token", "burn", ISSUER, lambda r: (r.h1, 1)),
    ("token", "batchBurn", ISSUER, lambda r: ([r.h1, r.other], [1, 2])),
    # AGENT_ROLE
    ("token", "setAddressFrozen", AGENT, lambda r: (r.h1, True)),
    ("token", "batchSetAddressFrozen", AGENT, lambda r: ([r.h1, r.other], [True, True])),
    ("token", "freezePartialTokens", AGENT, lambda r: (r.h1, 1)),
    ("token", "batchFreezePartialTokens", AGENT, lambda r: ([r.h1, r.other], [1, 1])),
    ("token", "unfreezePartialTokens", AGENT, lambda r: (r.h1, 1)),
    ("token", "batchUnfreezePartialTokens", AGENT, lambda r: ([r.h1], [1])),
    ("token", "setFrozenTokens", AGENT, lambda r: (r.h1, 5)),
    ("token", "forcedTransfer", AGENT, lambda r: (r.h1, r.other, 1)),
    ("token", "batchForcedTransfer", AGENT, lambda r: ([r.h1, r.other], [r.other, r.h1], [1, 3])),
    ("token", "recoveryAddress", AGENT, lambda r: (r.h1, r.h2, id32("HOLDER"))),
    # PAUSER_ROLE
    ("token", "pause", PAUSER, lambda r: ()),
    ("token", "unpause", PAUSER, lambda r: ()),
    # COMPLIANCE_ROLE
    ("token", "setAllowedCountries", COMPLIANCE, lambda r: ([HK], True)),
    ("token", "setBlockedCountries", COMPLIANCE, lambda r: ([KP], True)),
    ("token", "setRequiredInvestorClasses", COMPLIANCE, lambda r: (0x04,)),
    ("token", "setMaxHolders", COMPLIANCE, lambda r: (10,)),
    ("token", "setMaxBalancePerInvestor", COMPLIANCE, lambda r: (10**30,)),
    ("token", "setLockupUntil", COMPLIANCE, lambda r: (_expiry(r),)),
    ("token", "setMinimumTransfer", COMPLIANCE, lambda r: (1,)),
    ("token", "setDenomination", COMPLIANCE, lambda r: (2,)),
    ("token", "setSupplyCap", COMPLIANCE, lambda r: (10**30,)),
    # DEFAULT_ADMIN_ROLE
    ("token", "setTreasury", ADMIN, lambda r: (r.fresh,)),
    ("token", "setDocument", ADMIN, lambda r: (b"terms".ljust(32, b"\0"), "ipfs://terms", b"\x22" * 32)),
    ("token", "removeDocument", ADMIN, lambda r: (DOC,)),
    ("token", "setMintRateLimit", ADMIN, lambda r: (r.callers["issuer"].address, 10, 60)),
    ("token", "grantRole", ADMIN, lambda r: (role_id(ISSUER), r.callers["holder"].address)),
    ("token", "revokeRole", ADMIN, lambda r: (role_id(AGENT), r.callers["agent"].address)),
    # REGISTRAR_ROLE
    ("registry", "registerInvestor", REGISTRAR, lambda r: (id32("NEW"), r.fresh, HK, 2, _expiry(r), False)),
    ("registry", "addWallet", REGISTRAR, lambda r: (id32("HOLDER"), r.fresh)),
    ("registry", "removeWallet", REGISTRAR, lambda r: (r.h2,)),
    ("registry", "updateInvestor", REGISTRAR, lambda r: (id32("HOLDER"), HK, 3, True)),
    ("registry", "renewKyc", REGISTRAR, lambda r: (id32("HOLDER"), _expiry(r) + 1)),
    ("registry", "revokeInvestor", REGISTRAR, lambda r: (id32("HOLDER"),)),
    ("registry", "reinstateInvestor", REGISTRAR, lambda r: (id32("HOLDER"),)),
    ("registry", "batchRegisterInvestors", REGISTRAR,
     lambda r: ([id32("NEW")], [r.fresh], [HK], [2], [_expiry(r)], [False])),
    ("registry", "batchAddWallets", REGISTRAR, lambda r: ([id32("OTHER")], [r.fresh])),
    ("registry", "batchRemoveWallets", REGISTRAR, lambda r: ([r.h2],)),
    ("registry", "batchUpdateInvestors", REGISTRAR, lambda r: ([id32("OTHER")], [KP], [1], [False])),
    ("registry", "batchRenewKyc", REGISTRAR, lambda r: ([id32("OTHER")], [_expiry(r) + 2])),
    ("registry", "batchRevokeInvestors", REGISTRAR, lambda r: ([id32("OTHER")],)),
    ("registry", "batchReinstateInvestors", REGISTRAR, lambda r: ([id32("OTHER")],)),
    ("registry", "grantRole", ADMIN, lambda r: (role_id(REGISTRAR), r.callers["holder"].address)),
    ("registry", "revokeRole", ADMIN, lambda r: (role_id(REGISTRAR), r.callers["registrar"].address)),
    # HKDStablecoin
    ("coin", "mint", ISSUER, lambda r: (r.h1, 10)),
    ("coin", "burn", ISSUER, lambda r: (10,)),
    ("coin", "blockAccount", COMPLIANCE, lambda r: (r.h1,)),
    ("coin", "unblockAccount", COMPLIANCE, lambda r: (r.h1,)),
    ("coin", "pause", PAUSER, lambda r: ()),
    ("coin", "unpause", PAUSER, lambda r: ()),
    ("coin", "grantRole", ADMIN, lambda r: (role_id(ISSUER), r.callers["holder"].address)),
    ("coin", "revokeRole", ADMIN, lambda r: (role_id(PAUSER), r.callers["pauser"].address)),
]  # fmt: skip

# State a call needs to be able to succeed (applied before the refused calls too: they fail for the role alone).
PREPARE: dict[tuple[str, str], Callable[[Rl], Any]] = {
    ("token", "unpause"): lambda r: r.w.token.raw.pause(r.callers["pauser"]),
    ("coin", "unpause"): lambda r: r.coin.raw.pause(r.callers["pauser"]),
    ("coin", "unblockAccount"): lambda r: r.coin.raw.block_account(r.callers["compliance"], r.h1),
    ("registry", "reinstateInvestor"): lambda r: r.w.registry.raw.revoke_investor(
        r.callers["registrar"], id32("HOLDER")
    ),
    ("registry", "batchReinstateInvestors"): lambda r: r.w.registry.raw.revoke_investor(
        r.callers["registrar"], id32("OTHER")
    ),
}


_FINGERPRINT_REQUESTS: dict[int, list[Any]] = {}


def _fingerprint(rl: Rl) -> list[str]:
    """Token, registry, stablecoin and role state, raw, in one round trip."""
    if id(rl) not in _FINGERPRINT_REQUESTS:
        token, registry, coin = rl.w.token, rl.w.registry, rl.coin
        people = [a.address for a in rl.callers.values()] + [rl.h2, rl.other, rl.fresh]
        calls: list[Any] = [
            (registry.address, "lastKey", [], [], []),
            (registry.address, "packedProfilesOf", ["address", "address"], [rl.h1, rl.h2], []),
            (registry.address, "packedProfilesOf", ["address", "address"], [rl.other, rl.fresh], []),
            (registry.address, "walletsOf", ["bytes32"], [id32("HOLDER")], []),
            (registry.address, "investor", ["bytes32"], [id32("OTHER")], []),
            (token.address, "getAllDocuments", [], [], []),
            (token.address, "mintRateLimit", ["address"], [rl.callers["issuer"].address], []),
            (token.address, "allowedCountries", [], [], []),
            (token.address, "blockedCountries", [], [], []),
            (token.address, "rules", [], [], []),
            (token.address, "paused", [], [], []),
            (token.address, "treasury", [], [], []),
            (token.address, "totalSupply", [], [], []),
            (coin.address, "totalSupply", [], [], []),
            (coin.address, "paused", [], [], []),
            (coin.address, "isBlocked", ["address"], [rl.h1], []),
            (coin.address, "balanceOf", ["address"], [rl.h1], []),
        ]
        for account in people:
            calls += [
                (token.address, "balanceOf", ["address"], [account], []),
                (token.address, "getFrozenTokens", ["address"], [account], []),
                (token.address, "isFrozen", ["address"], [account], []),
            ]
        for key, holds in HOLDS.items():
            contract = rl.contract(key)
            for role in holds:
                for account in people:
                    calls.append((contract.address, "hasRole", ["bytes32", "address"], [role_id(role), account], []))
        _FINGERPRINT_REQUESTS[id(rl)] = call_requests(calls)
    return raw_batch(rl.w.chain, _FINGERPRINT_REQUESTS[id(rl)])


NEGATIVE = [
    pytest.param(key, fn, role, args, caller, id=f"{key}.{fn}-by-{caller}")
    for key, fn, role, args in FUNCTIONS
    for caller in CALLERS
    if HOLDS[key].get(role) != caller
]


@pytest.mark.parametrize(("key", "function", "role", "args", "caller"), NEGATIVE)
def test_privileged_function_refuses_other_roles(
    rl: Rl, key: str, function: str, role: str, args: Args, caller: str
) -> None:
    contract, signer = rl.contract(key), rl.callers[caller]
    if (key, function) in PREPARE:
        PREPARE[key, function](rl)
    call_args = args(rl)
    missing = reverts("AccessControlUnauthorizedAccount", account=signer.address, neededRole=role_id(role))
    with unchanged(rl.w.chain, signer, watch=lambda: _fingerprint(rl)), missing as refusal:
        getattr(contract.raw, python_name(function))(signer, *call_args)
    exc = refusal.value
    assert isinstance(exc, MissingRole)
    assert exc.role == role
    assert exc.account == signer.address
    assert exc.arguments == {"account": signer.address, "neededRole": role_id(role)}


@pytest.mark.parametrize(
    ("key", "function", "role", "args"),
    [pytest.param(*f, id=f"{f[0]}.{f[1]}") for f in FUNCTIONS],
)
def test_privileged_function_works_for_its_role(rl: Rl, key: str, function: str, role: str, args: Args) -> None:
    contract = rl.contract(key)
    signer = rl.callers[HOLDS[key][role]]
    if (key, function) in PREPARE:
        PREPARE[key, function](rl)
    before = _fingerprint(rl)
    receipt = getattr(contract.raw, python_name(function))(signer, *args(rl))
    assert receipt["status"] == 1
    assert contract.event_names(receipt), f"{function} changed state without an event"
    assert _fingerprint(rl) != before
