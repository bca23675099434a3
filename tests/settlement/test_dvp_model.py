"""The ``Trade`` model without a chain: validation (every error names its field, nothing half-built), the
conversion to the contract's struct in base units, the EIP-712 digest computed independently of eth-account, and
signatures (65-byte and EIP-2098 compact) that recover to the party."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken import DvPDomain, SpecError, Trade, TradeRefused
from hktoken.models.dvp import TRADE_FIELDS, TRADE_TYPES, compact_signature

SELLER: LocalAccount = Account.from_key(keccak(text="dvp-model:seller"))
BUYER: LocalAccount = Account.from_key(keccak(text="dvp-model:buyer"))
OTHER: LocalAccount = Account.from_key(keccak(text="dvp-model:other"))
ASSET = "0x" + "11" * 20
HKD = "0x" + "22" * 20
PLATFORM = "0x" + "33" * 20
DVP = "0x" + "44" * 20
DOMAIN = DvPDomain(chain_id=31337, verifying_contract=DVP)
EXPIRY = datetime(2999, 1, 1, tzinfo=UTC)


def terms(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seller": SELLER.address, "buyer": BUYER.address, "asset": ASSET, "asset_amount": Decimal("12.5"),
        "asset_decimals": 18, "payment": HKD, "payment_amount": Decimal("1312.500001"), "payment_decimals": 6,
        "seller_nonce": 3, "buyer_nonce": 2**256 - 1, "expiry": EXPIRY, "submitter": PLATFORM,
    }  # fmt: skip
    return base | changes


def test_a_trade_becomes_the_contracts_struct_in_base_units() -> None:
    trade = Trade(**terms())
    assert trade.as_struct() == (
        SELLER.address, BUYER.address, ASSET, 12_500_000_000_000_000_000, HKD, 1_312_500_001, 3, 2**256 - 1,
        int(EXPIRY.timestamp()), PLATFORM,
    )  # fmt: skip
    assert list(trade.message()) == [name for name, _type in TRADE_FIELDS]
    assert Trade(**terms(submitter="0x" + "0" * 40)).as_struct()[-1] == "0x" + "0" * 40
    assert Trade(**terms()).submitter == Trade(**terms(submitter=PLATFORM.lower())).submitter  # checksummed


def test_the_digest_is_eip712_computed_by_hand() -> None:
    trade = Trade(**terms())
    type_string = "Trade(" + ",".join(f"{t} {n}" for n, t in TRADE_FIELDS) + ")"
    assert type_string == (
        "Trade(address seller,address buyer,address asset,uint256 assetAmount,address payment,uint256 paymentAmount,"
        "uint256 sellerNonce,uint256 buyerNonce,uint256 expiry,address submitter)"
    )
    struct_hash = keccak(
        encode(["bytes32", *(t for _n, t in TRADE_FIELDS)], [keccak(text=type_string), *trade.as_struct()])
    )
    domain_type = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(text=domain_type), keccak(text="hktoken DvP"), keccak(text="1"), 31337, DVP],
        )
    )
    assert trade.trade_hash(DOMAIN) == keccak(b"\x19\x01" + separator + struct_hash)
    # Another chain or another contract is another digest: a signature cannot be replayed there.
    assert trade.trade_hash(DvPDomain(chain_id=1, verifying_contract=DVP)) != trade.trade_hash(DOMAIN)
    assert trade.trade_hash(DvPDomain(chain_id=31337, verifying_contract=PLATFORM)) != trade.trade_hash(DOMAIN)
    assert TRADE_TYPES["Trade"][0] == {"name": "seller", "type": "address"}


@pytest.mark.parametrize("compact", [False, True])
def test_each_party_signs_and_the_signature_recovers_to_it(compact: bool) -> None:
    trade = Trade(**terms())
    for party in (SELLER, BUYER):
        signature = trade.sign(party, DOMAIN, compact=compact)
        assert len(signature) == (64 if compact else 65)
        assert trade.recover(signature, DOMAIN) == party.address
    assert trade.party(SELLER) == "seller" and trade.party(BUYER.address) == "buyer"
    assert trade.recover(trade.sign(SELLER, DOMAIN), DvPDomain(chain_id=1, verifying_contract=DVP)) != SELLER.address
    assert trade.recover(b"\x01" * 10, DOMAIN) is None
    assert trade.recover(b"\x00" * 65, DOMAIN) is None


def test_the_compact_form_is_eip2098() -> None:
    trade = Trade(**terms())
    full = trade.sign(SELLER, DOMAIN)
    short = compact_signature(full)
    assert short[:32] == full[:32]
    vs = int.from_bytes(short[32:], "big")
    assert vs >> 255 == full[64] - 27 and vs & (2**255 - 1) == int.from_bytes(full[32:64], "big")
    with pytest.raises(SpecError, match="65 bytes"):
        compact_signature(short)
    with pytest.raises(SpecError, match="canonical"):
        compact_signature(full[:64] + bytes([29]))


def test_a_non_party_cannot_sign() -> None:
    with pytest.raises(SpecError, match="neither the seller"):
        Trade(**terms()).sign(OTHER, DOMAIN)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"seller": "0x1234"}, "seller", "not a valid Ethereum address"),
        ({"buyer": BUYER.address.lower()[:-1] + "G"}, "buyer", "not a valid Ethereum address"),
        ({"asset": "0x" + "aB" * 20}, "asset", "wrong EIP-55 checksum"),
        ({"asset_amount": 1.5}, "asset_amount", "float"),
        ({"asset_amount": Decimal(0)}, "asset_amount", "greater than 0"),
        ({"payment_amount": Decimal(-1)}, "payment_amount", "greater than 0"),
        ({"payment_amount": Decimal("0.0000001")}, "payment_amount", "more than 6 decimal places"),
        ({"asset_decimals": 78}, "asset_decimals", "less than or equal to 77"),
        ({"payment_decimals": "6"}, "payment_decimals", "whole number"),
        ({"seller_nonce": -1}, "seller_nonce", "greater than or equal to 0"),
        ({"buyer_nonce": 2**256}, "buyer_nonce", "less than or equal to"),
        ({"buyer_nonce": True}, "buyer_nonce", "whole number"),
        ({"expiry": datetime(2999, 1, 1)}, "expiry", "timezone-aware"),
        ({"expiry": datetime(1969, 12, 31, tzinfo=UTC)}, "expiry", "not after 1970-01-01"),
        ({"buyer": SELLER.address}, "", "same account"),
        ({"price": 1}, "price", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_trade_is_refused_naming_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(SpecError, match=message) as refused:
        Trade(**terms(**changes))
    text = str(refused.value)
    assert text.startswith("invalid Trade: ")
    if field:
        assert text.startswith(f"invalid Trade: {field}: ")
    assert "\n" not in text


def test_a_trade_is_immutable_once_validated() -> None:
    trade = Trade(**terms())
    with pytest.raises(Exception, match="frozen"):
        trade.seller_nonce = 9  # type: ignore[misc]


def test_the_domain_validates_too() -> None:
    with pytest.raises(SpecError, match="chain_id"):
        DvPDomain(chain_id=0, verifying_contract=DVP)
    with pytest.raises(SpecError, match="verifying_contract"):
        DvPDomain(chain_id=1, verifying_contract="nope")
    assert DOMAIN.as_eip712() == {"name": "hktoken DvP", "version": "1", "chainId": 31337, "verifyingContract": DVP}


def test_a_refused_trade_is_a_spec_error_naming_its_cause() -> None:
    refusal = TradeRefused("buyer_nonce", "the buyer's nonce 4 is already used", fix="pick another")
    assert isinstance(refusal, SpecError) and refusal.cause == "buyer_nonce"
    assert str(refusal) == "the buyer's nonce 4 is already used: pick another"
