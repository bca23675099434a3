"""A delivery-versus-payment trade in token units, and its EIP-712 signature (what both parties sign).

``Trade`` holds both legs in each token's own units (``Decimal``, with that token's decimals), the parties' nonces,
the expiry and the optional submitter; it converts to the contract's ``Trade`` struct in base units, hashes to the
EIP-712 digest the contract computes (``DvPSettlement.hashTrade``) and signs with eth-account. The EIP-712 domain
is a ``DvPDomain`` (the settlement contract and chain): the wrapper reads it from the contract (EIP-5267).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from hktoken.errors import SpecError
from hktoken.models.common import Address, Model, to_address
from hktoken.units import UINT256_MAX, to_base_units

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "TRADE_TYPES",
    "ZERO_ADDRESS",
    "DvPDomain",
    "Trade",
    "TradeRefused",
    "compact_signature",
]

DOMAIN_NAME = "hktoken DvP"
DOMAIN_VERSION = "1"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TRADE_FIELDS = (
    ("seller", "address"),
    ("buyer", "address"),
    ("asset", "address"),
    ("assetAmount", "uint256"),
    ("payment", "address"),
    ("paymentAmount", "uint256"),
    ("sellerNonce", "uint256"),
    ("buyerNonce", "uint256"),
    ("expiry", "uint256"),
    ("submitter", "address"),
)
TRADE_TYPES: dict[str, list[dict[str, str]]] = {"Trade": [{"name": n, "type": t} for n, t in TRADE_FIELDS]}
TradeStruct = tuple[
    ChecksumAddress, ChecksumAddress, ChecksumAddress, int, ChecksumAddress, int, int, int, int, ChecksumAddress
]
"""The contract's ``Trade`` struct, in field order."""
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


class TradeRefused(SpecError):
    """A settlement was refused before anything was sent: ``cause`` names what is wrong (``"seller_signature"``,
    ``"expiry"``, ``"buyer_nonce"``, ``"submitter"``, ``"paused"``, ``"asset_permit"``...)."""

    def __init__(self, cause: str, message: str, *, fix: str | None = None) -> None:
        self.cause = cause
        super().__init__(message, fix=fix)


class DvPDomain(Model):
    """The EIP-712 domain of one settlement contract on one chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: int = Field(ge=1, description="The chain the settlement contract is on.")
    verifying_contract: Address = Field(description="The DvPSettlement contract.")
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION

    def as_eip712(self) -> dict[str, Any]:
        """The domain as eth-account's ``domain_data``."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def compact_signature(signature: bytes) -> bytes:
    """A 65-byte ``r || s || v`` signature as its 64-byte EIP-2098 form ``r || (v - 27) << 255 | s``."""
    if len(signature) != 65:
        raise SpecError(f"a signature has 65 bytes, got {len(signature)}", fix="pass the signature Trade.sign made")
    v = signature[64] if signature[64] >= 27 else signature[64] + 27
    s = int.from_bytes(signature[32:64], "big")
    if v not in (27, 28) or s > _SECP256K1_HALF_N:
        raise SpecError("the signature is not canonical (v must be 27 or 28, s in the lower half)")
    return signature[:32] + (s | ((v - 27) << 255)).to_bytes(32, "big")


def _expanded(signature: bytes) -> bytes:
    """A 64-byte EIP-2098 signature back to 65 bytes (65-byte ones unchanged)."""
    if len(signature) != 64:
        return signature
    vs = int.from_bytes(signature[32:], "big")
    return signature[:32] + (vs & (2**255 - 1)).to_bytes(32, "big") + bytes([27 + (vs >> 255)])


class Trade(Model):
    """One trade: ``asset_amount`` of ``asset`` from the seller to the buyer against ``payment_amount`` of
    ``payment`` from the buyer to the seller, in one transaction or not at all.

    Amounts are in each token's units (``Decimal``; ``asset_decimals`` / ``payment_decimals`` give the precision,
    and an amount finer than that is refused). Nonces are unordered: any value the party has not used yet
    (``DvPSettlement.next_free_nonce`` finds one). ``submitter`` is the only account allowed to submit the pair (a
    licensed platform), the zero address for anyone. Both parties sign the same trade with :meth:`sign`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seller: Address
    buyer: Address
    asset: Address = Field(description="The security token.")
    asset_decimals: int = Field(ge=0, le=77, description="The asset's decimals (validated before the amount).")
    asset_amount: Decimal = Field(gt=0, description="Delivered by the seller, in the asset's units.")
    payment: Address = Field(description="The payment token (the HKD stablecoin, or any ERC-20).")
    payment_decimals: int = Field(ge=0, le=77, description="The payment token's decimals.")
    payment_amount: Decimal = Field(gt=0, description="The price, paid by the buyer, in the payment token's units.")
    seller_nonce: int = Field(ge=0, le=UINT256_MAX)
    buyer_nonce: int = Field(ge=0, le=UINT256_MAX)
    expiry: datetime = Field(description="The last moment (block time) the trade can settle; in the future.")
    submitter: Address = ZERO_ADDRESS

    @field_validator("asset_amount", "payment_amount", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float | bool):
            raise ValueError(f"{value!r} is a {type(value).__name__}: pass a Decimal, int or str (floats are inexact)")
        return value

    @field_validator("asset_amount", "payment_amount")
    @classmethod
    def _within_precision(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        decimals = info.data.get(info.field_name.replace("_amount", "_decimals") if info.field_name else "")
        if isinstance(decimals, int):
            try:
                to_base_units(value, decimals, what=str(info.field_name))
            except SpecError as exc:
                raise ValueError(exc.message) from exc
        return value

    @field_validator("seller_nonce", "buyer_nonce", "asset_decimals", "payment_decimals", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} must be a whole number (int)")
        return value

    @field_validator("expiry")
    @classmethod
    def _future(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("expiry must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        # Whether it is still in the future is judged by the chain's clock, which a dev node may keep far from the
        # wall clock (DvPSettlement.trade and check_settlement refuse an expired trade before sending).
        if value.timestamp() <= 0:
            raise ValueError(f"expiry {value.isoformat()} is not after 1970-01-01 (a unix time)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Trade:
        if self.seller == self.buyer:
            raise ValueError(f"seller and buyer are the same account {self.seller}")
        return self

    # --- the contract's view -------------------------------------------------------------------------

    @property
    def asset_units(self) -> int:
        """The asset amount in the asset's base units."""
        return to_base_units(self.asset_amount, self.asset_decimals, what="asset_amount")

    @property
    def payment_units(self) -> int:
        """The price in the payment token's base units."""
        return to_base_units(self.payment_amount, self.payment_decimals, what="payment_amount")

    @property
    def expiry_timestamp(self) -> int:
        """The expiry as a block timestamp (whole seconds, rounded down)."""
        return int(self.expiry.timestamp())

    def message(self) -> dict[str, Any]:
        """The EIP-712 ``Trade`` message (base units, the contract's field names)."""
        values: tuple[Any, ...] = self.as_struct()
        return {name: value for (name, _type), value in zip(TRADE_FIELDS, values, strict=True)}

    def as_struct(self) -> TradeStruct:
        """The contract's ``Trade`` struct, in field order (what ``settle`` takes)."""
        return (
            to_address(self.seller), to_address(self.buyer), to_address(self.asset), self.asset_units,
            to_address(self.payment), self.payment_units, self.seller_nonce, self.buyer_nonce,
            self.expiry_timestamp, to_address(self.submitter),
        )  # fmt: skip

    def typed_data(self, domain: DvPDomain) -> dict[str, Any]:
        """The full EIP-712 document (``eth_signTypedData_v4``), e.g. for a wallet or an HSM to sign."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **TRADE_TYPES,
            },
            "primaryType": "Trade",
            "domain": domain.as_eip712(),
            "message": self.message(),
        }

    def _signable(self, domain: DvPDomain) -> SignableMessage:
        return encode_typed_data(full_message=self.typed_data(domain))

    def trade_hash(self, domain: DvPDomain) -> bytes:
        """The EIP-712 digest both parties sign (equal to the contract's ``hashTrade``)."""
        signable = self._signable(domain)
        return keccak(b"\x19" + signable.version + signable.header + signable.body)

    def party(self, account: LocalAccount | str) -> str:
        """``"seller"`` or ``"buyer"``: the role of ``account`` in the trade; SpecError if it is neither."""
        address = to_address(account, what="signer")
        if address == self.seller:
            return "seller"
        if address == self.buyer:
            return "buyer"
        raise SpecError(
            f"{address} is neither the seller {self.seller} nor the buyer {self.buyer} of the trade",
            fix="sign with the seller's or the buyer's key",
        )

    def sign(self, account: LocalAccount, domain: DvPDomain, *, compact: bool = False) -> bytes:
        """The party's EIP-712 signature of the trade (65 bytes; 64 with ``compact``, EIP-2098, which costs a
        little less calldata). Refuses an account that is neither party."""
        self.party(account)
        signed = account.sign_typed_data(full_message=self.typed_data(domain))
        signature = bytes(signed.signature)
        return compact_signature(signature) if compact else signature

    def recover(self, signature: bytes, domain: DvPDomain) -> ChecksumAddress | None:
        """The address that made ``signature`` over this trade (65 or 64 bytes), or None if it is malformed."""
        if len(signature) not in (64, 65):
            return None
        full = _expanded(signature)
        if int.from_bytes(full[32:64], "big") > _SECP256K1_HALF_N:
            return None  # the contract (OpenZeppelin ECDSA) refuses a malleable signature
        try:
            return to_address(Account.recover_message(self._signable(domain), signature=full))
        except Exception:  # eth-keys raises several types for a malformed signature
            return None
