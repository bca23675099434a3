"""The CLI's parsers and formatters, without a chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hktoken import InvestorClass, SpecError
from hktoken.bulk.onboard import parse_class, parse_expiry
from hktoken.cli import display
from hktoken.cli.countries import ALPHA2_TO_NUMERIC, country_code, country_label
from hktoken.cli.refs import Kind, check_ref


def test_countries_by_number_or_alpha_2() -> None:
    assert len(ALPHA2_TO_NUMERIC) == 249
    assert [country_code(c) for c in ("HK", "hk", " 344 ", "SG", "US", "KP", "GB", "CN")] == [
        344, 344, 344, 702, 840, 408, 826, 156,
    ]  # fmt: skip
    assert (country_label(344), country_label(999)) == ("344 (HK)", "999")
    with pytest.raises(SpecError, match=r"^country 'UK' is not an ISO 3166-1 code: use an alpha-2 code"):
        country_code("UK")
    with pytest.raises(SpecError, match=r"^country '0' is not an ISO 3166-1 numeric code"):
        country_code("0")


def test_investor_classes_by_name_prefix_or_number() -> None:
    assert [parse_class(t) for t in ("retail", "PRO", "Professional", "3", "inst")] == [
        InvestorClass.RETAIL, InvestorClass.PROFESSIONAL, InvestorClass.PROFESSIONAL, InvestorClass.INSTITUTIONAL,
        InvestorClass.INSTITUTIONAL,
    ]  # fmt: skip
    for bad in ("re", "4", "vip", ""):
        with pytest.raises(SpecError, match="is not one of retail"):
            parse_class(bad)


def test_expiry_dates_are_utc_unless_they_say_otherwise() -> None:
    assert parse_expiry("2030-06-30") == datetime(2030, 6, 30, tzinfo=UTC)
    assert parse_expiry("2030-06-30T12:00:00") == datetime(2030, 6, 30, 12, tzinfo=UTC)
    hk = timezone(timedelta(hours=8))
    assert parse_expiry("2030-06-30T08:00:00+08:00") == datetime(2030, 6, 30, 8, tzinfo=hk)
    with pytest.raises(SpecError, match=r"^KYC expiry '30/06/2030' is not a date: write it as YYYY-MM-DD"):
        parse_expiry("30/06/2030")


def test_contract_references_are_checked_without_a_node() -> None:
    check_ref("0x" + "ab" * 20, Kind.TOKEN)
    check_ref("hk-green-bond.bond", Kind.TOKEN)
    check_ref("etf_2.fund-token", Kind.REGISTRY)
    for bad in ("bond", "a.b.c", ".bond", "hk-green-bond.", "0x12"):
        with pytest.raises(SpecError):
            check_ref(bad, Kind.TOKEN)


def test_display_helpers() -> None:
    assert display.amount(Decimal("1250.500"), "HKGB") == "1250.5 HKGB"
    assert display.amount(Decimal("0E-18")) == "0"
    assert display.when(datetime(2030, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))) == "2030-01-01 00:00:00 UTC"
    assert (display.plural(1, "batch", "batches"), display.plural(2, "batch", "batches")) == ("1 batch", "2 batches")
    assert display.fields([("a", "1"), ("long key", "2")]) == "a         1\nlong key  2"
    assert display.table(["name", "n"], [["x", "10"], ["yy", "2"]], right=["n"]).splitlines() == [
        "name    n",
        "─" * 9,
        "x      10",
        "yy      2",
    ]
