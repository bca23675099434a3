"""The fund's pydantic models with no chain: FundTerms and NavStrike refuse bad input with one line naming the
field; the contracts' NatSpec covers every entry of both fund deployables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hktoken import FundTerms, NavStrike, SpecError
from hktoken.artifacts import ArtifactStore

COIN = "0x" + "11" * 20
CASH = "0x" + "22" * 20
MGR = "0x" + "33" * 20
GOOD: dict[str, Any] = {
    "payment_token": COIN,
    "cash_account": CASH,
    "creation_unit": Decimal(1000),
    "initial_nav": Decimal(10),
    "max_nav_age": timedelta(days=1),
    "nav_move_bound_bps": 500,
}


def test_good_terms_and_their_defaults() -> None:
    terms = FundTerms(**GOOD)
    assert (terms.subscription_fee_bps, terms.redemption_fee_bps, terms.management_fee_bps) == (0, 0, 0)
    assert terms.dealing_fee_receiver == CASH  # no fee receiver named: the cash account
    assert terms.max_nav_age_seconds == 86_400
    assert FundTerms(**GOOD, fee_receiver=MGR).dealing_fee_receiver == MGR
    assert FundTerms.model_validate({**GOOD, "max_nav_age": 3600}).max_nav_age_seconds == 3600
    full = FundTerms(**GOOD, subscription_fee_bps=1000, redemption_fee_bps=1000, management_fee_bps=1000,
                     management_fee_receiver=MGR)  # fmt: skip
    assert full.management_fee_receiver == MGR


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"payment_token": "0x1234"}, "payment_token"),
        ({"cash_account": "not an address"}, "cash_account"),
        ({"fee_receiver": "0x" + "g" * 40}, "fee_receiver"),
        ({"creation_unit": Decimal(0)}, "creation_unit"),
        ({"creation_unit": Decimal(-5)}, "creation_unit"),
        ({"initial_nav": Decimal(0)}, "initial_nav"),
        ({"max_nav_age": timedelta(0)}, "max_nav_age"),
        ({"max_nav_age": timedelta(seconds=1.5)}, "max_nav_age"),
        ({"max_nav_age": 2**64}, "max_nav_age"),
        ({"nav_move_bound_bps": -1}, "nav_move_bound_bps"),
        ({"nav_move_bound_bps": 10_001}, "nav_move_bound_bps"),
        ({"subscription_fee_bps": 1001}, "subscription_fee_bps"),
        ({"redemption_fee_bps": -1}, "redemption_fee_bps"),
        ({"management_fee_bps": 1001}, "management_fee_bps"),
        ({"management_fee_bps": 100}, "management_fee_receiver"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_terms_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError, match=field) as refusal:
        FundTerms(**{**GOOD, **change})
    assert "\n" not in str(refusal.value)
    assert str(refusal.value).startswith("invalid FundTerms")


def test_terms_are_frozen() -> None:
    terms = FundTerms(**GOOD)
    with pytest.raises(Exception, match="frozen"):
        terms.nav_move_bound_bps = 1  # type: ignore[misc]


def test_a_nav_strike() -> None:
    as_of = datetime.now(UTC) - timedelta(minutes=5)
    nav = NavStrike(nav_per_share=Decimal("10.123456"), as_of=as_of)
    assert nav.as_of_timestamp == int(as_of.timestamp())
    # Checked against a chain: its own clock (here ahead of the wall clock) and the payment token's precision.
    ahead = datetime.now(UTC) + timedelta(days=30)
    on_chain = NavStrike.on_chain("10.5", ahead - timedelta(seconds=1), now=ahead, decimals=6)
    assert on_chain.nav_per_share == Decimal("10.5")


@pytest.mark.parametrize(
    ("nav", "as_of", "field"),
    [
        (Decimal(0), datetime.now(UTC), "nav_per_share"),
        (Decimal(-1), datetime.now(UTC), "nav_per_share"),
        (Decimal("NaN"), datetime.now(UTC), "nav_per_share"),
        (Decimal(10), datetime.now(UTC) + timedelta(hours=1), "as_of"),
        (Decimal(10), datetime(2026, 1, 1), "as_of"),  # naive
        (Decimal(10), datetime(1960, 1, 1, tzinfo=UTC), "as_of"),
    ],
)
def test_bad_nav_strikes_name_the_field(nav: Decimal, as_of: datetime, field: str) -> None:
    with pytest.raises(SpecError, match=field):
        NavStrike(nav_per_share=nav, as_of=as_of)


def test_a_nav_strike_on_chain_refuses_excess_precision_and_the_chains_future() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(SpecError, match="nav_per_share: has more than 6 decimal places"):
        NavStrike.on_chain("10.1234567", now, now=now, decimals=6)
    with pytest.raises(SpecError, match=r"as_of: .* is in the future"):
        NavStrike.on_chain("10", now + timedelta(seconds=1), now=now, decimals=6)
    # The context does not leak into the next validation.
    assert NavStrike(nav_per_share=Decimal("10.1234567"), as_of=datetime.now(UTC)).nav_per_share


SECTIONS = {"function": "methods", "event": "events", "error": "errors"}
UPSTREAM = {"DEFAULT_ADMIN_ROLE()", "InvalidShortString()", "StringTooLong(string)"}


@pytest.mark.parametrize("contract", ["FundToken", "FundAdministrator"])
def test_every_abi_entry_of_the_fund_is_documented(contract: str) -> None:
    artifact = ArtifactStore().get(contract)
    output = json.loads(artifact.metadata)["output"]
    missing = []
    for entry in artifact.abi:
        section = SECTIONS.get(entry["type"])
        if section is None:
            continue
        signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
        if signature in UPSTREAM:
            continue
        if signature not in output["userdoc"].get(section, {}) and signature not in output["devdoc"].get(section, {}):
            missing.append(signature)
    assert missing == []


def test_every_fund_deployable_fits_the_size_budget() -> None:
    store = ArtifactStore()
    sizes = {name: (len(store.get(name).deployed_bytecode) - 2) // 2 for name in ("FundToken", "FundAdministrator")}
    assert all(size <= 23_040 for size in sizes.values()), sizes
