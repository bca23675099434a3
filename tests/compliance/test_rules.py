"""Each compliance rule accepting and refusing, with its exact ERC-1404 code and reason, the order the
checks run in, and the rule setters (events, flags, bad values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import ComplianceRules, MissingRole, RWAToken, TokenRoles
from hktoken.models.restrictions import message_for
from hktoken.testing import reverts

from ._helpers import (
    DAY,
    HK,
    INST,
    KP,
    PRO,
    RETAIL,
    SG,
    US,
    ZERO,
    World,
    event_args,
    extra_account,
    fund,
    investor,
    restricted,
    unchanged,
    unfrozen_shortfall,
)

# Runs on RWAToken and on every asset token (tests/compliance/_kinds.py): the conformance battery.
EVERY_TOKEN = True

FLAG_ALLOW, FLAG_BLOCK, FLAG_HOLDERS, FLAG_BALANCE = 1, 2, 4, 8
FLAG_MIN, FLAG_DENOM, FLAG_CAP, FLAG_FREEZES = 16, 32, 64, 128


@dataclass
class Rw:
    w: World
    who: dict[str, str]  # label -> address
    signers: dict[str, LocalAccount]

    @property
    def token(self) -> RWAToken:
        return self.w.token


@pytest.fixture(scope="module")
def rw(world: World, accounts: list[LocalAccount]) -> Rw:
    """Holders: ALICE 1000, BOB 1000, MULTI (m1 600, m2 0), treasury 1000 -> holder count 3.
    Not holding: CAROL (SG retail), DAVE (US institutional), ERIN (HK retail), OMNI (omnibus, o1 + o2)."""
    chain = world.chain
    alice, bob, m1, dave = accounts[6:10]
    m2, carol, erin, o1, o2 = (extra_account(n) for n in ("m2", "carol", "erin", "o1", "o2"))
    fund(chain, m2)
    world.registry.register(
        world.admin,
        [
            investor(chain, "ALICE", [alice]),
            investor(chain, "BOB", [bob]),
            investor(chain, "MULTI", [m1, m2]),
            investor(chain, "CAROL", [carol], country=SG, klass=RETAIL),
            investor(chain, "DAVE", [dave], country=US, klass=INST),
            investor(chain, "ERIN", [erin], klass=RETAIL),
            investor(chain, "OMNI", [o1, o2], omnibus=True),
        ],
    )
    world.token.batch_mint(
        world.issuer,
        [(alice.address, 1000), (bob.address, 1000), (m1.address, 600), (world.treasury.address, 1000)],
    )
    signers = {"alice": alice, "bob": bob, "m1": m1, "m2": m2, "dave": dave, "treasury": world.treasury}
    world.people = {"alice": alice, "bob": bob, "m1": m1, "m2": m2, "dave": dave}
    who: dict[str, str] = {name: s.address for name, s in signers.items()}
    who |= {"carol": carol.address, "erin": erin.address, "o1": o1.address, "o2": o2.address}
    who["unknown"] = extra_account("unknown").address  # never registered
    assert world.token.holder_count() == 3
    return Rw(world, who, signers)


def _transfer_case(rw: Rw, sender: str, recipient: str, amount: Decimal, code: int) -> Any:
    """The view says ``code``; the transfer then succeeds to the wei, or is refused with that code."""
    token, w = rw.token, rw.w
    src, dst, raw = rw.who[sender], rw.who[recipient], w.u(amount)
    check = token.check_transfer(src, dst, amount)
    assert (check.code, check.reason) == (code, message_for(code))
    assert token.can_transfer(src, dst, amount) is (code == 0)

    def watch() -> dict[str, Any]:
        return w.state(*rw.who.values())

    if code:
        before = watch()
        unfrozen = before["balances"][src] - before["frozen"][src]
        refusal = unfrozen_shortfall(src, raw, unfrozen) if code == 6 else restricted(code, src, dst, raw)
        with unchanged(w.chain, rw.signers[sender], watch=watch), refusal:
            token.transfer(rw.signers[sender], dst, amount)
        return None
    src_before, dst_before = token.raw_balance_of(src), token.raw_balance_of(dst)
    receipt = token.transfer(rw.signers[sender], dst, amount)
    assert (token.raw_balance_of(src), token.raw_balance_of(dst)) == (src_before - raw, dst_before + raw)
    assert event_args(token, receipt, "Transfer") == [{"from": src, "to": dst, "value": raw}]
    return receipt


# --------------------------------------------------------------------------------------------- the rules

Setup = Callable[[Rw], Any]


def allow(*countries: int) -> Setup:
    return lambda rw: rw.w.comply("setAllowedCountries", list(countries), True)


def block(*countries: int) -> Setup:
    return lambda rw: rw.w.comply("setBlockedCountries", list(countries), True)


def classes(*klasses: int) -> Setup:
    return lambda rw: rw.w.comply("setRequiredInvestorClasses", sum(1 << k for k in klasses))


def max_balance(tokens: int) -> Setup:
    return lambda rw: rw.w.comply("setMaxBalancePerInvestor", rw.w.u(tokens))


def max_holders(n: int) -> Setup:
    return lambda rw: rw.w.comply("setMaxHolders", n)


def minimum(tokens: int) -> Setup:
    return lambda rw: rw.w.comply("setMinimumTransfer", rw.w.u(tokens))


def denomination(tokens: int) -> Setup:
    return lambda rw: rw.w.comply("setDenomination", rw.w.u(tokens))


def lockup(seconds: int) -> Setup:
    return lambda rw: rw.w.comply("setLockupUntil", rw.w.chain.timestamp() + seconds)


RULE_CASES = [
    # (id, setup, sender, recipient, amount, code)
    ("allow-list admits its country", allow(HK), "alice", "bob", 10, 0),
    ("allow-list refuses others", allow(HK), "alice", "carol", 10, 7),
    ("allow-list of two admits both", allow(HK, SG), "alice", "carol", 10, 0),
    ("blocked country refused", block(SG), "alice", "carol", 10, 7),
    ("other countries pass a block-list", block(SG), "alice", "dave", 10, 0),
    ("block-list with allow-list", lambda rw: (allow(HK, US)(rw), block(KP)(rw)), "alice", "carol", 10, 7),
    ("class mask refuses retail", classes(PRO, INST), "alice", "erin", 10, 8),
    ("class mask admits institutional", classes(PRO, INST), "alice", "dave", 10, 0),
    ("retail-only mask refuses professional", classes(RETAIL), "alice", "bob", 10, 8),
    ("retail-only mask admits retail", classes(RETAIL), "alice", "erin", 10, 0),
    ("max balance reached exactly", max_balance(1010), "alice", "bob", 10, 0),
    ("max balance exceeded by one token", max_balance(1009), "alice", "bob", 10, 10),
    ("max balance summed over all wallets: at the max", max_balance(1000), "alice", "m2", 400, 0),
    ("max balance summed over all wallets: above", max_balance(1000), "alice", "m2", 401, 10),
    ("max balance: amount alone above the max", max_balance(5), "alice", "carol", 6, 10),
    ("max balance: omnibus recipient exempt", max_balance(10), "alice", "o1", 500, 0),
    ("max balance: same-investor move exempt", max_balance(100), "m1", "m2", 300, 0),
    ("max balance: exit to treasury exempt", max_balance(1), "alice", "treasury", 500, 0),
    ("max holders: existing holder", max_holders(3), "alice", "bob", 10, 0),
    ("max holders: new holder at the cap", max_holders(3), "alice", "carol", 10, 9),
    ("max holders: second wallet of a holder", max_holders(3), "alice", "m2", 10, 0),
    ("max holders: full exit frees a slot", max_holders(3), "alice", "carol", 1000, 0),
    ("max holders: partial exit frees nothing", max_holders(3), "alice", "carol", 999, 9),
    ("max holders: full move between own wallets", max_holders(3), "m1", "m2", 600, 0),
    ("max holders: cap below the count, existing holder", max_holders(2), "alice", "bob", 10, 0),
    ("max holders: cap below the count, full exit", max_holders(2), "alice", "carol", 1000, 0),
    ("max holders: room left", max_holders(4), "alice", "carol", 10, 0),
    ("lock-up refuses holders", lockup(DAY), "alice", "bob", 10, 11),
    ("lock-up applies to exits to the treasury", lockup(DAY), "alice", "treasury", 10, 11),
    ("lock-up applies to the treasury itself", lockup(DAY), "treasury", "bob", 10, 11),
    ("lock-up in the past is over", lockup(-1), "alice", "bob", 10, 0),
    ("below minimum", minimum(10), "alice", "bob", Decimal("9.999999999999999999"), 12),
    ("at minimum", minimum(10), "alice", "bob", 10, 0),
    ("minimum skipped for the treasury", minimum(10), "alice", "treasury", 1, 0),
    ("not a denomination multiple", denomination(5), "alice", "bob", 7, 13),
    ("denomination multiple", denomination(5), "alice", "bob", 15, 0),
    ("denomination skipped for the treasury", denomination(5), "alice", "treasury", 7, 0),
    ("denomination of 1 base unit is off", lambda rw: rw.w.comply("setDenomination", 1), "alice", "bob",
     Decimal("0.000000000000000007"), 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "sender", "recipient", "amount", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in RULE_CASES],
)
def test_rule(rw: Rw, setup: Setup, sender: str, recipient: str, amount: Any, code: int) -> None:
    setup(rw)
    _transfer_case(rw, sender, recipient, Decimal(amount), code)


MINT_CASES = [
    ("mint: allow-list", allow(HK), "carol", 10, 7),
    ("mint: class mask", classes(PRO), "erin", 10, 8),
    ("mint: max holders", max_holders(3), "carol", 10, 9),
    ("mint: max balance over all wallets", max_balance(1000), "m2", 401, 10),
    ("mint: max balance omnibus exempt", max_balance(1), "o2", 401, 0),
    ("mint: minimum", minimum(10), "bob", 9, 12),
    ("mint: denomination", denomination(5), "bob", 7, 13),
    ("mint: lock-up does not lock issuance", lockup(DAY), "bob", 7, 0),
    ("mint to treasury skips recipient rules", lambda rw: (minimum(10)(rw), denomination(5)(rw)), "treasury", 7, 0),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "recipient", "amount", "code"), [pytest.param(*c[1:], id=c[0]) for c in MINT_CASES])
def test_mint_rule(rw: Rw, setup: Setup, recipient: str, amount: int, code: int) -> None:
    setup(rw)
    token, w = rw.token, rw.w
    dst, raw = rw.who[recipient], w.u(amount)
    assert token.raw.detect_transfer_restriction(ZERO, dst, raw) == code
    if code:
        with unchanged(w.chain, w.issuer, watch=lambda: w.state(*rw.who.values())), restricted(code, ZERO, dst, raw):
            token.mint(w.issuer, dst, amount)
    else:
        before = token.raw_balance_of(dst), int(token.raw.total_supply())
        token.mint(w.issuer, dst, amount)
        assert (token.raw_balance_of(dst), int(token.raw.total_supply())) == (before[0] + raw, before[1] + raw)


def test_supply_cap_refuses_mint_above_and_accepts_up_to_it(rw: Rw) -> None:
    token, w = rw.token, rw.w
    supply = int(token.raw.total_supply())
    assert supply == w.u(3600)
    w.comply("setSupplyCap", supply + w.u(100))

    def watch() -> dict[str, Any]:
        return w.state(*rw.who.values())

    for recipient in ("bob", "treasury"):  # the cap applies to every mint, the treasury's too
        dst = rw.who[recipient]
        assert token.raw.detect_transfer_restriction(ZERO, dst, w.u(100) + 1) == 14
        above = partial(token.raw.mint, w.issuer, dst, w.u(100) + 1)
        with unchanged(w.chain, w.issuer, watch=watch), restricted(14, ZERO, dst, w.u(100) + 1):
            above()
    with unchanged(w.chain, w.issuer, watch=watch), restricted(14, ZERO, rw.who["alice"], w.u(41)):
        token.batch_mint(w.issuer, [(rw.who["bob"], 60), (rw.who["alice"], 41)])
    token.mint(w.issuer, rw.who["bob"], 100)
    assert int(token.raw.total_supply()) == supply + w.u(100)
    with unchanged(w.chain, w.issuer, watch=watch), restricted(14, ZERO, rw.who["treasury"], 1):
        token.mint(w.issuer, rw.who["treasury"], Decimal("1e-18"))
    _transfer_case(rw, "alice", "bob", Decimal(5), 0)  # transfers are not capped
    token.burn(w.issuer, rw.who["bob"], 1)
    token.mint(w.issuer, rw.who["bob"], 1)  # burning made room again


def test_supply_cap_cannot_be_set_below_supply(rw: Rw) -> None:
    token, w = rw.token, rw.w
    supply = int(token.raw.total_supply())
    with (
        unchanged(w.chain, w.compliance, watch=w.state),
        reverts("SupplyCapBelowSupply", cap=supply - 1, supply=supply),
    ):
        w.comply("setSupplyCap", supply - 1)
    receipt = w.comply("setSupplyCap", supply)  # equal is fine
    assert event_args(token, receipt, "SupplyCapSet") == [{"supplyCap": supply}]
    assert token.rules().supply_cap == token.from_units(supply)
    receipt = w.comply("setSupplyCap", 0)  # 0 = off
    assert event_args(token, receipt, "SupplyCapSet") == [{"supplyCap": 0}]
    token.mint(w.issuer, rw.who["bob"], 10**6)


def test_lockup_refused_before_and_allowed_after(rw: Rw) -> None:
    token, w = rw.token, rw.w
    end = w.chain.timestamp() + 7 * DAY
    receipt = w.comply("setLockupUntil", end)
    assert event_args(token, receipt, "LockupUntilSet") == [{"lockupUntil": end}]
    assert token.rules().lockup_until == datetime.fromtimestamp(end, tz=UTC)
    _transfer_case(rw, "alice", "bob", Decimal(10), 11)
    token.mint(w.issuer, rw.who["bob"], 10)  # issuance is not locked
    token.forced_transfer(w.agent, rw.who["bob"], rw.who["alice"], 10)  # nor agent actions
    token.burn(w.issuer, rw.who["bob"], 1)  # nor redemption
    w.chain.increase_time(7 * DAY - 60)
    _transfer_case(rw, "alice", "bob", Decimal(10), 11)  # a minute before the end: still locked
    w.chain.increase_time(61)
    assert w.chain.timestamp() >= end
    _transfer_case(rw, "alice", "bob", Decimal(10), 0)


def test_max_holders_counts_an_omnibus_account_and_a_multi_wallet_investor_once(rw: Rw) -> None:
    token, w = rw.token, rw.w
    w.comply("setMaxHolders", 4)
    _transfer_case(rw, "alice", "o1", Decimal(100), 0)  # the omnibus account becomes the 4th holder
    assert token.holder_count() == 4
    _transfer_case(rw, "alice", "o2", Decimal(100), 0)  # its second wallet: still one holder
    _transfer_case(rw, "alice", "m2", Decimal(100), 0)  # MULTI's second wallet: still one holder
    assert token.holder_count() == 4
    key_multi = w.registry.profile(rw.who["m1"]).key
    key_omni = w.registry.profile(rw.who["o1"]).key
    assert token.raw.funded_wallets(key_multi) == 2
    assert token.raw.funded_wallets(key_omni) == 2
    _transfer_case(rw, "alice", "carol", Decimal(10), 9)  # a 5th investor is refused
    token.mint(w.issuer, rw.who["m2"], 1)
    assert token.holder_count() == 4


def test_sender_exiting_fully_frees_a_slot(rw: Rw) -> None:
    token, w = rw.token, rw.w
    w.comply("setMaxHolders", 3)
    _transfer_case(rw, "bob", "dave", Decimal(10), 9)
    _transfer_case(rw, "alice", "carol", Decimal(1000), 0)  # alice leaves as carol joins
    assert token.holder_count() == 3
    assert token.raw_balance_of(rw.who["alice"]) == 0
    _transfer_case(rw, "bob", "dave", Decimal(10), 9)  # the slot alice freed went to carol
    _transfer_case(rw, "bob", "alice", Decimal(10), 9)  # alice, gone, is a new holder again
    # A wallet emptied into another wallet of the same investor frees nothing.
    _transfer_case(rw, "m1", "m2", Decimal(600), 0)
    assert token.holder_count() == 3


def test_max_balance_is_summed_over_every_wallet_of_the_investor(rw: Rw) -> None:
    token, w = rw.token, rw.w
    w.comply("setMaxBalancePerInvestor", w.u(1000))
    _transfer_case(rw, "alice", "m2", Decimal(300), 0)  # MULTI: 600 + 300
    assert token.investor_balance("MULTI") == Decimal(900)
    _transfer_case(rw, "alice", "m1", Decimal(101), 10)
    _transfer_case(rw, "alice", "m2", Decimal(101), 10)
    _transfer_case(rw, "m1", "m2", Decimal(600), 0)  # moving between its own wallets is always fine
    w.comply("setMaxBalancePerInvestor", w.u(100))  # now below what MULTI holds
    _transfer_case(rw, "m2", "m1", Decimal(900), 0)
    _transfer_case(rw, "alice", "m1", Decimal("1e-18"), 10)


# --------------------------------------------------------------------------------------------- precedence

PRECEDENCE = [
    # Two rules fail at once; the lower code is reported (checks run in code order).
    ("paused before unverified", lambda rw: rw.token.pause(rw.w.pauser), "alice", "unknown", 1),
    ("sender before recipient", lambda rw: rw.w.registry.revoke(rw.w.admin, "ALICE"), "alice", "unknown", 2),
    (
        "unverified before frozen",
        lambda rw: rw.token.set_address_frozen(rw.w.agent, rw.who["alice"], True),
        "alice",
        "unknown",
        3,
    ),
    (
        "sender frozen before recipient frozen",
        lambda rw: rw.token.raw.batch_set_address_frozen(rw.w.agent, [rw.who["alice"], rw.who["carol"]], [True, True]),
        "alice",
        "carol",
        4,
    ),
    (
        "recipient frozen before country",
        lambda rw: (block(SG)(rw), rw.token.set_address_frozen(rw.w.agent, rw.who["carol"], True)),
        "alice",
        "carol",
        5,
    ),
    (
        "unfrozen shortfall before country",
        lambda rw: (block(SG)(rw), rw.token.freeze_partial(rw.w.agent, rw.who["alice"], 995)),
        "alice",
        "carol",
        6,
    ),
    ("country before class", lambda rw: (block(SG)(rw), classes(PRO)(rw)), "alice", "carol", 7),
    ("class before holders", lambda rw: (classes(PRO)(rw), max_holders(1)(rw)), "alice", "carol", 8),
    ("holders before balance", lambda rw: (max_holders(1)(rw), max_balance(1)(rw)), "alice", "carol", 9),
    ("balance before lock-up", lambda rw: (max_balance(1)(rw), lockup(DAY)(rw)), "alice", "carol", 10),
    ("lock-up before minimum", lambda rw: (lockup(DAY)(rw), minimum(100)(rw)), "alice", "carol", 11),
    ("minimum before denomination", lambda rw: (minimum(100)(rw), denomination(3)(rw)), "alice", "carol", 12),
]


@pytest.mark.parametrize(("setup", "sender", "recipient", "code"), [pytest.param(*p[1:], id=p[0]) for p in PRECEDENCE])
def test_first_failing_check_is_reported(rw: Rw, setup: Setup, sender: str, recipient: str, code: int) -> None:
    setup(rw)
    _transfer_case(rw, sender, recipient, Decimal(10), code)


# --------------------------------------------------------------------------------------------- setters


def test_country_setters_events_views_and_flags(rw: Rw) -> None:
    token, w = rw.token, rw.w
    receipt = w.comply("setAllowedCountries", [HK, SG], True)
    assert token.event_names(receipt) == ["CountryAllowed", "CountryAllowed"]
    assert event_args(token, receipt, "CountryAllowed") == [
        {"country": HK, "allowed": True},
        {"country": SG, "allowed": True},
    ]
    assert sorted(token.raw.allowed_countries()) == [HK, SG]
    assert token.raw.rules()[2] == FLAG_ALLOW
    # Blocking an allowed country takes it off the allow-list.
    receipt = w.comply("setBlockedCountries", [SG], True)
    assert token.event_names(receipt) == ["CountryAllowed", "CountryBlocked"]
    assert event_args(token, receipt, "CountryAllowed") == [{"country": SG, "allowed": False}]
    assert event_args(token, receipt, "CountryBlocked") == [{"country": SG, "blocked": True}]
    assert (token.raw.country_status(SG), token.raw.country_status(HK), token.raw.country_status(US)) == (
        2,
        1,
        0,
    )
    assert (token.raw.allowed_countries(), token.raw.blocked_countries()) == ([HK], [SG])
    raw = token.raw.rules()
    assert (raw[2], raw[5], raw[6]) == (FLAG_ALLOW | FLAG_BLOCK, 1, 1)
    # Allowing a blocked country unblocks it.
    receipt = w.comply("setAllowedCountries", [SG], True)
    assert token.event_names(receipt) == ["CountryBlocked", "CountryAllowed"]
    assert event_args(token, receipt, "CountryBlocked") == [{"country": SG, "blocked": False}]
    assert sorted(token.raw.allowed_countries()) == [HK, SG] and token.raw.blocked_countries() == []
    assert token.raw.rules()[2] == FLAG_ALLOW
    receipt = w.comply("setAllowedCountries", [HK, SG], False)
    assert event_args(token, receipt, "CountryAllowed") == [
        {"country": HK, "allowed": False},
        {"country": SG, "allowed": False},
    ]
    assert token.raw.allowed_countries() == [] and token.raw.rules()[2] == 0
    _transfer_case(rw, "alice", "carol", Decimal(1), 0)


@pytest.mark.parametrize("setter", ["setAllowedCountries", "setBlockedCountries"])
@pytest.mark.parametrize("country", [0, 1000, 65535])
def test_country_setters_refuse_invalid_codes(rw: Rw, setter: str, country: int) -> None:
    with unchanged(rw.w.chain, rw.w.compliance, watch=rw.w.state), reverts("InvalidCountry", country=country):
        rw.w.comply(setter, [HK, country], True)


@pytest.mark.parametrize("mask", [0x01, 0x10, 0x80, 0x0F, 0xFF])
def test_class_mask_refuses_bits_outside_the_three_classes(rw: Rw, mask: int) -> None:
    with unchanged(rw.w.chain, rw.w.compliance, watch=rw.w.state), reverts("InvalidInvestorClassMask", mask=mask):
        rw.w.comply("setRequiredInvestorClasses", mask)


SETTERS = [
    # (function, value, event, event field, index of the value in `rules()`, flag it turns on)
    ("setRequiredInvestorClasses", 0x0E, "RequiredInvestorClassesSet", "mask", 1, 0),
    ("setMaxHolders", 7, "MaxHoldersSet", "maxHolders", 3, FLAG_HOLDERS),
    ("setMaxBalancePerInvestor", 10**24, "MaxBalancePerInvestorSet", "maxBalance", 7, FLAG_BALANCE),
    ("setLockupUntil", 2**64 - 1, "LockupUntilSet", "lockupUntil", 0, 0),
    ("setMinimumTransfer", 2**128 - 1, "MinimumTransferSet", "minimumTransfer", 8, FLAG_MIN),
    ("setDenomination", 2, "DenominationSet", "denomination", 9, FLAG_DENOM),
    ("setSupplyCap", 10**30, "SupplyCapSet", "supplyCap", 10, FLAG_CAP),
]


@pytest.mark.parametrize(("function", "value", "event", "field", "index", "flag"), SETTERS, ids=[s[0] for s in SETTERS])
def test_rule_setter_event_getter_and_flag(
    rw: Rw, function: str, value: int, event: str, field: str, index: int, flag: int
) -> None:
    token, w = rw.token, rw.w
    receipt = w.comply(function, value)
    assert token.event_names(receipt) == [event]
    assert event_args(token, receipt, event) == [{field: value}]
    assert token.raw.rules()[index] == value
    assert token.raw.rules()[2] == flag
    receipt = w.comply(function, 0)  # 0 = off
    assert event_args(token, receipt, event) == [{field: 0}]
    assert token.raw.rules()[index] == 0 and token.raw.rules()[2] == 0


@pytest.mark.parametrize("function", ["setMinimumTransfer", "setDenomination"])
def test_amount_rules_must_fit_uint128(rw: Rw, function: str) -> None:
    with unchanged(rw.w.chain, rw.w.compliance, watch=rw.w.state), reverts("RuleValueTooLarge", value=2**128):
        rw.w.comply(function, 2**128)


def test_denomination_one_is_off(rw: Rw) -> None:
    receipt = rw.w.comply("setDenomination", 1)
    assert event_args(rw.token, receipt, "DenominationSet") == [{"denomination": 1}]
    assert rw.token.raw.rules()[2] & FLAG_DENOM == 0


def test_apply_rules_round_trips_through_the_chain(rw: Rw) -> None:
    token, w = rw.token, rw.w
    wanted = ComplianceRules(
        allowed_countries={HK, US},
        blocked_countries={KP},
        required_classes={PRO, INST},
        max_holders=50,
        max_balance_per_investor=Decimal(5000),
        lockup_until=datetime.fromtimestamp(w.chain.timestamp() + DAY, tz=UTC),
        minimum_transfer=Decimal("0.5"),
        denomination=Decimal("0.5"),
        supply_cap=Decimal(10**6),
    )
    receipts = token.apply_rules(w.compliance, wanted)
    assert len(receipts) == 9
    assert token.rules() == wanted
    assert (
        token.raw.rules()[2] == FLAG_ALLOW | FLAG_BLOCK | FLAG_HOLDERS | FLAG_BALANCE | FLAG_MIN | FLAG_DENOM | FLAG_CAP
    )
    assert token.apply_rules(w.compliance, wanted) == []  # nothing changed, nothing sent
    token.apply_rules(w.compliance, ComplianceRules())
    assert token.rules() == ComplianceRules()
    assert token.raw.rules()[2] == 0


def test_deploy_with_rules_and_a_separate_compliance_admin(world: World, accounts: list[LocalAccount]) -> None:
    """`RWAToken.deploy(..., roles=TokenRoles(compliance_admins=[x]), rules=...)` must deploy a token that
    enforces the rules (the docstring: grant the duties, then set the rules)."""
    admin, compliance = accounts[0], accounts[4]
    rules = ComplianceRules(allowed_countries={HK}, max_holders=10)
    try:
        token = RWAToken.deploy(
            world.chain, admin, name="Separated", symbol="SEP", decimals=2, registry=world.registry,
            roles=TokenRoles(compliance_admins=[compliance.address]), rules=rules,
        )  # fmt: skip
    except MissingRole as exc:
        pytest.fail(f"deploy with rules and a separate compliance admin raised: {exc}")
    assert token.rules() == rules
    assert token.has_role("COMPLIANCE_ROLE", compliance.address)
    assert not token.has_role("COMPLIANCE_ROLE", admin.address)
