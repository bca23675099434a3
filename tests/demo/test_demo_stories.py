"""The demo's stories as library functions, each run end to end on the session anvil (the plugin snapshots the
module, so the time they travel is undone): every step's transactions are on chain with the gas the story reports,
the refusal steps carry the exact ERC-1404 code and reason and moved nothing, and each story ends in the exact state
its figures claim (bond supply 0 after redemption, HKD balances to the cent, the gold reserve, the fund's shares)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import BondToken, FundToken, GoldToken, HKDStablecoin, SpecError
from hktoken.chain import Chain
from hktoken.demo import STORIES, Cast, Story, run_bond_story, run_fund_story, run_gold_story, run_story
from hktoken.demo.bond import ALLOCATION, ISSUE_SIZE, add_months, green_bond_terms
from hktoken.demo.story import ROLES, units

HKD = 10**6


@pytest.fixture(scope="module")
def cast(accounts: Sequence[LocalAccount]) -> Cast:
    return Cast.of(accounts)


def assert_steps_are_on_chain(chain: Chain, story: Story) -> None:
    """Every transaction a step names was mined, succeeded and used the gas the step reports."""
    assert story.transaction_count > 0
    for step in story.steps:
        for tx in step.transactions:
            receipt = chain.w3.eth.get_transaction_receipt(tx.tx_hash)  # type: ignore[arg-type]
            assert receipt["status"] == 1, step.name
            assert (receipt["gasUsed"], receipt["blockNumber"]) == (tx.gas, tx.block), step.name
        assert step.gas == sum(t.gas for t in step.transactions)
        assert step.tx_hash == (step.transactions[-1].tx_hash if step.transactions else None)


# --------------------------------------------------------------------------------------------- bond


@pytest.fixture(scope="module")
def bond_story(chain: Chain, cast: Cast) -> Story:
    return run_bond_story(chain, cast)


def test_the_bond_story_runs_every_chapter_in_order(bond_story: Story) -> None:
    chapters = list(dict.fromkeys(s.chapter for s in bond_story.steps))
    assert chapters == [
        "1. Deploy the HK green bond suite",
        "2. Onboard investors",
        "3. Primary issuance by DvP against HKD",
        "4. A secondary trade by DvP",
        "5. The first coupon, funded and paid",
        "6. Maturity and redemption",
    ]
    assert [s.name for s in bond_story.steps] == [
        "registry", "hkd-token", "dvp", "bond", "register", "unverified", "hkd", "approvals", "mint", "precheck",
        "refused", "issue-professional", "issue-broker", "issue-retail", "secondary", "record", "fund-coupon", "claim",
        "push", "maturity", "fund-coupons", "fund-principal", "redeem",
    ]  # fmt: skip


def test_every_bond_step_is_on_chain_with_its_gas(chain: Chain, bond_story: Story) -> None:
    assert_steps_are_on_chain(chain, bond_story)
    for name in ("precheck", "refused", "record", "maturity", "unverified"):
        assert bond_story.step(name).transactions == ()


def test_the_unverified_buyer_is_refused_with_code_3_and_nothing_moves(bond_story: Story) -> None:
    precheck, refused = bond_story.step("precheck"), bond_story.step("refused")
    assert (precheck.data["code"], precheck.data["reason"]) == (3, "recipient not verified")
    assert refused.data == {
        "code": 3, "reason": "recipient not verified", "error": "TransferRestricted", "nothing_moved": True,
    }  # fmt: skip
    assert "TransferRestricted(code=3, reason='recipient not verified')" in refused.what


def test_the_bond_ends_redeemed_with_every_hkd_balance_exact(chain: Chain, bond_story: Story) -> None:
    a = bond_story.addresses
    bond, hkd = BondToken(chain, a["bond"]), HKDStablecoin(chain, a["hkd"])
    assert bond.raw.total_supply() == 0
    assert bond.raw_balance_of(a["treasury"]) == 0
    # professional: 1.2bn paid at issue, +50,062,500 sold on, coupon 0 claimed on 1,150,000 bonds, then principal and
    # coupons 1-3 at redemption; broker: every HKD it had went on bonds, then coupon 0 pushed, then the redemption.
    assert hkd.raw_balance_of(a["professional"]) == (50_062_500 + 1_150_000 * 19 + 1_150_000 * (1000 + 3 * 19)) * HKD
    assert hkd.raw_balance_of(a["broker"]) == (849_990 * 19 + 849_990 * (1000 + 3 * 19)) * HKD
    assert hkd.raw_balance_of(a["retail"]) == (10 * 19 + 10 * (1000 + 3 * 19)) * HKD == 10_760 * HKD
    assert hkd.raw_balance_of(a["treasury"]) == 2_000_000_000 * HKD  # the whole issue sold at par
    assert hkd.raw_balance_of(a["unverified"]) == 100_000 * HKD  # its purchase never happened
    assert hkd.raw_balance_of(a["paying_agent"]) == 0  # every coupon and the principal paid out
    assert hkd.raw_balance_of(a["issuer"]) == 0  # it funded exactly four coupons and the principal
    assert bond_story.figures == {
        "bond_supply": "0", "coupons_paid_hkd": "152000000", "principal_paid_hkd": "2000000000",
        "paying_agent_hkd": "0", "before_redemption_block": bond_story.figures["before_redemption_block"],
        "professional_hkd": "1287462500", "broker_hkd": "914589240", "retail_hkd": "10760",
        "treasury_hkd": "2000000000",
    }  # fmt: skip
    assert bond_story.step("claim").data == {"amount": "21850000"}
    assert bond_story.step("redeem").data == {"professional": "1215550000", "broker": "898439430", "retail": "10570"}


def test_the_cap_tables_before_and_after_redemption(bond_story: Story) -> None:
    before, final = bond_story.cap_tables["before_redemption"], bond_story.cap_tables["final"]
    assert [(h.investor_id, h.balance, h.omnibus) for h in before.holders] == [
        ("PI-0001", Decimal(1_150_000), False),
        ("BROKER-OMNIBUS-01", Decimal(849_990), True),
        ("RI-0001", Decimal(10), False),
    ]
    assert before.total_supply == ISSUE_SIZE and before.block == int(bond_story.figures["before_redemption_block"])
    assert final.holders == () and final.total_supply == 0 and final.block == before.block + 1


def test_the_bond_story_as_json_data(bond_story: Story) -> None:
    data = bond_story.as_dict()
    assert data["asset"] == "bond" and data["gas"] == bond_story.gas > 0
    assert data["transactions"] == bond_story.transaction_count == sum(len(s["transactions"]) for s in data["steps"])
    refused = next(s for s in data["steps"] if s["name"] == "refused")
    assert (refused["gas"], refused["tx_hash"], refused["transactions"]) == (0, None, [])
    mint = next(s for s in data["steps"] if s["name"] == "mint")
    assert mint["tx_hash"].startswith("0x") and len(mint["tx_hash"]) == 66 and mint["gas"] > 21_000
    assert set(data["cap_tables"]) == {"before_redemption", "final"}
    assert data["cap_tables"]["final"]["holders"] == []


# --------------------------------------------------------------------------------------------- gold


@pytest.fixture(scope="module")
def gold_story(chain: Chain, cast: Cast) -> Story:
    return run_gold_story(chain, cast)


def test_the_gold_story_refuses_a_mint_beyond_the_reserve_with_code_72(chain: Chain, gold_story: Story) -> None:
    assert_steps_are_on_chain(chain, gold_story)
    precheck, refused = gold_story.step("precheck"), gold_story.step("refused")
    assert (precheck.data["code"], precheck.data["reason"]) == (72, "mint exceeds gold reserve")
    assert refused.data == {"code": 72, "reason": "mint exceeds gold reserve", "nothing_moved": True}
    assert refused.transactions == ()


def test_the_gold_story_ends_with_one_bar_redeemed_and_the_reserve_exact(chain: Chain, gold_story: Story) -> None:
    token = GoldToken(chain, gold_story.addresses["gold"])
    bar = Decimal("400.125") * Decimal("0.9999")  # HKAU-0001's fine weight, released to PI-0001
    reserve = Decimal("1209.7140525") - bar
    supply = Decimal(1105) - bar
    assert token.total_supply() == supply == Decimal("704.9150125")
    assert token.reserve_oz() == reserve == Decimal("809.629065")
    assert token.custodian.bar_count() == 2 and token.custodian.bar("HKAU-0001") is None
    ratio = Decimal(int(reserve * 10**18) * 10**18 // int(supply * 10**18)) / 10**18
    assert token.reserve_ratio() == ratio
    assert gold_story.figures == {
        "supply_oz": "704.9150125", "reserve_oz": "809.629065", "reserve_ratio": str(ratio), "bars": "2",
        "redemption_status": "FULFILLED", "professional_hkd": "2051250",
    }  # fmt: skip
    assert [(h.investor_id, h.balance, h.omnibus) for h in gold_story.cap_tables["final"].holders] == [
        ("PI-0001", Decimal(1100) - 100 - bar, False),
        ("BROKER-OMNIBUS-01", Decimal(100), True),
        ("RI-0001", Decimal(5), False),
    ]
    assert len(token.custodian.attestations()) == 1


# --------------------------------------------------------------------------------------------- fund


@pytest.fixture(scope="module")
def fund_story(chain: Chain, cast: Cast) -> Story:
    return run_fund_story(chain, cast)


def test_the_fund_story_creates_and_redeems_in_units_to_the_cent(chain: Chain, fund_story: Story) -> None:
    assert_steps_are_on_chain(chain, fund_story)
    token = FundToken(chain, fund_story.addresses["fund"])
    hkd = HKDStablecoin(chain, fund_story.addresses["hkd"])
    a = fund_story.addresses
    assert token.raw.total_supply() == 2_000 * 10**18  # 3 units created, 1 redeemed
    assert token.raw_balance_of(a["ap"]) == 1_500 * 10**18 and token.raw_balance_of(a["professional"]) == 500 * 10**18
    # AP: 50,000 - 30,030 subscribed (3 units at 10.00 + 10 bps) + 5,025 sold on + 10,200 redeemed - 20 bps
    assert hkd.raw_balance_of(a["ap"]) == 50_000 * HKD - 30_030 * HKD + 5_025 * HKD + 10_179_600_000
    # the cash account also receives the dealing fees (no other fee receiver named)
    assert hkd.raw_balance_of(a["cash_account"]) == (1_000_000 + 30_000 + 30 - 10_200) * HKD + 20_400_000
    assert hkd.raw_balance_of(a["administrator"]) == 0
    assert fund_story.step("claim-shares").data == {"shares": "3000"}
    assert fund_story.step("claim-cash").data == {"paid": "10179.6"}
    assert [s.name for s in fund_story.steps if s.name.startswith(("nav", "strike"))] == [
        "nav-1", "strike-1", "nav-2", "strike-2"
    ]  # fmt: skip
    assert len(fund_story.step("subscribe").transactions) == 2  # the HKD approval, then the request
    assert [(h.investor_id, h.balance) for h in fund_story.cap_tables["final"].holders] == [
        ("AP-0001", Decimal(1500)),
        ("PI-0001", Decimal(500)),
    ]


# --------------------------------------------------------------------------------------------- units (no chain)


def test_the_green_bond_terms_pay_an_exact_coupon() -> None:
    issue = datetime(2026, 12, 1, 12, tzinfo=UTC)
    terms = green_bond_terms("0x" + "11" * 20, issue)
    assert terms.coupon_per_token == Decimal(19) and terms.coupon_per_token_units == 19 * HKD
    assert [d.date().isoformat() for d in terms.coupon_dates] == [
        "2027-06-01",
        "2027-12-01",
        "2028-06-01",
        "2028-12-01",
    ]
    assert terms.maturity_date == terms.coupon_dates[-1]
    assert sum(ALLOCATION.values()) == ISSUE_SIZE * 1  # the whole HK$2bn issue is sold
    assert add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(2028, 2, 28, tzinfo=UTC)


def test_amounts_read_with_grouped_thousands() -> None:
    assert units(Decimal("1209.7140525"), "oz") == "1,209.7140525 oz"
    assert units(Decimal("2000000000.000000"), "HKD") == "2,000,000,000 HKD"
    assert units(Decimal("-1234.5"), "HKD") == "-1,234.5 HKD"
    assert units(Decimal(0), "HKD") == "0 HKD"


def test_a_cast_needs_one_account_per_role(accounts: Sequence[LocalAccount]) -> None:
    assert len(ROLES) == 9
    assert Cast.of(accounts).treasury == accounts[3]
    with pytest.raises(ValueError, match="a demo needs 9 accounts, got 8"):
        Cast.of(accounts[:8])


def test_an_unknown_story_is_refused(chain: Chain, cast: Cast) -> None:
    assert list(STORIES) == ["bond", "gold", "fund"]
    with pytest.raises(SpecError, match="there is no 'silver' demo"):
        run_story("silver", chain, cast)


def test_a_story_runs_again_on_a_node_it_already_ran_on(chain: Chain, cast: Cast, bond_story: Story) -> None:
    again = run_story("bond", chain, cast)  # fresh contracts, the clock two years further on
    assert again.addresses["bond"] != bond_story.addresses["bond"]
    assert [s.name for s in again.steps] == [s.name for s in bond_story.steps]
    assert again.figures | {"before_redemption_block": ""} == bond_story.figures | {"before_redemption_block": ""}
    assert again.step("refused").data == bond_story.step("refused").data
