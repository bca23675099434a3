"""Investors as the registry knows them: an id, a country, a class, a KYC expiry and wallets."""

from __future__ import annotations

import re
from datetime import datetime
from enum import IntEnum

from pydantic import ConfigDict, Field, field_validator

from hktoken.errors import SpecError
from hktoken.models.common import Address, Model, chain_time

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


class InvestorClass(IntEnum):
    """Investor classes under the SFC regime (values match the contracts)."""

    RETAIL = 1
    PROFESSIONAL = 2
    INSTITUTIONAL = 3


def investor_id_bytes(investor_id: str) -> bytes:
    """The on-chain bytes32 for an investor id: its UTF-8 text, left-aligned (or an explicit 0x…64-hex value)."""
    if _HEX32.fullmatch(investor_id):
        raw = bytes.fromhex(investor_id[2:])
    else:
        encoded = investor_id.encode()
        if not encoded or len(encoded) > 32:
            raise SpecError(
                f"investor id {investor_id!r} must be 1 to 32 bytes of text",
                fix="use a short reference such as HK-INV-0001, or a 0x-prefixed 32-byte hex value",
            )
        raw = encoded.ljust(32, b"\0")
    if raw == bytes(32):
        raise SpecError("investor id must not be zero", fix="use a non-empty reference")
    return raw


def investor_id_text(raw: bytes) -> str:
    """The inverse of :func:`investor_id_bytes`: readable text when it is text, else 0x-hex."""
    stripped = raw.rstrip(b"\0")
    try:
        text = stripped.decode()
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    return text if text.isprintable() and text and investor_id_bytes(text) == raw else "0x" + raw.hex()


class Investor(Model):
    """An investor to register: validated before anything is sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Reference of the investor (≤ 32 bytes of text, or 0x + 64 hex).")
    wallets: list[Address] = Field(min_length=1, max_length=16)
    country: int = Field(ge=1, le=999, description="ISO 3166-1 numeric country code, e.g. 344 for Hong Kong.")
    investor_class: InvestorClass
    kyc_expiry: datetime = Field(description="When the KYC check lapses (timezone-aware).")
    omnibus: bool = Field(default=False, description="An account a licensed intermediary holds for its clients.")

    @field_validator("id")
    @classmethod
    def _id_fits_bytes32(cls, value: str) -> str:
        try:
            investor_id_bytes(value)
        except SpecError as exc:
            raise ValueError(exc.message) from exc
        return value

    @field_validator("kyc_expiry")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("kyc_expiry must be timezone-aware (for example 2027-01-01T00:00:00Z)")
        return value

    @field_validator("wallets")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("wallets must not repeat")
        return value

    @property
    def id_bytes(self) -> bytes:
        """The bytes32 the registry stores."""
        return investor_id_bytes(self.id)

    @property
    def kyc_expiry_timestamp(self) -> int:
        """KYC expiry as unix seconds."""
        return int(self.kyc_expiry.timestamp())


class InvestorProfile(Model):
    """What the registry holds for a wallet (read back from chain)."""

    model_config = ConfigDict(frozen=True)

    investor_id: str
    key: int
    country: int
    investor_class: InvestorClass | None
    kyc_expiry: datetime
    revoked: bool
    omnibus: bool
    retired: bool = False
    primary: bool = False

    @classmethod
    def from_chain(cls, investor_id: bytes, raw: tuple[int, int, int, int, bool, bool, bool, bool]) -> InvestorProfile:
        """Build from the registry's Profile tuple (key, kycExpiry, country, investorClass, revoked, omnibus,
        retired, primary); the last two are per wallet and false on an investor's record."""
        key, expiry, country, klass, revoked, omnibus, retired, primary = raw
        return cls(
            investor_id=investor_id_text(investor_id) if key else "",
            key=key,
            country=country,
            investor_class=InvestorClass(klass) if klass in (1, 2, 3) else None,
            kyc_expiry=chain_time(expiry),
            revoked=revoked,
            omnibus=omnibus,
            retired=retired,
            primary=primary,
        )
