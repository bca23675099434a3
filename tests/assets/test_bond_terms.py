"""BondTerms validation and the coupon schedule as Python data (no chain): every bad term is a one-line SpecError
naming the field, and the amounts are the token's own, exact to the base unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hktoken import BondRestriction, BondTerms, SpecError
from hktoken.models.bond import isin_check_digit
from hktoken.models.restrictions import ASSET_MESSAGES, message_for

ISSUE = datetime(2026, 1, 15, tzinfo=UTC)
COUPONS = tuple(datetime(2026 + (n + 1) // 2, 7 if n % 2 == 0 else 1, 15, tzinfo=UTC) for n in range(6))
TOKEN = "0x" + "11" * 20


def terms(**changes: Any) -> BondTerms:
    base: dict[str, Any] = {
        "isin": "HK0000098498",
        "currency": "HKD",
        "payment_token": TOKEN,
        "payment_decimals": 6,
        "denomination": Decimal(1000),
        "coupon_rate_bps": 450,
        "coupon_frequency": 2,
        "issue_date": ISSUE,
        "maturity_date": COUPONS[-1],
        "coupon_dates": COUPONS,
    }
    return BondTerms(**(base | changes))


def test_valid_terms_give_the_per_token_coupon_and_the_constructor_arguments() -> None:
    t = terms()
    assert t.coupon_per_token == Decimal("22.5") and t.coupon_per_token_units == 22_500_000
    assert t.denomination_units == 1_000_000_000
    isin, token, numbers, dates = t.constructor_args()
    assert isin == b"HK0000098498" and token == "0x1111111111111111111111111111111111111111"
    assert numbers == [10**9, 450, 2, int(ISSUE.timestamp()), int(COUPONS[-1].timestamp()), 30 * 86_400, 0x484B44]
    assert dates == [int(d.timestamp()) for d in COUPONS]
    assert t.min_call_notice == timedelta(days=30)


def test_the_schedule_and_amounts_match_the_token_to_the_base_unit() -> None:
    t = terms()
    schedule = t.schedule()
    assert [c.index for c in schedule] == list(range(6))
    assert [c.record_date for c in schedule] == list(COUPONS)
    assert {c.per_token for c in schedule} == {Decimal("22.5")}
    # floor(balance in base units x 22,500,000 / 10**18) HKD base units
    assert t.coupon_for(Decimal("33.333333333333333333"), 18) == Decimal("749.999999")
    assert t.coupon_for(Decimal("0.000000000000000001"), 18) == 0
    assert t.coupon_for(Decimal(100), 18) == Decimal(2250)
    assert t.coupon_for(Decimal("1.5"), 2) == Decimal("33.75")
    assert t.principal_for(Decimal(100), 18) == Decimal(100_000)
    assert t.principal_for(Decimal("0.5"), 18, price=Decimal("1010.000001")) == Decimal("505.000000")
    assert t.max_supply_units(18) == (2**88 - 1) * 10**18 // (22_500_000 * 6)
    assert t.max_supply_units(30) == 2**128 - 1  # capped by the token's own supply limit


@pytest.mark.parametrize(
    ("isin", "digit"),
    [("US0378331005", 5), ("AU0000XVGZA3", 3), ("GB0002634946", 6), ("XS2010031057", 7), ("HK0000098498", 8)],
)
def test_the_isin_check_digit_is_iso_6166(isin: str, digit: int) -> None:
    assert isin_check_digit(isin[:11]) == digit
    assert terms(isin=isin).isin == isin


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"isin": "HK0000098497"}, "isin", "wrong check digit (expected 8)"),
        ({"isin": "HK000009849"}, "isin", "is not an ISIN"),
        ({"isin": "hk0000098498"}, "isin", "is not an ISIN"),
        ({"isin": "120000098498"}, "isin", "2-letter country prefix"),
        ({"currency": "HK"}, "currency", "ISO 4217"),
        ({"currency": "hkd"}, "currency", "ISO 4217"),
        ({"payment_token": "0x1234"}, "payment_token", "not a valid Ethereum address"),
        ({"payment_decimals": 37}, "payment_decimals", "less than or equal to 36"),
        ({"denomination": Decimal(0)}, "denomination", "greater than 0"),
        ({"denomination": Decimal(-5)}, "denomination", "greater than 0"),
        ({"coupon_rate_bps": 0}, "coupon_rate_bps", "greater than or equal to 1"),
        ({"coupon_rate_bps": 10_001}, "coupon_rate_bps", "less than or equal to 10000"),
        ({"coupon_frequency": 3}, "coupon_frequency", "Input should be 1, 2, 4 or 12"),
        ({"issue_date": datetime(2026, 1, 15)}, "issue_date", "timezone-aware"),
        ({"maturity_date": datetime(2200, 1, 1, tzinfo=UTC)}, "maturity_date", "uint32"),
        ({"coupon_dates": ()}, "coupon_dates", "at least 1 item"),
        ({"coupon_dates": tuple(ISSUE + timedelta(days=n + 1) for n in range(65))}, "coupon_dates", "at most 64"),
        ({"coupon_dates": (COUPONS[1], COUPONS[0])}, "coupon_dates", "coupon date 1"),
        ({"coupon_dates": (COUPONS[0], COUPONS[0])}, "coupon_dates", "is not after the one before it"),
        ({"coupon_dates": (datetime(2026, 7, 15),)}, "coupon_dates", "timezone-aware"),
        ({"min_call_notice": timedelta(seconds=-1)}, "min_call_notice", "whole number of seconds"),
        ({"min_call_notice": timedelta(seconds=1.5)}, "min_call_notice", "whole number of seconds"),
        ({"extra": 1}, "extra", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_field_is_one_line_naming_it(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(SpecError) as refusal:
        terms(**changes)
    message = str(refusal.value)
    assert message.startswith(f"invalid BondTerms: {field}"), message
    assert words in message and "\n" not in message


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"maturity_date": ISSUE}, "maturity_date", "must be after issue_date"),
        ({"maturity_date": COUPONS[-2]}, "coupon_dates", "must not be after maturity_date"),
        ({"issue_date": COUPONS[0]}, "coupon_dates", "first coupon date must be after issue_date"),
        ({"denomination": Decimal("1000.0000001")}, "denomination", "more than 6 decimal places"),
        ({"denomination": Decimal("1.000001")}, "denomination", "not a whole number of payment-token base units"),
        ({"coupon_rate_bps": 451, "denomination": Decimal("0.01")}, "denomination", "not a whole number"),
        ({"denomination": Decimal(2**96)}, "denomination", "too large"),
    ],
)
def test_inconsistent_terms_name_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(SpecError) as refusal:
        terms(**changes)
    message = str(refusal.value)
    assert f"{field}:" in message and words in message, message
    assert "\n" not in message


def test_a_coupon_dated_on_maturity_and_a_monthly_bond_are_valid() -> None:
    monthly = tuple(ISSUE + timedelta(days=30 * (n + 1)) for n in range(12))
    t = terms(coupon_frequency=12, coupon_rate_bps=600, coupon_dates=monthly, maturity_date=monthly[-1])
    assert t.coupon_per_token == Decimal(5)  # 1,000 x 6% / 12


def test_the_bond_codes_have_their_block_and_messages() -> None:
    assert [int(c) for c in BondRestriction] == [64, 65, 66]
    assert message_for(BondRestriction.MATURED) == "bond matured" == ASSET_MESSAGES[64]
    assert message_for(BondRestriction.CALLED) == "bond called"
    assert message_for(BondRestriction.SUPPLY_BOUND) == "bond supply bound exceeded"
