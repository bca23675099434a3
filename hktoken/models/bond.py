"""A fixed-rate bond's terms and coupon schedule, validated before anything is sent (contracts/assets/bond)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from hktoken.models.common import Address, Model
from hktoken.models.restrictions import BOND_CODES_START
from hktoken.units import from_base_units, to_base_units

MAX_COUPONS = 64  # the token packs the dates into 8 immutable words of 8 uint32 timestamps
MAX_TIMESTAMP = 2**32 - 1  # coupon dates are uint32 on chain (up to 2106-02-07)
MAX_DENOMINATION_UNITS = 2**96 - 1
OWED_MAX = 2**88 - 1  # a holder's unpaid coupons, in payment-token base units, live in 88 bits of its balance word
UINT128_MAX = 2**128 - 1


class BondRestriction(IntEnum):
    """The bond token's own ERC-1404 codes (its block, 64-71)."""

    MATURED = BOND_CODES_START
    CALLED = BOND_CODES_START + 1
    SUPPLY_BOUND = BOND_CODES_START + 2


def isin_check_digit(body: str) -> int:
    """The ISO 6166 check digit of the first 11 characters of an ISIN: letters become 10-35, then Luhn."""
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: the rightmost digit of the body, then every other one
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return (10 - total % 10) % 10


def _timestamp(value: datetime) -> int:
    return int(value.timestamp())


@dataclass(frozen=True)
class Coupon:
    """One coupon of the schedule: its record date and what one whole token earns, in payment-token units."""

    index: int
    record_date: datetime
    per_token: Decimal


class BondTerms(Model):
    """A fixed-rate bond's terms (ERC-7092 style), as the token fixes them at deployment.

    Money amounts are in payment-token units (``Decimal``): ``denomination`` is the face value of one whole bond
    token. The coupon per token is ``denomination * coupon_rate_bps / 10_000 / coupon_frequency`` and must be a
    whole number of payment-token base units, so every entitlement is exact to the wei.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    isin: str = Field(description="ISO 6166 ISIN (12 characters, valid check digit).")
    currency: str = Field(description="ISO 4217 code of the payment currency, e.g. HKD.")
    payment_token: Address = Field(description="The stablecoin coupons and principal are paid in.")
    payment_decimals: int = Field(ge=0, le=36, description="Decimals of the payment token (checked on chain).")
    denomination: Decimal = Field(gt=0, description="Face value of one whole token, in payment-token units.")
    coupon_rate_bps: int = Field(ge=1, le=10_000, description="Annual coupon rate in basis points.")
    coupon_frequency: Literal[1, 2, 4, 12] = Field(description="Coupons per year.")
    issue_date: datetime
    maturity_date: datetime
    coupon_dates: tuple[datetime, ...] = Field(min_length=1, max_length=MAX_COUPONS)
    min_call_notice: timedelta = Field(default=timedelta(days=30), description="Notice an early call must give.")

    @field_validator("isin")
    @classmethod
    def _isin(cls, value: str) -> str:
        if len(value) != 12 or not value.isascii() or not value.isalnum() or value != value.upper():
            raise ValueError(f"{value!r} is not an ISIN (12 upper-case letters and digits)")
        if not value[:2].isalpha() or not value[11].isdigit():
            raise ValueError(f"{value!r} is not an ISIN (a 2-letter country prefix and a final check digit)")
        expected = isin_check_digit(value[:11])
        if int(value[11]) != expected:
            raise ValueError(f"{value!r} has a wrong check digit (expected {expected})")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isascii() or not value.isalpha() or value != value.upper():
            raise ValueError(f"{value!r} is not an ISO 4217 code (three upper-case letters)")
        return value

    @field_validator("issue_date", "maturity_date")
    @classmethod
    def _date(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware")
        if not 0 < value.timestamp() <= MAX_TIMESTAMP:
            raise ValueError("must be between 1970 and 2106 (a uint32 timestamp)")
        return value

    @field_validator("coupon_dates")
    @classmethod
    def _coupon_dates(cls, value: tuple[datetime, ...]) -> tuple[datetime, ...]:
        for n, date in enumerate(value):
            if date.tzinfo is None:
                raise ValueError(f"coupon date {n} must be timezone-aware")
            if n and _timestamp(date) <= _timestamp(value[n - 1]):
                raise ValueError(f"coupon date {n} ({date.isoformat()}) is not after the one before it")
        return value

    @field_validator("min_call_notice")
    @classmethod
    def _notice(cls, value: timedelta) -> timedelta:
        if not 0 <= value.total_seconds() <= MAX_TIMESTAMP or value.total_seconds() != int(value.total_seconds()):
            raise ValueError("must be a whole number of seconds, at most 2**32 - 1")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BondTerms:
        if _timestamp(self.maturity_date) <= _timestamp(self.issue_date):
            raise ValueError("maturity_date: must be after issue_date")
        if _timestamp(self.coupon_dates[0]) <= _timestamp(self.issue_date):
            raise ValueError("coupon_dates: the first coupon date must be after issue_date")
        if _timestamp(self.coupon_dates[-1]) > _timestamp(self.maturity_date):
            raise ValueError("coupon_dates: the last coupon date must not be after maturity_date")
        try:
            units = to_base_units(self.denomination, self.payment_decimals, what="denomination")
        except Exception as exc:  # SpecError: more precision than the payment token has
            raise ValueError(f"denomination: {exc}") from exc
        if units > MAX_DENOMINATION_UNITS:
            raise ValueError("denomination: too large (at most 2**96 - 1 payment-token base units)")
        if units * self.coupon_rate_bps % (10_000 * self.coupon_frequency):
            raise ValueError(
                f"denomination: the coupon per token ({self.denomination} x {self.coupon_rate_bps} bps / "
                f"{self.coupon_frequency}) is not a whole number of payment-token base units "
                f"({self.payment_decimals} decimals)"
            )
        return self

    # --- on-chain forms -----------------------------------------------------------------------------

    @property
    def denomination_units(self) -> int:
        """Face value of one whole token, in payment-token base units."""
        return to_base_units(self.denomination, self.payment_decimals, what="denomination")

    @property
    def coupon_per_token_units(self) -> int:
        """The coupon of one whole token, in payment-token base units (exact by validation)."""
        return self.denomination_units * self.coupon_rate_bps // (10_000 * self.coupon_frequency)

    @property
    def coupon_per_token(self) -> Decimal:
        """The coupon of one whole token, in payment-token units."""
        return from_base_units(self.coupon_per_token_units, self.payment_decimals)

    def constructor_args(self) -> list[object]:
        """The token constructor's bond arguments: isin_, paymentToken_, terms_ (denomination, rate, frequency,
        issue date, maturity date, call notice, currency code), couponDates_."""
        terms = [
            self.denomination_units,
            self.coupon_rate_bps,
            self.coupon_frequency,
            _timestamp(self.issue_date),
            _timestamp(self.maturity_date),
            int(self.min_call_notice.total_seconds()),
            int.from_bytes(self.currency.encode(), "big"),
        ]
        dates = [_timestamp(d) for d in self.coupon_dates]
        return [self.isin.encode(), self.payment_token, terms, dates]

    def max_supply_units(self, decimals: int) -> int:
        """The supply bound (bond base units) under which no holder's accrual can overflow its 88 bits: a mint
        above it is refused with code 66."""
        bound: int = OWED_MAX * 10**decimals // (self.coupon_per_token_units * len(self.coupon_dates))
        return min(bound, UINT128_MAX)

    # --- the schedule as data -------------------------------------------------------------------------

    def schedule(self) -> list[Coupon]:
        """Every coupon: record date and per-token amount."""
        return [Coupon(n, date.astimezone(UTC), self.coupon_per_token) for n, date in enumerate(self.coupon_dates)]

    def coupon_for(self, balance: Decimal | int | str, decimals: int) -> Decimal:
        """What a holder of ``balance`` bond tokens (with ``decimals``) earns on ONE coupon, exactly as the token
        computes it: floor(balance in base units * coupon per token / 10**decimals) payment-token base units."""
        units = to_base_units(balance, decimals, what="balance")
        return from_base_units(units * self.coupon_per_token_units // 10**decimals, self.payment_decimals)

    def principal_for(self, balance: Decimal | int | str, decimals: int, price: Decimal | None = None) -> Decimal:
        """The principal ``balance`` redeems for at ``price`` per whole token (default: the denomination)."""
        units = to_base_units(balance, decimals, what="balance")
        per = self.denomination_units if price is None else to_base_units(price, self.payment_decimals, what="price")
        return from_base_units(units * per // 10**decimals, self.payment_decimals)
