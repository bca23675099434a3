"""Tokenized gold: bars in custody, attestations of the reserve, redemption requests, and the gold token's
restriction code. 1 token = 1 fine troy ounce, 18 decimals (``contracts/assets/gold``).

Weights are exact ``Decimal``: gross weight in troy ounces to 3 decimals (stored on chain in milli-ounces), fineness
in parts per 10,000, so a bar's fine weight ``gross_oz * fineness / 10000`` has at most 7 decimals and is exactly
``gross_milli * fineness * 10**11`` token base units.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from hktoken.models.common import Model
from hktoken.models.restrictions import GOLD_CODES_START

GOLD_DECIMALS = 18
BASE_UNITS_PER_FINE_UNIT = 10**11  # one fine unit = 1e-7 oz = gross milli-ounce x fineness / 10,000
GOOD_DELIVERY_GROSS_OZ = (Decimal(350), Decimal(430))  # LBMA Good Delivery gross weight range, inclusive
GOOD_DELIVERY_FINENESS = (9950, 9999)  # 995.0 or better; 9999 is the finest the LBMA list records
MAX_FINENESS = 10_000
MAX_GROSS_MILLI = 2**32 - 1  # the contract's uint32


class GoldCode(IntEnum):
    """The gold token's ERC-1404 restriction codes (hktoken's gold block, 72-79)."""

    MINT_EXCEEDS_RESERVE = GOLD_CODES_START
    ATTESTATION_STALE = GOLD_CODES_START + 1


class RedemptionStatus(IntEnum):
    """A redemption request's status (values match ``IGoldCustodian.RedemptionStatus``)."""

    NONE = 0
    PENDING = 1
    FULFILLED = 2
    REJECTED = 3
    RETURN_PENDING = 4


def text32(value: str, what: str) -> bytes:
    """The on-chain bytes32 of a short text (UTF-8, zero-padded); ValueError naming ``what`` otherwise."""
    encoded = value.encode()
    if not encoded.strip():
        raise ValueError(f"{what} must not be empty")
    if len(encoded) > 32:
        raise ValueError(f"{what} {value!r} is {len(encoded)} bytes of UTF-8; at most 32 fit on chain")
    if b"\0" in encoded:
        raise ValueError(f"{what} must not contain NUL characters")
    return encoded.ljust(32, b"\0")


def text_of32(raw: bytes) -> str:
    """The text of an on-chain bytes32 written by :func:`text32`."""
    return raw.rstrip(b"\0").decode(errors="replace")


class GoldBar(Model):
    """One bar in custody, as the vault's bar list records it.

    ``good_delivery=True`` (the default) holds the bar to the LBMA Good Delivery specification: gross weight 350 to
    430 troy ounces and fineness 9950 to 9999. Pass ``good_delivery=False`` to list another bar (a kilobar, a
    non-standard cast): gross weight then only has to be positive and fineness 1 to 10000.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    serial: str = Field(description="The refiner's serial number (at most 32 bytes of UTF-8).")
    refiner: str = Field(description="The refiner (at most 32 bytes of UTF-8).")
    gross_oz: Decimal = Field(description="Gross weight in troy ounces, to at most 3 decimals.")
    fineness: int = Field(description="Parts of gold per 10,000 (9999 = 99.99%).")
    vault: str = Field(description="The vault holding the bar (at most 32 bytes of UTF-8).")
    good_delivery: bool = Field(default=True, description="Enforce the LBMA Good Delivery ranges.")

    @field_validator("serial", "refiner", "vault")
    @classmethod
    def _fits_bytes32(cls, value: str, info: ValidationInfo) -> str:
        text32(value, info.field_name or "text")
        return value

    @field_validator("gross_oz", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("pass the weight as Decimal, int or str (a float is inexact)")
        return value

    @field_validator("gross_oz")
    @classmethod
    def _milli_ounces(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError(f"must be a positive number of troy ounces, got {value}")
        milli = value * 1000
        if milli != milli.to_integral_value():
            raise ValueError(f"{value} has more than 3 decimals (the bar list records milli-ounces)")
        if milli > MAX_GROSS_MILLI:
            raise ValueError(f"{value} oz is above the most the contract records ({MAX_GROSS_MILLI} milli-oz)")
        return value

    @field_validator("fineness")
    @classmethod
    def _fineness_range(cls, value: int) -> int:
        if not 1 <= value <= MAX_FINENESS:
            raise ValueError(f"must be 1 to {MAX_FINENESS} parts per 10,000, got {value}")
        return value

    @model_validator(mode="after")
    def _good_delivery(self) -> GoldBar:
        if not self.good_delivery:
            return self
        low, high = GOOD_DELIVERY_GROSS_OZ
        if not low <= self.gross_oz <= high:
            raise ValueError(
                f"gross_oz {self.gross_oz} is outside the Good Delivery range {low}-{high} oz "
                "(pass good_delivery=False for another bar)"
            )
        fine_low, fine_high = GOOD_DELIVERY_FINENESS
        if not fine_low <= self.fineness <= fine_high:
            raise ValueError(
                f"fineness {self.fineness} is outside the Good Delivery range {fine_low}-{fine_high} "
                "(pass good_delivery=False for another bar)"
            )
        return self

    @property
    def gross_milli(self) -> int:
        """Gross weight in thousandths of a troy ounce (what the contract stores)."""
        return int(self.gross_oz * 1000)

    @property
    def fine_oz(self) -> Decimal:
        """Fine weight in troy ounces, exact (at most 7 decimals)."""
        return Decimal(self.gross_milli * self.fineness).scaleb(-7)

    @property
    def fine_units(self) -> int:
        """Fine weight in token base units (1e18 per fine ounce)."""
        return self.gross_milli * self.fineness * BASE_UNITS_PER_FINE_UNIT

    def as_input(self) -> tuple[bytes, bytes, bytes, int, int]:
        """The contract's ``BarInput`` tuple (serial, refiner, vault, grossMilli, fineness)."""
        return (
            text32(self.serial, "serial"),
            text32(self.refiner, "refiner"),
            text32(self.vault, "vault"),
            self.gross_milli,
            self.fineness,
        )

    @classmethod
    def from_chain(cls, serial: str, refiner: bytes, vault: bytes, gross_milli: int, fineness: int) -> GoldBar:
        """A bar read back from the contract (``good_delivery`` says whether it meets the specification)."""
        gross = Decimal(gross_milli).scaleb(-3)
        low, high = GOOD_DELIVERY_GROSS_OZ
        fine_low, fine_high = GOOD_DELIVERY_FINENESS
        return cls(
            serial=serial,
            refiner=text_of32(refiner),
            vault=text_of32(vault),
            gross_oz=gross,
            fineness=fineness,
            good_delivery=low <= gross <= high and fine_low <= fineness <= fine_high,
        )


class Attestation(Model):
    """An auditor's attestation of the reserve: the report's hash, where to read it, the fine ounces it attests,
    and the time it speaks for (``as_of``; not in the future and not before the previous attestation's, which the
    wrapper checks against the chain before sending)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_hash: bytes = Field(description="32-byte hash of the report (e.g. its SHA-256).")
    uri: str = Field(min_length=1, description="Where the report can be read.")
    ounces: Decimal = Field(description="Fine troy ounces attested (at most 18 decimals).")
    as_of: datetime = Field(description="The time the report speaks for (timezone-aware).")
    published_at: datetime | None = Field(default=None, description="When it was published (read back from chain).")

    @field_validator("report_hash")
    @classmethod
    def _hash32(cls, value: bytes) -> bytes:
        if len(value) != 32:
            raise ValueError(f"must be 32 bytes, got {len(value)}")
        if value == bytes(32):
            raise ValueError("must not be zero")
        return value

    @field_validator("ounces", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("pass ounces as Decimal, int or str (a float is inexact)")
        return value

    @field_validator("ounces")
    @classmethod
    def _ounces(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value < 0:
            raise ValueError(f"must be a non-negative number of ounces, got {value}")
        scaled = value.scaleb(GOLD_DECIMALS)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {GOLD_DECIMALS} decimals")
        if int(scaled) >= 2**128:
            raise ValueError(f"{value} is too large (the contract records at most 2**128 - 1 base units)")
        return value

    @field_validator("as_of", "published_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        if not 0 < value.timestamp() < 2**64:
            raise ValueError("must be after 1970-01-01T00:00:00Z and within the contract's uint64 seconds")
        return value.astimezone(UTC)

    @property
    def ounces_units(self) -> int:
        """The attested ounces in token base units."""
        return int(self.ounces.scaleb(GOLD_DECIMALS))

    @property
    def as_of_timestamp(self) -> int:
        """``as_of`` as unix seconds (whole seconds: a fraction is dropped)."""
        return int(self.as_of.timestamp())
