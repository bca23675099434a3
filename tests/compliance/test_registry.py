"""InvestorRegistry: every write with its events and views, every bad input (on chain and refused in Python
before anything is sent), the wallet cap, retired wallets, and the packed profile word."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken import Investor, InvestorProfile, InvestorRegistry, RWAToken, SpecError, TransactionReverted
from hktoken.abi import python_name
from hktoken.artifacts import ArtifactStore
from hktoken.contracts.base import deploy_contract
from hktoken.testing import reverts

from ._helpers import (
    DAY,
    HK,
    INST,
    PRO,
    RETAIL,
    SG,
    YEAR,
    ZERO,
    World,
    batch_call,
    event_args,
    extra_account,
    id32,
    investor,
    unchanged,
    when,
)


@dataclass
class Rg:
    w: World
    alice: LocalAccount  # ALICE (key 1), HK professional, 1 wallet
    two: RWAToken  # a 2-decimal token (all duties with the admin), alice holds 100
    wallets: list[str]  # fresh, never registered

    @property
    def registry(self) -> InvestorRegistry:
        return self.w.registry

    def regstate(self) -> list[Any]:
        """Registry state a refused write must leave untouched."""
        r = self.registry.address
        calls: list[Any] = [
            (r, "lastKey", [], [], ["uint48"]),
            (r, "walletsOf", ["bytes32"], [id32("ALICE")], ["address[]"]),
            (r, "investor", ["bytes32"], [id32("ALICE")], ["(uint48,uint64,uint16,uint8,bool,bool)"]),
            (r, "investor", ["bytes32"], [id32("NEW")], ["(uint48,uint64,uint16,uint8,bool,bool)"]),
        ]
        for wallet in [self.alice.address, *self.wallets[:3]]:
            calls.append((r, "profileOf", ["address"], [wallet], ["(uint48,uint64,uint16,uint8,bool,bool)"]))
            calls.append((r, "isRetired", ["address"], [wallet], ["bool"]))
        return batch_call(self.w.chain, calls)


@pytest.fixture(scope="module")
def rg(world: World, accounts: list[LocalAccount]) -> Rg:
    alice = accounts[6]
    world.registry.register_investor(world.admin, investor(world.chain, "ALICE", [alice]))
    two = RWAToken.deploy(world.chain, world.admin, name="Two", symbol="TWO", decimals=2, registry=world.registry)
    two.mint(world.admin, alice.address, 100)
    wallets: list[str] = [extra_account(f"wallet-{i}").address for i in range(20)]
    return Rg(world, alice, two, wallets)


# --------------------------------------------------------------------------------------------- writes


def test_register_investor_events_and_views(rg: Rg) -> None:
    registry, chain, admin = rg.registry, rg.w.chain, rg.w.admin
    b1, b2 = rg.wallets[:2]
    expiry = when(chain, YEAR)
    receipts = registry.register_investor(
        admin, Investor(id="BOB", wallets=[b1, b2], country=SG, investor_class=INST, kyc_expiry=expiry, omnibus=True)
    )
    # One event registers the investor with its primary wallet; further wallets each get `WalletAdded`.
    assert [registry.event_names(r) for r in receipts] == [["InvestorRegistered"], ["WalletAdded"]]
    ts = int(expiry.timestamp())
    assert event_args(registry, receipts[0], "InvestorRegistered") == [
        {"id": id32("BOB"), "wallet": b1, "key": 2, "country": SG, "investorClass": 3, "kycExpiry": ts,
         "omnibus": True}
    ]  # fmt: skip
    assert event_args(registry, receipts[1], "WalletAdded") == [{"id": id32("BOB"), "wallet": b2}]
    expected = InvestorProfile(
        investor_id="BOB", key=2, country=SG, investor_class=INST,
        kyc_expiry=datetime.fromtimestamp(ts, tz=UTC), revoked=False, omnibus=True,
    )  # fmt: skip
    assert registry.profile(b2) == registry.investor("BOB") == expected
    assert registry.profile(b1) == expected.model_copy(update={"primary": True})
    assert registry.is_verified(b1) and registry.is_verified(b2) and registry.contains(b2)
    assert registry.investor_of(b2) == "BOB" and registry.investor_of(rg.wallets[2]) is None
    assert registry.wallets_of("BOB") == [b1, b2]
    assert registry.raw.last_key() == 2
    assert registry.raw.id_of_key(2) == id32("BOB")
    assert registry.raw.wallets_of_key(2) == [b1, b2]
    assert registry.raw.investor_country(b2) == SG


def test_batch_register_assigns_sequential_keys(rg: Rg) -> None:
    registry, chain = rg.registry, rg.w.chain
    w = rg.wallets
    receipts = registry.register(
        rg.w.admin,
        [
            investor(chain, "C1", [w[0]], klass=RETAIL),
            investor(chain, "C2", [w[1], w[2], w[3]], country=SG),
            investor(chain, "C3", [w[4]], klass=INST, omnibus=True),
        ],
    )
    assert registry.event_names(receipts[0]) == ["InvestorRegistered"] * 3
    assert [e["key"] for e in event_args(registry, receipts[0], "InvestorRegistered")] == [2, 3, 4]
    assert registry.event_names(receipts[1]) == ["WalletAdded", "WalletAdded"]
    assert registry.wallets_of("C2") == [w[1], w[2], w[3]]
    assert [registry.profile(x).key for x in w[:5]] == [2, 3, 3, 3, 4]
    assert registry.profile(w[4]).omnibus and registry.profile(w[0]).investor_class == RETAIL


def test_add_wallet_copies_the_master_record(rg: Rg) -> None:
    registry, admin = rg.registry, rg.w.admin
    receipt = registry.add_wallet(admin, "ALICE", rg.wallets[0])
    assert event_args(registry, receipt, "WalletAdded") == [{"id": id32("ALICE"), "wallet": rg.wallets[0]}]
    assert registry.profile(rg.wallets[0]) == registry.investor("ALICE")
    assert registry.profile(rg.alice.address) == registry.investor("ALICE").model_copy(update={"primary": True})
    registry.revoke(admin, "ALICE")
    registry.add_wallet(admin, "ALICE", rg.wallets[1])  # a wallet added to a revoked investor is revoked too
    assert registry.profile(rg.wallets[1]).revoked and not registry.is_verified(rg.wallets[1])


def test_removed_wallet_is_retired_forever(rg: Rg) -> None:
    registry, admin, alice = rg.registry, rg.w.admin, rg.alice.address
    extra = rg.wallets[0]
    registry.add_wallet(admin, "ALICE", extra)
    before = registry.profile(alice)
    receipt = registry.remove_wallet(admin, alice)
    assert registry.event_names(receipt) == ["WalletRemoved"]
    assert event_args(registry, receipt, "WalletRemoved") == [{"id": id32("ALICE"), "wallet": alice}]
    assert not registry.is_verified(alice) and not registry.contains(alice)
    assert registry.raw.is_retired(alice) is True
    assert registry.investor_of(alice) == "ALICE"  # still bound to its investor (tokens account it there)
    assert registry.profile(alice).key == before.key and registry.profile(alice).retired
    assert not registry.profile(alice).revoked  # retired, which is per wallet, not the investor revoked
    assert registry.wallets_of("ALICE") == [extra]
    assert registry.raw.wallets_of_key(before.key) == [alice, extra]  # still its investor's (tokens sum it)
    assert registry.is_verified(extra)
    for action in (
        lambda: registry.add_wallet(admin, "ALICE", alice),
        lambda: registry.remove_wallet(admin, alice),
    ):
        with unchanged(rg.w.chain, admin, watch=rg.regstate), reverts("WalletRetired", wallet=alice):
            action()
    # Registering it again is refused in Python, before anything is sent.
    with unchanged(rg.w.chain, admin, watch=rg.regstate), pytest.raises(SpecError) as refusal:
        registry.register_investor(admin, investor(rg.w.chain, "NEW", [alice]))
    assert str(refusal.value) == (
        f"wallet {alice} is already registered (or retired): "
        "a wallet belongs to one investor for good: use a new wallet"
    )
    # Reinstating or updating the investor does not bring the removed wallet back.
    registry.revoke(admin, "ALICE")
    registry.reinstate(admin, "ALICE")
    registry.update(admin, "ALICE", country=SG, investor_class=INST, omnibus=False)
    # The retired primary wallet still carries the investor's record (country SG now) but stays unverified.
    assert registry.profile(alice).retired and registry.profile(alice).country == SG
    assert not registry.is_verified(alice) and not registry.contains(alice)
    assert registry.profile(extra).country == SG and registry.is_verified(extra)
    with unchanged(rg.w.chain, admin, watch=rg.regstate), reverts("WalletNotRegistered", wallet=rg.wallets[5]):
        registry.remove_wallet(admin, rg.wallets[5])


def test_update_investor_propagates_to_every_wallet(rg: Rg) -> None:
    registry, admin = rg.registry, rg.w.admin
    registry.add_wallet(admin, "ALICE", rg.wallets[0])
    receipt = registry.update(admin, "ALICE", country=SG, investor_class=RETAIL, omnibus=True)
    assert event_args(registry, receipt, "InvestorUpdated") == [
        {"id": id32("ALICE"), "country": SG, "investorClass": 1, "omnibus": True}
    ]
    for wallet in (rg.alice.address, rg.wallets[0]):
        profile = registry.profile(wallet)
        assert (profile.country, profile.investor_class, profile.omnibus) == (SG, RETAIL, True)
    assert registry.investor("ALICE") == registry.profile(rg.wallets[0])


def test_kyc_expiry_renewal(rg: Rg) -> None:
    registry, admin, chain = rg.registry, rg.w.admin, rg.w.chain
    chain.increase_time(10 * YEAR + DAY)
    assert not registry.is_verified(rg.alice.address)
    new_expiry = when(chain, YEAR)
    receipt = registry.renew_kyc(admin, "ALICE", new_expiry)
    assert event_args(registry, receipt, "KycRenewed") == [
        {"id": id32("ALICE"), "kycExpiry": int(new_expiry.timestamp())}
    ]
    assert registry.is_verified(rg.alice.address)
    assert registry.profile(rg.alice.address).kyc_expiry == new_expiry.replace(microsecond=0)


def test_revoke_and_reinstate(rg: Rg) -> None:
    registry, admin = rg.registry, rg.w.admin
    registry.add_wallet(admin, "ALICE", rg.wallets[0])
    for _ in range(2):  # idempotent: a second revoke still writes and emits
        receipt = registry.revoke(admin, "ALICE")
        assert event_args(registry, receipt, "InvestorRevoked") == [{"id": id32("ALICE")}]
        assert not registry.is_verified(rg.alice.address) and not registry.is_verified(rg.wallets[0])
        assert registry.investor("ALICE").revoked
    receipt = registry.reinstate(admin, "ALICE")
    assert event_args(registry, receipt, "InvestorReinstated") == [{"id": id32("ALICE")}]
    assert registry.is_verified(rg.alice.address) and registry.is_verified(rg.wallets[0])
    receipt = registry.raw.batch_revoke_investors(admin, [id32("ALICE")])
    assert registry.event_names(receipt) == ["InvestorRevoked"]
    receipt = registry.raw.batch_reinstate_investors(admin, [id32("ALICE")])
    assert registry.event_names(receipt) == ["InvestorReinstated"]
    assert registry.is_verified(rg.alice.address)


def test_batch_forms_of_update_renew_and_remove(rg: Rg) -> None:
    registry, admin, chain = rg.registry, rg.w.admin, rg.w.chain
    w = rg.wallets
    registry.register(admin, [investor(chain, "C1", [w[0], w[1]]), investor(chain, "C2", [w[2]])])
    receipt = registry.raw.batch_update_investors(admin, [id32("C1"), id32("C2")], [SG, 840], [1, 3], [True, False])
    assert registry.event_names(receipt) == ["InvestorUpdated", "InvestorUpdated"]
    assert (registry.profile(w[1]).country, registry.profile(w[2]).investor_class) == (SG, INST)
    expiry = chain.timestamp() + 2 * YEAR
    receipt = registry.raw.batch_renew_kyc(admin, [id32("C1"), id32("C2")], [expiry, expiry + 1])
    assert [e["kycExpiry"] for e in event_args(registry, receipt, "KycRenewed")] == [expiry, expiry + 1]
    receipt = registry.raw.batch_remove_wallets(admin, [w[0], w[2]])
    assert event_args(registry, receipt, "WalletRemoved") == [
        {"id": id32("C1"), "wallet": w[0]},
        {"id": id32("C2"), "wallet": w[2]},
    ]
    assert registry.wallets_of("C1") == [w[1]] and registry.wallets_of("C2") == []
    receipt = registry.raw.batch_add_wallets(admin, [id32("C2"), id32("C1")], [w[3], w[4]])
    assert registry.wallets_of("C2") == [w[3]] and registry.wallets_of("C1") == [w[1], w[4]]


def test_too_many_wallets_at_the_seventeenth(rg: Rg) -> None:
    registry, admin = rg.registry, rg.w.admin
    assert registry.raw.max_wallets_per_investor() == InvestorRegistry.MAX_WALLETS_PER_INVESTOR == 16
    fifteen = rg.wallets[:15]
    registry.raw.batch_add_wallets(admin, [id32("ALICE")] * 15, fifteen)
    assert len(registry.wallets_of("ALICE")) == 16
    with unchanged(rg.w.chain, admin, watch=rg.regstate), reverts("TooManyWallets", id=id32("ALICE")):
        registry.add_wallet(admin, "ALICE", rg.wallets[15])
    # A removed wallet keeps its place: it may still hold tokens, which count toward its investor.
    registry.remove_wallet(admin, fifteen[0])
    with unchanged(rg.w.chain, admin, watch=rg.regstate), reverts("TooManyWallets", id=id32("ALICE")):
        registry.add_wallet(admin, "ALICE", rg.wallets[15])
    assert len(registry.wallets_of("ALICE")) == 15 and registry.raw.wallet_count(id32("ALICE")) == 16


def test_batch_register_is_all_or_nothing(rg: Rg) -> None:
    registry, admin = rg.registry, rg.w.admin
    expiry = rg.w.chain.timestamp() + YEAR
    with unchanged(rg.w.chain, admin, watch=rg.regstate), reverts("InvalidCountry", country=0):
        registry.raw.batch_register_investors(
            admin,
            [id32("NEW"), id32("NEW2")],
            [rg.wallets[0], rg.wallets[1]],
            [HK, 0],
            [2, 2],
            [expiry, expiry],
            [False, False],
        )
    assert registry.raw.last_key() == 1 and registry.investor_of(rg.wallets[0]) is None


# --------------------------------------------------------------------------------------------- bad inputs on chain

Call = Callable[[Rg], tuple[str, tuple[Any, ...]]]


def _register(rg: Rg, *, id_: bytes = id32("NEW"), wallet: str | None = None, country: int = HK, klass: int = 2,
              expiry: int | None = None) -> tuple[str, tuple[Any, ...]]:  # fmt: skip
    ts = rg.w.chain.timestamp()
    return "registerInvestor", (
        id_,
        wallet or rg.wallets[0],
        country,
        klass,
        ts + YEAR if expiry is None else ts + expiry,
        False,
    )


BAD_INPUTS: list[tuple[str, Call, str, Callable[[Rg], dict[str, Any]]]] = [
    ("zero id", lambda rg: _register(rg, id_=bytes(32)), "InvalidInvestorId", lambda rg: {}),
    (
        "id taken",
        lambda rg: _register(rg, id_=id32("ALICE")),
        "InvestorAlreadyRegistered",
        lambda rg: {"id": id32("ALICE")},
    ),
    ("zero wallet", lambda rg: _register(rg, wallet=ZERO), "ZeroAddress", lambda rg: {}),
    (
        "wallet taken",
        lambda rg: _register(rg, wallet=rg.alice.address),
        "WalletAlreadyRegistered",
        lambda rg: {"wallet": rg.alice.address},
    ),
    ("country 0", lambda rg: _register(rg, country=0), "InvalidCountry", lambda rg: {"country": 0}),
    ("country 1000", lambda rg: _register(rg, country=1000), "InvalidCountry", lambda rg: {"country": 1000}),
    ("class 0", lambda rg: _register(rg, klass=0), "InvalidInvestorClass", lambda rg: {"investorClass": 0}),
    ("class 4", lambda rg: _register(rg, klass=4), "InvalidInvestorClass", lambda rg: {"investorClass": 4}),
    (
        "expiry now",
        lambda rg: _register(rg, expiry=0),
        "KycExpiryInPast",
        lambda rg: {"kycExpiry": rg.w.chain.timestamp()},
    ),
    (
        "expiry past",
        lambda rg: _register(rg, expiry=-DAY),
        "KycExpiryInPast",
        lambda rg: {"kycExpiry": rg.w.chain.timestamp() - DAY},
    ),
    (
        "add: unknown id",
        lambda rg: ("addWallet", (id32("NOBODY"), rg.wallets[0])),
        "InvestorNotRegistered",
        lambda rg: {"id": id32("NOBODY")},
    ),
    ("add: zero wallet", lambda rg: ("addWallet", (id32("ALICE"), ZERO)), "ZeroAddress", lambda rg: {}),
    (
        "add: wallet taken",
        lambda rg: ("addWallet", (id32("ALICE"), rg.alice.address)),
        "WalletAlreadyRegistered",
        lambda rg: {"wallet": rg.alice.address},
    ),
    (
        "update: unknown id",
        lambda rg: ("updateInvestor", (id32("NOBODY"), HK, 2, False)),
        "InvestorNotRegistered",
        lambda rg: {"id": id32("NOBODY")},
    ),
    (
        "update: country 0",
        lambda rg: ("updateInvestor", (id32("ALICE"), 0, 2, False)),
        "InvalidCountry",
        lambda rg: {"country": 0},
    ),
    (
        "update: country 1000",
        lambda rg: ("updateInvestor", (id32("ALICE"), 1000, 2, False)),
        "InvalidCountry",
        lambda rg: {"country": 1000},
    ),
    (
        "update: class 4",
        lambda rg: ("updateInvestor", (id32("ALICE"), HK, 4, False)),
        "InvalidInvestorClass",
        lambda rg: {"investorClass": 4},
    ),
    (
        "renew: unknown id",
        lambda rg: ("renewKyc", (id32("NOBODY"), rg.w.chain.timestamp() + YEAR)),
        "InvestorNotRegistered",
        lambda rg: {"id": id32("NOBODY")},
    ),
    ("renew: past", lambda rg: ("renewKyc", (id32("ALICE"), 1)), "KycExpiryInPast", lambda rg: {"kycExpiry": 1}),
    (
        "revoke: unknown id",
        lambda rg: ("revokeInvestor", (id32("NOBODY"),)),
        "InvestorNotRegistered",
        lambda rg: {"id": id32("NOBODY")},
    ),
    (
        "reinstate: unknown id",
        lambda rg: ("reinstateInvestor", (id32("NOBODY"),)),
        "InvestorNotRegistered",
        lambda rg: {"id": id32("NOBODY")},
    ),
    (
        "remove: never registered",
        lambda rg: ("removeWallet", (rg.wallets[0],)),
        "WalletNotRegistered",
        lambda rg: {"wallet": rg.wallets[0]},
    ),
    (
        "batch register: short wallets",
        lambda rg: (
            "batchRegisterInvestors",
            ([id32("A"), id32("B")], [rg.wallets[0]], [HK, HK], [2, 2], [2**40, 2**40], [False, False]),
        ),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch register: short countries",
        lambda rg: ("batchRegisterInvestors", ([id32("A")], [rg.wallets[0]], [], [2], [2**40], [False])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch register: short classes",
        lambda rg: ("batchRegisterInvestors", ([id32("A")], [rg.wallets[0]], [HK], [], [2**40], [False])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch register: short expiries",
        lambda rg: ("batchRegisterInvestors", ([id32("A")], [rg.wallets[0]], [HK], [2], [], [False])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch register: short omnibus",
        lambda rg: ("batchRegisterInvestors", ([id32("A")], [rg.wallets[0]], [HK], [2], [2**40], [])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch add: mismatch",
        lambda rg: ("batchAddWallets", ([id32("ALICE")], [rg.wallets[0], rg.wallets[1]])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch update: mismatch",
        lambda rg: ("batchUpdateInvestors", ([id32("ALICE")], [HK], [2, 3], [False])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
    (
        "batch renew: mismatch",
        lambda rg: ("batchRenewKyc", ([id32("ALICE")], [])),
        "ArrayLengthMismatch",
        lambda rg: {},
    ),
]


@pytest.mark.parametrize(("call", "error", "arguments"), [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS])
def test_registry_refuses_bad_input(rg: Rg, call: Call, error: str, arguments: Callable[[Rg], dict[str, Any]]) -> None:
    function, args = call(rg)
    expected = arguments(rg)
    with unchanged(rg.w.chain, rg.w.admin, watch=rg.regstate), reverts(error, **expected):
        getattr(rg.registry.raw, python_name(function))(rg.w.admin, *args)


def test_registry_constructor_refuses_a_zero_admin(rg: Rg) -> None:
    with unchanged(rg.w.chain, rg.w.admin), reverts("ZeroAddress"):
        deploy_contract(rg.w.chain, rg.w.admin, "InvestorRegistry", ZERO)


# --------------------------------------------------------------------------------------------- Python-side validation


A_FLOAT: Any = 1.5  # typed Any: these inputs are wrong on purpose
NOT_A_CLASS: Any = 4


def _bad_checksum(address: str) -> str:
    """The same address with one letter's case flipped: a wrong EIP-55 checksum."""
    body = list(address[2:])
    i = next(i for i, c in enumerate(body) if c.isalpha())
    body[i] = body[i].swapcase()
    return "0x" + "".join(body)


def _naive(rg: Rg) -> datetime:
    return datetime.fromtimestamp(rg.w.chain.timestamp() + YEAR, tz=UTC).replace(tzinfo=None)


def _past(rg: Rg) -> datetime:
    return datetime.fromtimestamp(rg.w.chain.timestamp(), tz=UTC) - timedelta(days=1)


def _investor_dict(rg: Rg, **overrides: Any) -> dict[str, Any]:
    base = {
        "id": "NEW", "wallets": [rg.wallets[0]], "country": HK, "investor_class": PRO,
        "kyc_expiry": when(rg.w.chain, YEAR), "omnibus": False,
    }  # fmt: skip
    return base | overrides


PY_CASES: list[tuple[str, Callable[[Rg], Any]]] = [
    (
        "register: bad checksum wallet",
        lambda rg: rg.registry.register(rg.w.admin, [_investor_dict(rg, wallets=[_bad_checksum(rg.wallets[0])])]),
    ),
    ("register: country 0", lambda rg: rg.registry.register(rg.w.admin, [_investor_dict(rg, country=0)])),
    ("register: country 1000", lambda rg: rg.registry.register(rg.w.admin, [_investor_dict(rg, country=1000)])),
    ("register: class 4", lambda rg: rg.registry.register(rg.w.admin, [_investor_dict(rg, investor_class=4)])),
    (
        "register: naive expiry",
        lambda rg: rg.registry.register(rg.w.admin, [_investor_dict(rg, kyc_expiry=_naive(rg))]),
    ),
    (
        "register: expiry in the past",
        lambda rg: rg.registry.register(rg.w.admin, [_investor_dict(rg, kyc_expiry=_past(rg))]),
    ),
    (
        "register: second investor bad",
        lambda rg: rg.registry.register(
            rg.w.admin, [_investor_dict(rg), _investor_dict(rg, id="NEW2", wallets=[rg.wallets[1]], country=1000)]
        ),
    ),
    (
        "register_investor: expiry in the past",
        lambda rg: rg.registry.register_investor(rg.w.admin, _investor_dict(rg, kyc_expiry=_past(rg))),
    ),
    ("add_wallet: bad checksum", lambda rg: rg.registry.add_wallet(rg.w.admin, "ALICE", _bad_checksum(rg.wallets[0]))),
    ("add_wallet: id too long", lambda rg: rg.registry.add_wallet(rg.w.admin, "X" * 33, rg.wallets[0])),
    (
        "update: country 0",
        lambda rg: rg.registry.update(rg.w.admin, "ALICE", country=0, investor_class=PRO, omnibus=False),
    ),
    (
        "update: country 1000",
        lambda rg: rg.registry.update(rg.w.admin, "ALICE", country=1000, investor_class=PRO, omnibus=False),
    ),
    (
        "update: class 4",
        lambda rg: rg.registry.update(rg.w.admin, "ALICE", country=HK, investor_class=NOT_A_CLASS, omnibus=False),
    ),
    ("renew: expiry in the past", lambda rg: rg.registry.renew_kyc(rg.w.admin, "ALICE", _past(rg))),
    ("renew: naive expiry", lambda rg: rg.registry.renew_kyc(rg.w.admin, "ALICE", _naive(rg))),
    ("transfer: float amount", lambda rg: rg.two.transfer(rg.alice, rg.w.treasury.address, A_FLOAT)),
    ("transfer: too many decimals", lambda rg: rg.two.transfer(rg.alice, rg.w.treasury.address, Decimal("0.001"))),
    ("transfer: negative", lambda rg: rg.two.transfer(rg.alice, rg.w.treasury.address, -1)),
    ("transfer: bad checksum recipient", lambda rg: rg.two.transfer(rg.alice, _bad_checksum(rg.w.treasury.address), 1)),
    ("transfer: not an address", lambda rg: rg.two.transfer(rg.alice, "0x1234", 1)),
    (
        "batch_transfer: too many decimals",
        lambda rg: rg.two.batch_transfer(
            rg.alice, [(rg.w.treasury.address, 1), (rg.w.treasury.address, Decimal("0.005"))]
        ),
    ),
    ("mint: float amount", lambda rg: rg.two.mint(rg.w.admin, rg.alice.address, A_FLOAT)),
    ("approve: too many decimals", lambda rg: rg.two.approve(rg.alice, rg.w.treasury.address, Decimal("1.234"))),
    ("rules: naive lock-up", lambda rg: rg.two.apply_rules(rg.w.admin, {"lockup_until": _naive(rg)})),
    ("rules: country 1000", lambda rg: rg.two.apply_rules(rg.w.admin, {"allowed_countries": {1000}})),
    (
        "rules: too many decimals",
        lambda rg: rg.two.apply_rules(rg.w.admin, {"allowed_countries": {HK}, "minimum_transfer": Decimal("0.001")}),
    ),
    ("mint rate: zero period", lambda rg: rg.two.set_mint_rate_limit(rg.w.admin, rg.w.admin.address, 10, 0)),
    (
        "document: content hash not 32 bytes",
        lambda rg: rg.two.set_document(rg.w.admin, "terms", "ipfs://x", b"\x01" * 31),
    ),
    ("document: name over 32 bytes", lambda rg: rg.two.set_document(rg.w.admin, "n" * 33, "ipfs://x", b"\x01" * 32)),
]


@pytest.mark.parametrize("action", [pytest.param(case[1], id=case[0]) for case in PY_CASES])
def test_python_validation_refuses_before_sending(rg: Rg, action: Callable[[Rg], Any]) -> None:
    with unchanged(rg.w.chain, rg.w.admin, rg.alice, watch=rg.regstate), pytest.raises(SpecError):
        action(rg)


# --------------------------------------------------------------------------------------------- the packed word


def _unpack(word: int) -> tuple[Any, ...]:
    return (
        word & (2**48 - 1),
        (word >> 48) & (2**64 - 1),
        (word >> 112) & 0xFFFF,
        (word >> 128) & 0xFF,
        bool((word >> 136) & 0xFF),
        bool((word >> 144) & 0xFF),
        bool((word >> 152) & 0xFF),
        bool((word >> 160) & 0xFF),
    )


def test_packed_profiles_match_profile_of(rg: Rg) -> None:
    registry, admin, chain = rg.registry, rg.w.admin, rg.w.chain
    w = rg.wallets
    registry.register(
        admin,
        [
            investor(chain, "OMNI", [w[0], w[1]], country=999, klass=INST, omnibus=True),
            investor(chain, "REVOKED", [w[2]], country=1, klass=RETAIL, ttl=50 * YEAR),
        ],
    )
    registry.revoke(admin, "REVOKED")
    registry.remove_wallet(admin, w[1])
    wallets = [rg.alice.address, w[0], w[1], w[2], w[3], ZERO]
    for a in wallets:
        for b in wallets:
            pa, pb = registry.raw.packed_profiles_of(a, b)
            profile_a, profile_b = registry.raw.profile_of(a), registry.raw.profile_of(b)
            assert (_unpack(pa), _unpack(pb)) == (tuple(profile_a), tuple(profile_b))
            assert pa >> 168 == 0 and pb >> 168 == 0
            assert tuple(map(tuple, registry.raw.profiles_of(a, b))) == (tuple(profile_a), tuple(profile_b))
    assert _unpack(registry.raw.packed_profiles_of(w[1], w[3])[0])[6] is True  # removed: retired copy
    assert _unpack(registry.raw.packed_profiles_of(w[0], w[1])[0])[7] is True  # the first wallet: primary
    assert registry.raw.profile_of(ZERO) == (0, 0, 0, 0, False, False, False, False)


def test_registry_supports_its_interfaces(rg: Rg) -> None:
    abi = ArtifactStore().get("IInvestorRegistry").abi
    selectors = [
        keccak(text=f"{f['name']}({','.join(i['type'] for i in f['inputs'])})")[:4]
        for f in abi
        if f["type"] == "function"
    ]
    registry_id = reduce(lambda x, y: bytes(a ^ b for a, b in zip(x, y, strict=True)), selectors)
    for interface, expected in (
        (registry_id, True),
        (bytes.fromhex("7965db0b"), True),  # IAccessControl
        (bytes.fromhex("01ffc9a7"), True),  # IERC165
        (bytes.fromhex("ffffffff"), False),
        (bytes.fromhex("3edbb4c4"), False),
    ):
        assert rg.registry.raw.supports_interface(interface) is expected


def test_registry_transaction_reverted_is_a_typed_error(rg: Rg) -> None:
    """A revert surfaces as TransactionReverted with the decoded error, never as a raw web3 error."""
    with unchanged(rg.w.chain, rg.w.admin), reverts("InvestorNotRegistered", id=id32("NOBODY")) as refusal:
        rg.registry.revoke(rg.w.admin, "NOBODY")
    assert type(refusal.value) is TransactionReverted
    assert str(refusal.value) == f"reverted with InvestorNotRegistered(id='NOBODY' (0x{id32('NOBODY').hex()}))"
    assert refusal.value.arguments == {"id": id32("NOBODY")}


@pytest.mark.parametrize(
    "wallet_lists",
    [
        pytest.param(([0, 1], [2, 1]), id="same-extra-wallet-under-two-investors"),
        pytest.param(([0, 2], [2]), id="extra-wallet-is-another-investors-first"),
    ],
)
def test_register_with_a_wallet_listed_twice_sends_nothing(rg: Rg, wallet_lists: tuple[list[int], list[int]]) -> None:
    """`register` promises validation before anything is sent: a batch that cannot be registered as a whole
    must not leave half of it on chain."""
    chain = rg.w.chain
    first, second = ([rg.wallets[i] for i in lst] for lst in wallet_lists)
    nonce, state = chain.w3.eth.get_transaction_count(rg.w.admin.address), rg.regstate()
    with pytest.raises((SpecError, TransactionReverted)):
        rg.registry.register(rg.w.admin, [investor(chain, "NEW", first), investor(chain, "NEW2", second)])
    assert rg.registry.investor_of(rg.wallets[0]) is None, "the first investor was registered anyway"
    assert chain.w3.eth.get_transaction_count(rg.w.admin.address) == nonce
    assert rg.regstate() == state
