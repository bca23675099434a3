"""The one place token amounts cross between user units (``Decimal``) and base units (``int``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from hktoken.errors import SpecError

Amount = Decimal | int | str
UINT256_MAX = 2**256 - 1
_PRECISION = 100  # digits: uint256 has 78, so no conversion ever rounds


def to_base_units(amount: Amount, decimals: int, *, what: str = "amount") -> int:
    """``Decimal("1.5")`` with 6 decimals -> ``1500000``; refuses floats, negatives and excess precision."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise SpecError(
            f"{what} {amount!r} has type {type(amount).__name__}",
            fix="pass amounts as Decimal, int or str (never float, which is inexact)",
        )
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise SpecError(f"{what} {amount!r} is not a number", fix="write it like 1000 or 12.5") from exc
    if not value.is_finite() or value < 0:
        raise SpecError(f"{what} {amount} must be a finite, non-negative number", fix="pass 0 or more, in token units")
    if value and value.adjusted() + decimals > 78:  # uint256 has 78 digits: refuse before scaling can overflow
        raise SpecError(f"{what} {amount} is too large for a uint256 token amount", fix="check the amount")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise SpecError(
            f"{what} {amount} has more than {decimals} decimal places",
            fix=f"round it to at most {decimals} decimals (the token's precision)",
        )
    if int(scaled) > UINT256_MAX:
        raise SpecError(f"{what} {amount} is too large for a uint256 token amount", fix="check the amount")
    return int(scaled)


def from_base_units(value: int, decimals: int) -> Decimal:
    """``1500000`` with 6 decimals -> ``Decimal("1.500000")``: exact, at the token's full precision."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Decimal(value).scaleb(-decimals)


def format_units(amount: Decimal) -> str:
    """An amount as people write it: no exponent, no trailing zeros (``2.25``, not ``2.250000000000000000``)."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
