"""An ETF share class's dealing terms and its NAV strikes, in user units; the fund wrappers turn them into base
units and contract calls (``hktoken.contracts.fund``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from hktoken.models.common import Address, Model

MAX_FEE_BPS = 1_000  # FundAdministrator.MAX_FEE_BPS: dealing fees at most 10%
MAX_MANAGEMENT_FEE_BPS = 1_000  # FundToken.MAX_MANAGEMENT_FEE_BPS: at most 10% a year
BPS = 10_000


class FundTerms(Model):
    """The terms a share class deals on, fixed at deployment (``FundAdministrator``'s immutables and the
    ``FundToken``'s management fee). Amounts in token units: shares for ``creation_unit``, the payment token for
    ``initial_nav``; the wrapper checks their precision against each token's decimals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payment_token: Address = Field(description="The stablecoin subscriptions pay in and redemptions are paid in.")
    cash_account: Address = Field(
        description="The fund's cash account: receives subscription cost, pays redemptions (it approves the "
        "administrator for the payment token)."
    )
    fee_receiver: Address | None = Field(
        default=None, description="Receives subscription and redemption fees (default: the cash account)."
    )
    creation_unit: Decimal = Field(gt=0, description="Shares per creation unit; requests deal in whole units.")
    initial_nav: Decimal = Field(gt=0, description="Launch price per share: the reference of the first NAV move.")
    max_nav_age: timedelta = Field(description="A NAV older than this (block time - as_of) cannot be struck.")
    nav_move_bound_bps: int = Field(
        ge=0, le=BPS, description="A NAV moving more than this from the last struck one needs a NAV confirmer."
    )
    subscription_fee_bps: int = Field(default=0, ge=0, le=MAX_FEE_BPS, description="Bps of a subscription's cost.")
    redemption_fee_bps: int = Field(default=0, ge=0, le=MAX_FEE_BPS, description="Bps of a redemption's proceeds.")
    management_fee_bps: int = Field(
        default=0, ge=0, le=MAX_MANAGEMENT_FEE_BPS, description="Yearly, paid in new shares to its receiver."
    )
    management_fee_receiver: Address | None = Field(
        default=None, description="Receives the management fee shares (a wallet able to receive the shares)."
    )

    @field_validator("max_nav_age")
    @classmethod
    def _positive_age(cls, value: timedelta) -> timedelta:
        if value.total_seconds() < 1 or value.total_seconds() != int(value.total_seconds()):
            raise ValueError("must be a whole number of seconds, at least 1")
        return value

    @model_validator(mode="after")
    def _management_fee_has_a_receiver(self) -> FundTerms:
        if self.management_fee_bps and self.management_fee_receiver is None:
            raise ValueError("management_fee_receiver is required when management_fee_bps is set")
        return self

    @property
    def max_nav_age_seconds(self) -> int:
        """The maximum NAV age in whole seconds."""
        return int(self.max_nav_age.total_seconds())

    @property
    def dealing_fee_receiver(self) -> str:
        """Who receives the dealing fees."""
        return self.fee_receiver or self.cash_account


class NavStrike(Model):
    """A NAV per share in the payment token, with its valuation time.

    Built directly, ``as_of`` is checked against the wall clock and the precision is not limited; :meth:`on_chain`
    checks it against a chain's latest block time and the payment token's decimals (the administrator's wrapper
    uses it, so a dev chain ahead of the wall clock is judged by its own time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nav_per_share: Decimal = Field(gt=0, description="NAV per whole share in payment-token units.")
    as_of: datetime = Field(description="Valuation time (timezone-aware, not in the future).")

    @field_validator("nav_per_share")
    @classmethod
    def _precision(cls, value: Decimal) -> Decimal:
        decimals = _CONTEXT.get().get("decimals")
        if not value.is_finite():
            raise ValueError("must be a finite number")
        if decimals is not None and value != value.quantize(Decimal(1).scaleb(-int(decimals)), rounding="ROUND_DOWN"):
            raise ValueError(f"has more than {decimals} decimal places (the payment token's precision)")
        return value

    @field_validator("as_of")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware")
        now = _CONTEXT.get().get("now") or datetime.now(UTC)
        if value > now:
            raise ValueError(f"{value.isoformat()} is in the future (now {now.isoformat()})")
        if value.timestamp() < 0:
            raise ValueError("must not be before 1970")
        return value

    @classmethod
    def on_chain(cls, nav_per_share: Any, as_of: Any, *, now: datetime, decimals: int) -> Self:
        """A NAV strike checked against a chain: ``as_of`` not after ``now`` (its latest block time), the NAV at
        most ``decimals`` places (the payment token's)."""
        with _validation_context(now=now, decimals=decimals):
            return cls(nav_per_share=nav_per_share, as_of=as_of)

    @property
    def as_of_timestamp(self) -> int:
        """The valuation time as unix seconds (fractions dropped)."""
        return int(self.as_of.timestamp())


_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("hktoken_fund_validation", default={})  # noqa: B039


@contextmanager
def _validation_context(**values: Any) -> Iterator[None]:
    token = _CONTEXT.set(values)
    try:
        yield
    finally:
        _CONTEXT.reset(token)
