"""``hktoken bond``: every command end to end on anvil (a 0-decimal HK$1,000 bond at 3.8% semi-annual, paid in the
HKD stablecoin), the exact lines it prints and the chain after it; bad input and missing duties as one line with
nothing sent; the bond's lines of ``hktoken status``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import InvestorClass, InvestorRegistry
from hktoken.chain import Chain
from hktoken.contracts.bond import BondToken
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.deployment import deploy_spec
from hktoken.models.bond import BondTerms

from .conftest import World, investor, ok, one_line_error

DAY = 86_400
REPO = Path(__file__).resolve().parents[2]


class BondWorld(World):
    bond: BondToken
    hkd: HKDStablecoin
    issue: datetime


@pytest.fixture(scope="module")
def bw(chain: Chain, accounts: Sequence[LocalAccount]) -> BondWorld:
    """[0] admin (every duty, treasury); ALICE ([6]) holds 100 bonds, BOB ([7]) 50; the admin holds HKD 1,000,000."""
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    issue = datetime.fromtimestamp(chain.timestamp(), tz=UTC).replace(microsecond=0)
    dates = tuple(issue + timedelta(days=30 * n) for n in (1, 2))
    terms = BondTerms(
        isin="HK0000GB2028", currency="HKD", payment_token=hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=380, coupon_frequency=2, issue_date=issue,
        maturity_date=dates[-1], coupon_dates=dates, min_call_notice=timedelta(days=10),
    )  # fmt: skip
    bond = BondToken.deploy(
        chain, admin, name="HK Green Bond", symbol="HKGB", decimals=0, registry=registry, terms=terms
    )
    registry.register(admin, [investor("ALICE", accounts[6]), investor("BOB", accounts[7], klass=InvestorClass.RETAIL)])
    bond.batch_mint(admin, [(accounts[6].address, Decimal(100)), (accounts[7].address, Decimal(50))])
    hkd.mint(admin, admin.address, Decimal(1_000_000))
    world = BondWorld(chain, registry, bond, accounts)  # type: ignore[arg-type]
    world.bond, world.hkd, world.issue = bond, hkd, issue
    return world


def tok(w: BondWorld) -> list[str]:
    return ["--token", w.bond.address]


def test_schedule_lists_each_coupon_recorded_and_funded(bw: BondWorld) -> None:
    w = bw
    lines = ok(w.q("bond", "schedule", *tok(w)))
    first, second = (display_when(w.issue + timedelta(days=30 * n)) for n in (1, 2))
    assert [line.split() for line in lines[-2:]] == [
        ["0", *first.split(), "19", "HKD", "no", "no"],
        ["1", *second.split(), "19", "HKD", "no", "no"],
    ]
    assert "record date" in lines[0] and "per token" in lines[0]


def display_when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def test_call_sets_the_call_terms(bw: BondWorld) -> None:
    w = bw
    when = datetime.fromtimestamp(w.chain.timestamp(), tz=UTC).replace(microsecond=0) + timedelta(days=20)
    assert ok(w.run("bond", "call", "--date", when.isoformat(), "--price", "1005.5", *tok(w))) == [
        f"called HKGB from {display_when(when)} at 1005.5 HKD per token: {w.last_tx()}"
    ]
    call = w.bond.call_terms()
    assert call is not None and (call.call_date, call.price) == (when, Decimal("1005.5"))


def test_bad_input_and_missing_duties_are_one_line_and_send_nothing(bw: BondWorld) -> None:
    w = bw
    before = w.nonces()
    soon = datetime.fromtimestamp(w.chain.timestamp(), tz=UTC) + timedelta(days=20)
    for args, signer, expected in [
        (["fund-coupon", "7"], None, "the bond has 2 coupons (0 to 1): pass 0 to 1"),
        (["fund-coupon", "x"], None, "coupon 'x' is not a coupon index: pass 0, 1, ... or 'principal'"),
        (["fund-coupon", "0"], w.alice, f"{w.alice.address} lacks FUNDER_ROLE: grant it with grantRole, or sign "
                                        "with an account that has it"),
        (["claim"], w.bob, f"{w.bob.address} has no funded coupon to claim: wait until a coupon is recorded and "
                           "funded"),
        (["push", "0xabc"], None, "holder '0xabc' is not a valid Ethereum address: use 0x followed by 40 hex digits"),
        (["redeem"], w.alice, "the principal of HKGB is not funded: once the bond has matured or been called, run "
                              "`hktoken bond fund-coupon principal`"),
        (["redeem", "--for", w.broker1.address], None,
         f"{w.broker1.address} holds no HKGB: redeem for a holder of the bond"),
        (["call", "--date", soon.isoformat(), "--price", "1000.0000001"], None,
         "price 1000.0000001 has more than 6 decimal places: round it to at most 6 decimals (the token's precision)"),
        (["call", "--date", "someday", "--price", "1000"], None,
         "--date 'someday' is not a date: write it as YYYY-MM-DD, e.g. 2027-06-30"),
        (["call", "--date", soon.isoformat(), "--price", "1000"], w.alice,
         f"{w.alice.address} lacks CALLER_ROLE: grant it with grantRole, or sign with an account that has it"),
    ]:  # fmt: skip
        one_line_error(w.run("bond", *args, *tok(w), signer=signer), expected)
    one_line_error(
        w.q("bond", "schedule", "--token", w.registry.address),
        f"{w.registry.address} on chain {w.chain.chain_id} holds an InvestorRegistry, not an RWAToken (ERC-7943 "
        "security token): pass the address of an RWAToken (ERC-7943 security token)",
    )
    assert w.nonces() == before


def test_status_shows_the_bond_terms(bw: BondWorld) -> None:
    w = bw
    lines = ok(w.q("status", *tok(w)))
    text = "\n".join(lines)
    for expected in ("HK0000GB2028", "1000 HKD", "3.80% x 2/year (19 HKD per token)", "0 of 2 recorded, 0 funded",
                     w.bond.paying_agent.address):  # fmt: skip
        assert expected in text, text


def test_fund_a_recorded_coupon_then_claim_and_push(bw: BondWorld) -> None:
    w = bw
    w.chain.increase_time(31 * DAY)
    w.chain.mine()
    agent = w.bond.paying_agent.address
    assert ok(w.run("bond", "fund-coupon", "0", *tok(w))) == [
        f"funded coupon 0 of HKGB with 2850 HKD: {w.last_tx(1)}; {w.last_tx()}"
    ]  # 150 bonds x HK$19: an approval, then the deposit
    assert w.hkd.balance_of(agent) == Decimal(2850) and w.bond.funded_coupons() == 1
    assert ok(w.run("bond", "claim", *tok(w), signer=w.alice)) == [
        f"claimed 1900 HKD of coupons of HKGB for {w.alice.address}: {w.last_tx()}"
    ]
    assert w.hkd.balance_of(w.alice.address) == Decimal(1900)
    assert ok(w.run("bond", "push", w.bob.address, *tok(w))) == [
        f"pushed 950 HKD of coupons of HKGB to 1 holder of 1: {w.last_tx()}"
    ]
    assert w.hkd.balance_of(w.bob.address) == Decimal(950) and w.hkd.balance_of(agent) == 0
    assert ok(w.q("bond", "schedule", *tok(w)))[-2].split()[-2:] == ["yes", "yes"]


def test_at_maturity_fund_the_principal_and_redeem(bw: BondWorld) -> None:
    w = bw
    w.chain.increase_time(61 * DAY)
    w.chain.mine()
    ok(w.run("bond", "fund-coupon", "0", *tok(w)))
    ok(w.run("bond", "fund-coupon", "1", *tok(w)))
    assert ok(w.run("bond", "fund-coupon", "principal", *tok(w))) == [
        f"funded the principal of HKGB with 150000 HKD: {w.last_tx(1)}; {w.last_tx()}"
    ]
    assert ok(w.run("bond", "redeem", *tok(w), signer=w.alice)) == [f"redeemed 100 HKGB for 1 holder: {w.last_tx()}"]
    assert w.bond.balance_of(w.alice.address) == 0
    assert w.hkd.balance_of(w.alice.address) == Decimal(100_000 + 2 * 1900)  # principal and both coupons
    assert ok(w.run("bond", "redeem", "--for", w.bob.address, *tok(w))) == [
        f"redeemed 50 HKGB for 1 holder: {w.last_tx()}"
    ]
    assert w.hkd.balance_of(w.bob.address) == Decimal(50_000 + 2 * 950) and w.bond.total_supply() == 0


def test_schedule_as_json(bw: BondWorld) -> None:
    w = bw
    result = w.q("bond", "schedule", *tok(w), "--json")
    data = json.loads(ok(result)[0])
    assert data["token"] == w.bond.address
    assert [(c["index"], c["per_token"], c["recorded"], c["funded"]) for c in data["coupons"]] == [
        (0, "19", False, False), (1, "19", False, False)
    ]  # fmt: skip
    assert data["coupons"][0]["record_date"] == (w.issue + timedelta(days=30)).isoformat()


def test_the_deployed_green_bond_is_named_from_its_manifest(
    bw: BondWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = bw
    deployed = deploy_spec(w.chain, w.admin, REPO / "deploy" / "hk-green-bond.toml", out=tmp_path)
    w.chain.sender.reset_nonces()
    monkeypatch.chdir(tmp_path)
    lines = ok(w.q("bond", "schedule", "--token", "hk-green-bond.HKGB"))
    assert [line.split()[:2] for line in lines[-4:]] == [
        ["0", "2027-08-16"], ["1", "2028-02-16"], ["2", "2028-08-16"], ["3", "2029-02-16"]
    ]  # fmt: skip
    text = "\n".join(ok(w.q("status", "--token", "hk-green-bond.HKGB")))
    assert "HK0000GB2028" in text and "3.80% x 2/year (19 HKD per token)" in text
    assert deployed.contracts["token.HKGB"] in text
