"""A token's compliance rules, in user units; the token wrapper turns them into contract calls."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import ConfigDict, Field, field_validator, model_validator

from hktoken.models.common import Model
from hktoken.models.investor import InvestorClass

Country = int


class ComplianceRules(Model):
    """Every rule a token enforces on a balance change. ``None`` or empty means the rule is off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_countries: frozenset[Country] = Field(
        default=frozenset(), description="If set, recipients must be in one of these ISO 3166-1 numeric countries."
    )
    blocked_countries: frozenset[Country] = Field(default=frozenset(), description="Recipients here are refused.")
    required_classes: frozenset[InvestorClass] = Field(
        default=frozenset(), description="If set, recipients must be of one of these investor classes."
    )
    max_holders: int | None = Field(default=None, ge=1, le=2**32 - 1, description="Most investors holding at once.")
    max_balance_per_investor: Decimal | None = Field(
        default=None, gt=0, description="Summed over an investor's wallets."
    )
    lockup_until: datetime | None = Field(default=None, description="No holder transfers before this time.")
    minimum_transfer: Decimal | None = Field(default=None, gt=0)
    denomination: Decimal | None = Field(default=None, gt=0, description="Amounts must be whole multiples of this.")
    supply_cap: Decimal | None = Field(default=None, gt=0)

    @field_validator("allowed_countries", "blocked_countries")
    @classmethod
    def _iso_numeric(cls, value: frozenset[int]) -> frozenset[int]:
        bad = sorted(c for c in value if not 1 <= c <= 999)
        if bad:
            raise ValueError(f"country codes must be ISO 3166-1 numeric (1-999), got {bad}")
        return value

    @field_validator("lockup_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("lockup_until must be timezone-aware")
        if value is not None and value.timestamp() < 0:
            raise ValueError("lockup_until must not be before 1970")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ComplianceRules:
        both = self.allowed_countries & self.blocked_countries
        if both:
            raise ValueError(f"countries {sorted(both)} are both allowed and blocked")
        return self

    @property
    def required_class_mask(self) -> int:
        """The contract's bitmask: bit ``1 << class`` for each required class."""
        mask = 0
        for klass in self.required_classes:
            mask |= 1 << int(klass)
        return mask
