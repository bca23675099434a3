"""``hktoken fund``: every command end to end on anvil (a share class dealing in creation units of 1,000 shares at
a launch NAV of HK$10, a 5% move bound, 10/20 bps dealing fees), the exact lines it prints and the chain after it;
bad input and missing duties as one line with nothing sent; the NAV's lines of ``hktoken status``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import InvestorRegistry, TokenRoles
from hktoken.chain import Chain
from hktoken.contracts.fund import FundRoles, FundToken
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.models.fund import FundTerms

from .conftest import World, investor, ok, one_line_error


class FundWorld(World):
    fund: FundToken
    hkd: HKDStablecoin


@pytest.fixture(scope="module")
def fw(chain: Chain, accounts: Sequence[LocalAccount]) -> FundWorld:
    """[0] admin and fund admin, [4] NAV confirmer, [5] the cash account; ALICE ([6]) the AP with HKD 100,000 and
    2,000 shares; BOB ([7]) registered, no AP."""
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    registry.register(admin, [investor("ALICE", accounts[6]), investor("BOB", accounts[7])])
    terms = FundTerms(
        payment_token=hkd.address, cash_account=accounts[5].address, creation_unit=Decimal(1000),
        initial_nav=Decimal(10), max_nav_age=timedelta(days=1), nav_move_bound_bps=500, subscription_fee_bps=10,
        redemption_fee_bps=20,
    )  # fmt: skip
    fund = FundToken.deploy(
        chain, admin, name="HK Tracker ETF", symbol="HKTE", decimals=18, registry=registry, roles=TokenRoles(),
        terms=terms,
        fund_roles=FundRoles(nav_confirmers=[accounts[4].address], participants=[accounts[6].address]),
    )  # fmt: skip
    hkd.mint(admin, accounts[6].address, Decimal(100_000))
    hkd.mint(admin, accounts[5].address, Decimal(1_000_000))
    hkd.approve(accounts[5], fund.administrator().address, Decimal(1_000_000))
    fund.mint(admin, accounts[6].address, Decimal(2000))
    world = FundWorld(chain, registry, fund, accounts)  # type: ignore[arg-type]
    world.fund, world.hkd = fund, hkd
    return world


def tok(w: FundWorld) -> list[str]:
    return ["--token", w.fund.address]


def test_subscribe_set_nav_strike_and_claim(fw: FundWorld) -> None:
    w = fw
    admin = w.fund.administrator()
    assert ok(w.run("fund", "subscribe", "25000", *tok(w), signer=w.alice)) == [
        f"subscribed 25000 HKD in epoch 1: {w.last_tx()}"
    ]
    assert w.hkd.balance_of(admin.address) == Decimal(25_000)
    lines = ok(w.run("fund", "set-nav", "10.2", *tok(w)))
    pending = admin.pending_nav()
    assert pending is not None and pending.nav_per_share == Decimal("10.2")
    assert lines == [
        f"published NAV 10.2 HKD per share as of {pending.as_of:%Y-%m-%d %H:%M:%S} UTC for epoch 1 (ready to "
        f"strike): {w.last_tx()}"
    ]
    assert ok(w.run("fund", "strike", *tok(w))) == [f"struck epoch 1 at 10.2 HKD per share: {w.last_tx()}"]
    assert admin.last_nav() == Decimal("10.2")
    # 2 creation units of 1,000 shares at 10.2, plus 10 bps: 20,420.40 HKD; the rest comes back
    assert ok(w.run("fund", "claim", "1", *tok(w), signer=w.alice)) == [
        f"claimed 2000 HKTE (refund 4579.6 HKD) from epoch 1: {w.last_tx()}"
    ]
    assert w.fund.balance_of(w.alice.address) == Decimal(4000)
    assert w.hkd.balance_of(w.alice.address) == Decimal(100_000) - Decimal("20420.4")


def test_settle_claims_every_ap_of_the_epoch_for_it(fw: FundWorld, tmp_path: Path) -> None:
    w = fw
    ok(w.run("fund", "subscribe", "25000", *tok(w), signer=w.alice))
    out = ["--out", str(tmp_path)]
    one_line_error(
        w.run("fund", "settle", "1", *tok(w), *out), "epoch 1 is not struck: strike it first (`hktoken fund strike`)"
    )
    ok(w.run("fund", "set-nav", "10.2", *tok(w)))
    ok(w.run("fund", "strike", *tok(w)))
    before = w.nonces()
    one_line_error(
        w.run("fund", "settle", "1", *tok(w), *out, signer=w.alice),
        f"{w.alice.address} lacks FUND_ADMIN_ROLE: grant it with grantRole, or sign with an account that has it",
    )
    assert w.nonces() == before
    assert ok(w.run("fund", "settle", "1", *tok(w), *out)) == [
        f"settled the claims of 1 AP of 1 in epoch 1 in 1 transaction: {w.last_tx()}"
    ]
    assert w.fund.balance_of(w.alice.address) == Decimal(4000)  # the same fill as ALICE's own claim
    assert w.hkd.balance_of(w.alice.address) == Decimal(100_000) - Decimal("20420.4")
    assert ok(w.run("fund", "settle", "1", *tok(w), *out)) == [
        "settled the claims of 0 APs of 1 in epoch 1 in 0 transactions: nothing sent"
    ]


def test_a_nav_beyond_the_bound_needs_its_confirmation_before_the_strike(fw: FundWorld) -> None:
    w = fw
    assert ok(w.run("fund", "redeem", "1000", *tok(w), signer=w.alice)) == [
        f"requested redemption of 1000 HKTE in epoch 1: {w.last_tx()}"
    ]
    lines = ok(w.run("fund", "set-nav", "12", *tok(w)))
    assert lines[0].startswith("published NAV 12 HKD per share as of ") and "(needs confirm-nav)" in lines[0]
    one_line_error(
        w.run("fund", "strike", *tok(w)),
        "the NAV of epoch 1 moved beyond the bound and is not confirmed: a NAV confirmer must run `hktoken fund "
        "confirm-nav` first",
    )
    one_line_error(
        w.run("fund", "confirm-nav", "12.5", *tok(w), signer=w.compliance),
        "the pending NAV is 12 HKD, not 12.5 HKD: confirm the value the administrator published",
    )
    assert ok(w.run("fund", "confirm-nav", "12", *tok(w), signer=w.compliance)) == [
        f"confirmed NAV 12 HKD for epoch 1: {w.last_tx()}"
    ]
    ok(w.run("fund", "strike", *tok(w)))
    # 1,000 shares at 12 less 20 bps
    assert ok(w.run("fund", "claim", "1", *tok(w), signer=w.alice)) == [
        f"claimed 11976 HKD of redemption proceeds from epoch 1: {w.last_tx()}"
    ]
    assert w.hkd.balance_of(w.alice.address) == Decimal(100_000 + 11_976)
    assert w.fund.balance_of(w.alice.address) == Decimal(1000)


def test_cancel_returns_the_escrow_of_the_open_epoch(fw: FundWorld) -> None:
    w = fw
    ok(w.run("fund", "subscribe", "10010", *tok(w), signer=w.alice))
    ok(w.run("fund", "redeem", "1000", *tok(w), signer=w.alice))
    assert ok(w.run("fund", "cancel", "1", *tok(w), signer=w.alice)) == [
        f"cancelled 10010 HKD of subscription and 1000 HKTE of redemption in epoch 1: {w.last_tx(1)}; {w.last_tx()}"
    ]
    assert w.hkd.balance_of(w.alice.address) == Decimal(100_000) and w.fund.balance_of(w.alice.address) == 2000


def test_bad_input_and_missing_duties_are_one_line_and_send_nothing(fw: FundWorld) -> None:
    w = fw
    before = w.nonces()
    for args, signer, expected in [
        (["subscribe", "10.0000001"], w.alice,
         "cash 10.0000001 has more than 6 decimal places: round it to at most 6 decimals (the token's precision)"),
        (["subscribe", "lots"], w.alice, "cash 'lots' is not a positive number: write it like 1000 or 25.5"),
        (["subscribe", "1000"], w.bob,
         f"{w.bob.address} lacks AP_ROLE: grant it with grantRole, or sign with an account that has it"),
        (["redeem", "1500"], w.alice,
         "shares 1500 is not a positive whole number of creation units (1000): redeem a multiple of the creation "
         "unit"),
        (["set-nav", "10"], w.alice,
         f"{w.alice.address} lacks FUND_ADMIN_ROLE: grant it with grantRole, or sign with an account that has it"),
        (["confirm-nav", "10"], w.compliance, "no NAV is pending: publish one with `hktoken fund set-nav`"),
        (["strike"], None, "no NAV is pending: publish one with `hktoken fund set-nav`"),
        (["claim", "1"], w.alice, f"{w.alice.address} has nothing to claim in epoch 1: wait for the epoch's strike"),
        (["claim", "9"], w.alice, "epoch 9 has not opened (the open epoch is 1): pass the number of an epoch you dealt "
                                  "in"),
        (["cancel", "1"], w.alice, f"{w.alice.address} has no request in epoch 1: nothing to cancel"),
    ]:  # fmt: skip
        one_line_error(w.run("fund", *args, *tok(w), signer=signer), expected)
    one_line_error(
        w.q("status", "--token", w.registry.address),
        f"{w.registry.address} on chain {w.chain.chain_id} holds an InvestorRegistry, not an RWAToken (ERC-7943 "
        "security token): pass the address of an RWAToken (ERC-7943 security token)",
    )
    assert w.nonces() == before


def test_status_shows_the_nav(fw: FundWorld) -> None:
    w = fw
    text = "\n".join(ok(w.q("status", *tok(w))))
    for expected in ("FundToken", w.fund.administrator().address, "10 HKD per share (last struck)", "1000 HKTE"):
        assert expected in text, text
