"""The gold models' validation, with no chain: ``GoldBar`` (Good Delivery by default, exact fine weight, bytes32
text) and ``Attestation``. Every refusal is one ``SpecError`` line naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from hktoken import SpecError
from hktoken.contracts.gold import _create_address
from hktoken.models.gold import (
    Attestation,
    GoldBar,
    GoldCode,
    RedemptionStatus,
    text32,
    text_of32,
)
from hktoken.models.restrictions import ASSET_MESSAGES, GOLD_CODES_START, message_for

GOOD = {"serial": "AB123456", "refiner": "Valcambi SA", "gross_oz": "400.125", "fineness": 9999, "vault": "HK-1"}
REPORT = {
    "report_hash": bytes(range(32)),
    "uri": "https://auditor.example/2026-11.pdf",
    "ounces": "1209.7140525",
    "as_of": datetime(2026, 11, 30, tzinfo=UTC),
}


def good(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_a_good_delivery_bar_derives_its_fine_weight_exactly() -> None:
    b = GoldBar(**good())
    assert b.gross_oz == Decimal("400.125") and b.gross_milli == 400125
    assert b.fine_oz == Decimal("400.0849875")  # 400.125 x 0.9999, no rounding
    assert b.fine_units == 400125 * 9999 * 10**11 == 400_084_987_500_000_000_000
    assert b.as_input() == (text32("AB123456", "s"), text32("Valcambi SA", "r"), text32("HK-1", "v"), 400125, 9999)


@pytest.mark.parametrize("gross", ["350", "430", "350.000", "429.999"])
def test_the_good_delivery_gross_range_is_inclusive(gross: str) -> None:
    assert GoldBar(**good(gross_oz=gross)).gross_oz == Decimal(gross)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gross_oz": "349.999"}, "invalid GoldBar: gross_oz 349.999 is outside the Good Delivery range 350-430 oz"),
        ({"gross_oz": "430.001"}, "gross_oz 430.001 is outside the Good Delivery range"),
        ({"fineness": 9949}, "fineness 9949 is outside the Good Delivery range 9950-9999"),
        ({"fineness": 10000}, "fineness 10000 is outside the Good Delivery range"),
        ({"gross_oz": "400.1234"}, "invalid GoldBar: gross_oz: 400.1234 has more than 3 decimals"),
        ({"gross_oz": "0"}, "gross_oz: must be a positive number of troy ounces"),
        ({"gross_oz": "-400"}, "gross_oz: must be a positive number"),
        ({"gross_oz": "NaN"}, "gross_oz: Input should be a finite number"),
        ({"gross_oz": 400.5}, "gross_oz: pass the weight as Decimal, int or str"),
        ({"fineness": 0}, "fineness: must be 1 to 10000"),
        ({"fineness": 10001}, "fineness: must be 1 to 10000"),
        ({"serial": ""}, "invalid GoldBar: serial: serial must not be empty"),
        ({"serial": "S" * 33}, "serial: serial 'SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS' is 33 bytes of UTF-8; at most 32"),
        ({"refiner": "Ré" * 11}, "refiner: refiner 'RéRéRéRéRéRéRéRéRéRéRé' is 33 bytes of UTF-8"),
        ({"vault": "a\0b"}, "vault: vault must not contain NUL characters"),
        ({"vault": "   "}, "vault: vault must not be empty"),
        ({"colour": "yellow"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_bar_is_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as refusal:
        GoldBar(**good(**changes))
    assert message in str(refusal.value)
    assert "\n" not in str(refusal.value)


def test_other_bars_are_listed_only_when_good_delivery_is_waived() -> None:
    kilo = GoldBar(**good(gross_oz="32.151", fineness=9999, good_delivery=False))
    assert kilo.fine_oz == Decimal("32.1477849")
    pure = GoldBar(**good(fineness=10000, good_delivery=False))
    assert pure.fine_oz == pure.gross_oz
    large = GoldBar(**good(gross_oz="4294967.295", good_delivery=False))  # the contract's uint32 milli-ounces
    assert large.gross_milli == 2**32 - 1
    with pytest.raises(SpecError, match="above the most the contract records"):
        GoldBar(**good(gross_oz="4294967.296", good_delivery=False))
    with pytest.raises(SpecError, match="fineness: must be 1 to 10000"):
        GoldBar(**good(fineness=10001, good_delivery=False))


def test_a_bar_read_back_from_chain_says_whether_it_is_good_delivery() -> None:
    b = GoldBar.from_chain("AB123456", text32("Valcambi SA", "r"), text32("HK-1", "v"), 400125, 9999)
    assert b == GoldBar(**good())
    kilo = GoldBar.from_chain("K1", text32("PAMP", "r"), text32("HK-1", "v"), 32151, 9999)
    assert kilo.good_delivery is False and kilo.gross_oz == Decimal("32.151")


def test_bytes32_text_round_trips() -> None:
    assert text_of32(text32("香港金庫", "vault")) == "香港金庫"
    assert len(text32("x" * 32, "serial")) == 32


def test_an_attestation_is_validated() -> None:
    a = Attestation(**REPORT)
    assert a.ounces_units == 1209714052500000000000
    assert a.as_of_timestamp == int(datetime(2026, 11, 30, tzinfo=UTC).timestamp())
    assert a.published_at is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"report_hash": b"short"}, "invalid Attestation: report_hash: must be 32 bytes, got 5"),
        ({"report_hash": bytes(32)}, "report_hash: must not be zero"),
        ({"uri": ""}, "uri: String should have at least 1 character"),
        ({"ounces": "-1"}, "ounces: must be a non-negative number of ounces"),
        ({"ounces": "1.0000000000000000001"}, "ounces: 1.0000000000000000001 has more than 18 decimals"),
        ({"ounces": 1.5}, "ounces: pass ounces as Decimal, int or str"),
        ({"ounces": str(2**128)}, "ounces: 340282366920938463463374607431768211456 is too large"),
        ({"as_of": datetime(2026, 11, 30)}, "as_of: must be timezone-aware"),
        ({"as_of": datetime(1969, 12, 31, tzinfo=UTC)}, "as_of: must be after 1970-01-01T00:00:00Z"),
    ],
)
def test_a_bad_attestation_is_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as refusal:
        Attestation(**{**REPORT, **changes})
    assert message in str(refusal.value)


def test_the_gold_code_and_its_message_sit_in_the_gold_block() -> None:
    assert GoldCode.MINT_EXCEEDS_RESERVE == GOLD_CODES_START == 72
    assert ASSET_MESSAGES[72] == message_for(72) == "mint exceeds gold reserve"
    assert [s.value for s in RedemptionStatus] == [0, 1, 2, 3, 4]


def test_the_token_address_is_predicted_as_create_computes_it() -> None:
    # anvil's first account deploying at nonces 0 and 1 (the addresses every fresh anvil gives)
    deployer = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert _create_address(deployer, 0) == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    assert _create_address(deployer, 1) == "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    assert _create_address(deployer, 0x80) == _create_address(deployer, 128)
