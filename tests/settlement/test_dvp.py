"""DvPSettlement on anvil: a signed trade of an RWAToken against the HKD stablecoin settles both legs exactly, and
every refusal (each leg failing in turn, expiry, replay, cancellation, signatures, submitter, pause) moves NOTHING:
both tokens' balances, the allowances and both parties' nonces are unchanged, and the submitter sent nothing.

Refusals the contract makes are sent through the generated surface (``dvp.raw``), which bypasses the wrapper's
pre-checks; the wrapper's own refusals (``TradeRefused``) are tested beside them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_keys import keys
from eth_utils.crypto import keccak
from web3.exceptions import ContractLogicError

from hktoken import DvPSettlement, RWAToken, SpecError, Trade, TradeRefused, TransferRestricted
from hktoken.chain import Chain
from hktoken.contracts.base import ERC20Wrapper, deploy_contract
from hktoken.contracts.dvp import NO_PERMIT
from hktoken.models.dvp import TRADE_FIELDS
from hktoken.models.restrictions import message_for
from hktoken.testing import nothing_sent, reverts
from tests.assets.conftest import Market
from tests.compliance._helpers import MAX_UINT, ZERO, event_args, extra_account, fund, investor, restricted, unchanged
from tests.compliance._helpers import when as chain_when

UNIT = 10**18
HKD = 10**6
AMOUNT = Decimal(10)
PRICE = Decimal("1050.25")


@dataclass
class Desk:
    m: Market
    token: RWAToken
    dvp: DvPSettlement
    seller: LocalAccount
    buyer: LocalAccount
    platform: LocalAccount  # a licensed platform that submits matched trades
    stranger: LocalAccount  # never registered: not a verified investor

    @property
    def chain(self) -> Chain:
        return self.m.chain

    def trade(self, **changes: Any) -> Trade:
        """10 HKGB for 1,050.25 HKD, seller -> buyer, expiring in a day, the first free nonces."""
        terms: dict[str, Any] = {
            "seller": self.seller.address,
            "buyer": self.buyer.address,
            "asset": self.token,
            "asset_amount": AMOUNT,
            "payment": self.m.hkd,
            "payment_amount": PRICE,
            "expiry": chain_when(self.chain, 86_400),
        }
        return self.dvp.trade(**(terms | changes))

    def signed(self, trade: Trade) -> tuple[Trade, bytes, bytes]:
        return trade, self.dvp.sign(trade, self.seller), self.dvp.sign(trade, self.buyer)

    def state(self, trade: Trade | None = None) -> dict[str, Any]:
        """Balances on both tokens, the allowances and (for ``trade``) both nonces."""
        people = (self.seller, self.buyer, self.stranger, self.platform)
        out: dict[str, Any] = {
            "asset": [self.token.raw_balance_of(p.address) for p in people],
            "hkd": [self.m.hkd.raw_balance_of(p.address) for p in people],
            "allowances": [
                coin.raw.allowance(p.address, self.dvp.address) for coin in (self.token, self.m.hkd) for p in people
            ],
            "supply": (self.token.raw.total_supply(), self.m.hkd.raw.total_supply()),
        }
        if trade is not None:
            out["nonces"] = (
                self.dvp.nonce_used(trade.seller, trade.seller_nonce),
                self.dvp.nonce_used(trade.buyer, trade.buyer_nonce),
            )
        return out


@pytest.fixture(scope="module")
def desk(market: Market) -> Desk:
    seller, buyer = market.onboard("DVP-SELLER", "DVP-BUYER", hkd=100_000)
    platform, stranger = extra_account("dvp-platform"), extra_account("dvp-stranger")
    fund(market.chain, platform, stranger)
    token = RWAToken.deploy(
        market.chain, market.admin, name="HK Green Bond", symbol="HKGB", decimals=18, registry=market.registry,
        treasury=market.treasury.address, roles=market.roles, admin_module=market.admin_module,
    )  # fmt: skip
    dvp = DvPSettlement.deploy(market.chain, market.admin, pausers=[market.pauser.address])
    for party in (seller, buyer):
        token.mint(market.issuer, party.address, Decimal(1000))
        token.raw.approve(party, dvp.address, MAX_UINT)
        market.hkd.raw.approve(party, dvp.address, MAX_UINT)
    market.hkd.mint(market.admin, stranger.address, Decimal(100_000))
    market.hkd.raw.approve(stranger, dvp.address, MAX_UINT)
    return Desk(market, token, dvp, seller, buyer, platform, stranger)


# ------------------------------------------------------------------------------------------------ the settlement


def test_a_settlement_moves_both_legs_exactly(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(submitter=desk.platform.address))
    before = desk.state(trade)
    receipt = desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    after = desk.state(trade)
    units, price = 10 * UNIT, 1_050_250_000
    assert after["asset"][:2] == [before["asset"][0] - units, before["asset"][1] + units]
    assert after["hkd"][:2] == [before["hkd"][0] + price, before["hkd"][1] - price]
    assert after["asset"][2:] == before["asset"][2:] and after["hkd"][2:] == before["hkd"][2:]
    assert after["allowances"] == before["allowances"]  # a maximal allowance is never rewritten
    assert (before["nonces"], after["nonces"]) == ((False, False), (True, True))
    s, b = desk.seller.address, desk.buyer.address
    assert event_args(desk.token, receipt, "Transfer") == [{"from": s, "to": b, "value": units}]
    assert event_args(desk.m.hkd, receipt, "Transfer") == [{"from": b, "to": s, "value": price}]
    digest = trade.trade_hash(desk.dvp.domain)
    assert event_args(desk.dvp, receipt, "TradeSettled") == [
        {"tradeHash": digest, "seller": s, "buyer": b, "asset": desk.token.address, "assetAmount": units,
         "payment": desk.m.hkd.address, "paymentAmount": price}
    ]  # fmt: skip
    # The asset leg, then the payment leg, then the settlement's own record.
    addresses = [log["address"] for log in receipt["logs"]]
    assert addresses == [desk.token.address, desk.m.hkd.address, desk.dvp.address]


def test_the_models_digest_is_the_contracts(desk: Desk) -> None:
    trade = desk.trade(submitter=desk.platform.address, seller_nonce=2**256 - 1, buyer_nonce=12345)
    assert desk.dvp.hash_trade(trade) == trade.trade_hash(desk.dvp.domain)
    assert desk.dvp.domain.chain_id == desk.chain.chain_id
    assert desk.dvp.domain.verifying_contract == desk.dvp.address
    assert (desk.dvp.domain.name, desk.dvp.domain.version) == ("hktoken DvP", "1")
    type_string = "Trade(" + ",".join(f"{t} {n}" for n, t in TRADE_FIELDS) + ")"
    assert desk.dvp.raw.trade_typehash() == keccak(text=type_string)
    # Each party's signature recovers, over the contract's own digest, to that party.
    for party in (desk.seller, desk.buyer):
        signature = desk.dvp.sign(trade, party)
        recovered = keys.Signature(signature[:64] + bytes([signature[64] - 27])).recover_public_key_from_msg_hash(
            desk.dvp.hash_trade(trade)
        )
        assert recovered.to_checksum_address() == party.address


def test_anyone_may_submit_a_trade_without_a_submitter(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    desk.dvp.settle(desk.stranger, trade, s_sig, b_sig)
    assert desk.state(trade)["nonces"] == (True, True)


def test_compact_eip2098_signatures_settle(desk: Desk) -> None:
    trade = desk.trade()
    s_sig, b_sig = desk.dvp.sign(trade, desk.seller, compact=True), desk.dvp.sign(trade, desk.buyer, compact=True)
    assert (len(s_sig), len(b_sig)) == (64, 64)
    before = desk.token.raw_balance_of(desk.buyer.address)
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert desk.token.raw_balance_of(desk.buyer.address) == before + 10 * UNIT


def test_next_free_nonce_fills_the_written_word_first(desk: Desk) -> None:
    s = desk.seller.address
    assert desk.dvp.next_free_nonce(s) == 0
    trade, s_sig, b_sig = desk.signed(desk.trade())
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert desk.dvp.next_free_nonce(s) == 1
    desk.dvp.cancel(desk.seller, 1)
    desk.dvp.cancel(desk.seller, 3)
    assert desk.dvp.next_free_nonce(s) == 2
    assert desk.dvp.next_free_nonce(s, start=3) == 4
    assert desk.dvp.next_free_nonce(s, start=300) == 300
    assert desk.dvp.raw.nonce_bitmap(s, 0) == 0b1011
    desk.dvp.cancel(desk.seller, 255)
    assert desk.dvp.next_free_nonce(s, start=255) == 256  # the rest of word 0 is used: the next word
    assert desk.dvp.raw.nonce_bitmap(s, 0) == 0b1011 | 1 << 255 and desk.dvp.raw.nonce_bitmap(s, 1) == 0


@pytest.mark.parametrize(("seller_nonce", "buyer_nonce"), [(255, 256), (2**256 - 1, 2**255), (0, 2**256 - 256)])
def test_nonces_anywhere_in_the_range_settle_once(desk: Desk, seller_nonce: int, buyer_nonce: int) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(seller_nonce=seller_nonce, buyer_nonce=buyer_nonce))
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    for party, nonce in ((desk.seller.address, seller_nonce), (desk.buyer.address, buyer_nonce)):
        assert desk.dvp.raw.nonce_bitmap(party, nonce >> 8) == 1 << (nonce & 0xFF)  # exactly its bit, in its word
        assert desk.dvp.nonce_used(party, nonce)
        assert not desk.dvp.nonce_used(party, nonce ^ 1)  # its neighbour in the word is still free
    with reverts("NonceAlreadyUsed", party=desk.seller.address, nonce=seller_nonce):
        desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)


# ------------------------------------------------------------------------------------------------ each leg failing


def test_an_unverified_buyer_reverts_the_whole_settlement_with_code_3(desk: Desk) -> None:
    trade = desk.trade(buyer=desk.stranger.address)
    _, s_sig, b_sig = trade, desk.dvp.sign(trade, desk.seller), desk.dvp.sign(trade, desk.stranger)
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        restricted(3, desk.seller.address, desk.stranger.address, 10 * UNIT) as refusal,
    ):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    # The token's own error bubbled up unchanged, and the decoder shows its ERC-1404 code and reason.
    assert isinstance(refusal.value, TransferRestricted)
    assert (refusal.value.code, refusal.value.reason) == (3, message_for(3)) == (3, "recipient not verified")
    assert str(refusal.value) == "TransferRestricted(code=3, reason='recipient not verified')"


def test_a_frozen_seller_reverts_the_whole_settlement_with_code_4(desk: Desk) -> None:
    desk.token.set_address_frozen(desk.m.agent, desk.seller.address, True)
    trade, s_sig, b_sig = desk.signed(desk.trade())
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        restricted(4, desk.seller.address, desk.buyer.address, 10 * UNIT) as refusal,
    ):
        desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
    assert refusal.value.reason == "sender address frozen" == message_for(4)


def test_a_refused_trade_settles_once_the_cause_is_fixed(desk: Desk) -> None:
    """A refusal reverts everything, the nonces included: once the registrar verifies the buyer, the same signed
    trade settles."""
    trade = desk.trade(buyer=desk.stranger.address)
    s_sig, b_sig = desk.dvp.sign(trade, desk.seller), desk.dvp.sign(trade, desk.stranger)
    with reverts("TransferRestricted", code=3):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    desk.m.registry.register(desk.m.admin, [investor(desk.chain, "DVP-LATE", [desk.stranger])])
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert desk.token.raw_balance_of(desk.stranger.address) == 10 * UNIT
    assert desk.state(trade)["nonces"] == (True, True)


def test_a_frozen_settlement_contract_is_refused_by_the_token_with_code_17(desk: Desk) -> None:
    """The token's agent can shut the settlement contract out of its token: it is the spender of the asset leg."""
    desk.token.set_address_frozen(desk.m.agent, desk.dvp.address, True)
    trade, s_sig, b_sig = desk.signed(desk.trade())
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        restricted(17, desk.seller.address, desk.buyer.address, 10 * UNIT),
    ):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)


def test_a_blocked_buyer_on_the_stablecoin_reverts_the_asset_leg_too(desk: Desk) -> None:
    desk.m.hkd.block(desk.m.admin, desk.buyer.address)
    trade, s_sig, b_sig = desk.signed(desk.trade())
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        reverts("AccountIsBlocked", account=desk.buyer.address),
    ):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)


def test_a_short_stablecoin_balance_reverts_the_asset_leg_too(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(payment_amount=Decimal(100_001)))
    held = desk.m.hkd.raw_balance_of(desk.buyer.address)
    assert held < 100_001 * HKD
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        reverts("ERC20InsufficientBalance", sender=desk.buyer.address, balance=held, needed=100_001 * HKD),
    ):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)


def test_a_short_allowance_reverts_with_the_tokens_error(desk: Desk) -> None:
    desk.m.hkd.raw.approve(desk.buyer, desk.dvp.address, 5)
    trade, s_sig, b_sig = desk.signed(desk.trade())
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        reverts("ERC20InsufficientAllowance", spender=desk.dvp.address, allowance=5, needed=1_050_250_000),
    ):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)


def test_a_paused_asset_token_reverts_the_settlement(desk: Desk) -> None:
    desk.token.raw.pause(desk.m.pauser)
    trade, s_sig, b_sig = desk.signed(desk.trade())
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)), reverts("TransferRestricted", code=1):
        desk.dvp.settle(desk.platform, trade, s_sig, b_sig)


# ------------------------------------------------------------------------------------------------ the trade's checks


def test_an_expired_trade_is_refused(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(expiry=chain_when(desk.chain, 600)))
    desk.chain.set_next_block_timestamp(trade.expiry_timestamp + 1)
    desk.chain.mine()
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with reverts("TradeExpired", expiry=trade.expiry_timestamp):
            desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
        with pytest.raises(TradeRefused, match="expired") as refused:
            desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert refused.value.cause == "expiry"


def test_a_trade_settles_in_the_block_of_its_expiry(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(expiry=chain_when(desk.chain, 600)))
    desk.chain.set_next_block_timestamp(trade.expiry_timestamp)
    desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
    assert desk.state(trade)["nonces"] == (True, True)


def test_a_replayed_trade_is_refused(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with reverts("NonceAlreadyUsed", party=desk.seller.address, nonce=trade.seller_nonce):
            desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
        with pytest.raises(TradeRefused, match="nonce") as refused:
            desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert refused.value.cause == "seller_nonce"


@pytest.mark.parametrize("party", ["seller", "buyer"])
def test_a_trade_cancelled_by_either_party_is_refused(desk: Desk, party: str) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    signer = desk.seller if party == "seller" else desk.buyer
    nonce = trade.seller_nonce if party == "seller" else trade.buyer_nonce
    receipt = desk.dvp.cancel(signer, nonce)
    assert event_args(desk.dvp, receipt, "NonceCancelled") == [{"party": signer.address, "nonce": nonce}]
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with reverts("NonceAlreadyUsed", party=signer.address, nonce=nonce):
            desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
        with pytest.raises(TradeRefused) as refused:
            desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert refused.value.cause == f"{party}_nonce"
    # Cancelling twice is refused too (the event would mean nothing), by the contract and by the wrapper.
    with unchanged(desk.chain, signer), reverts("NonceAlreadyUsed", party=signer.address, nonce=nonce):
        desk.dvp.raw.cancel(signer, nonce)
    with unchanged(desk.chain, signer), pytest.raises(TradeRefused):
        desk.dvp.cancel(signer, nonce)


def test_cancel_trade_cancels_the_signers_own_nonce(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(seller_nonce=40, buyer_nonce=41))
    receipt = desk.dvp.cancel_trade(desk.buyer, trade)
    assert event_args(desk.dvp, receipt, "NonceCancelled") == [{"party": desk.buyer.address, "nonce": 41}]
    assert (desk.dvp.nonce_used(desk.seller.address, 40), desk.dvp.nonce_used(desk.buyer.address, 41)) == (False, True)
    with reverts("NonceAlreadyUsed", party=desk.buyer.address, nonce=41):
        desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
    with unchanged(desk.chain, desk.stranger), pytest.raises(SpecError, match="neither the seller"):
        desk.dvp.cancel_trade(desk.stranger, trade)
    with unchanged(desk.chain, desk.seller), pytest.raises(SpecError, match="must be an int"):
        desk.dvp.cancel(desk.seller, 2**256)


def test_a_party_cancels_while_settlement_is_paused(desk: Desk) -> None:
    desk.dvp.pause(desk.m.pauser)
    desk.dvp.cancel(desk.seller, 7)
    assert desk.dvp.nonce_used(desk.seller.address, 7)


@pytest.mark.parametrize("case", ["other-trade", "stranger", "swapped", "malformed", "high-s"])
def test_a_bad_signature_is_refused_naming_the_party(desk: Desk, case: str) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    other = desk.trade(asset_amount=Decimal(11))
    party = desk.buyer.address
    if case == "other-trade":
        b_sig = desk.dvp.sign(other, desk.buyer)
    elif case == "stranger":
        b_sig = bytes(desk.stranger.unsafe_sign_hash(trade.trade_hash(desk.dvp.domain)).signature)
    elif case == "swapped":
        s_sig, b_sig, party = b_sig, s_sig, desk.seller.address
    elif case == "malformed":
        b_sig = b_sig[:10]
    else:  # the other, malleable form of the same signature: OpenZeppelin ECDSA refuses it
        n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
        s = int.from_bytes(b_sig[32:64], "big")
        b_sig = b_sig[:32] + (n - s).to_bytes(32, "big") + bytes([55 - b_sig[64]])
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with reverts("InvalidTradeSignature", party=party):
            desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
        with pytest.raises(TradeRefused, match="signature") as refused:
            desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert refused.value.cause == ("seller_signature" if party == desk.seller.address else "buyer_signature")


def test_a_trade_settled_by_another_submitter_is_refused(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade(submitter=desk.platform.address))
    with unchanged(desk.chain, desk.stranger, watch=lambda: desk.state(trade)):
        with reverts("UnauthorizedSubmitter", caller=desk.stranger.address, submitter=desk.platform.address):
            desk.dvp.raw.settle(desk.stranger, trade.as_struct(), s_sig, b_sig)
        with pytest.raises(TradeRefused, match="submitted by") as refused:
            desk.dvp.settle(desk.stranger, trade, s_sig, b_sig)
        # Nor can a party (not the named platform) submit it itself.
        with reverts("UnauthorizedSubmitter", caller=desk.seller.address, submitter=desk.platform.address):
            desk.dvp.raw.settle(desk.seller, trade.as_struct(), s_sig, b_sig)
    assert refused.value.cause == "submitter"


def test_a_self_trade_and_an_empty_leg_are_refused_by_the_contract(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    s = desk.seller.address
    self_trade = (s, s, *trade.as_struct()[2:])
    empty_asset = (*trade.as_struct()[:3], 0, *trade.as_struct()[4:])
    empty_payment = (*trade.as_struct()[:5], 0, *trade.as_struct()[6:])
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with reverts("SelfTrade", party=s):
            desk.dvp.raw.settle(desk.platform, self_trade, s_sig, s_sig)
        with reverts("EmptyLeg", token=desk.token.address):
            desk.dvp.raw.settle(desk.platform, empty_asset, s_sig, b_sig)
        with reverts("EmptyLeg", token=desk.m.hkd.address):
            desk.dvp.raw.settle(desk.platform, empty_payment, s_sig, b_sig)


def test_a_trade_with_dirty_address_bits_is_refused(desk: Desk) -> None:
    """The struct hash is taken over the raw calldata words; an address word with dirty high bits (which would
    hash differently from the signed trade) is refused by Solidity's calldata validation before anything moves."""
    trade, s_sig, b_sig = desk.signed(desk.trade())
    data = bytearray.fromhex(desk.dvp.contract.encode_abi("settle", args=[trade.as_struct(), s_sig, b_sig])[2:])
    assert desk.chain.w3.eth.call({"from": desk.platform.address, "to": desk.dvp.address, "data": bytes(data)}) == b""
    data[4 + 11] = 1  # the byte just above the seller's 20 address bytes
    with pytest.raises(ContractLogicError) as refused:
        desk.chain.w3.eth.call({"from": desk.platform.address, "to": desk.dvp.address, "data": bytes(data)})
    assert refused.value.data in (None, "0x", b"")  # no custom error: the calldata validation itself (not a signature)


# ------------------------------------------------------------------------------------------------ roles


def test_only_the_pauser_pauses_and_a_paused_desk_settles_nothing(desk: Desk) -> None:
    for outsider in (desk.m.admin, desk.platform):
        with unchanged(desk.chain, outsider), reverts("AccessControlUnauthorizedAccount", account=outsider.address):
            desk.dvp.raw.pause(outsider)
    receipt = desk.dvp.pause(desk.m.pauser)
    assert event_args(desk.dvp, receipt, "Paused") == [{"account": desk.m.pauser.address}]
    trade, s_sig, b_sig = desk.signed(desk.trade())
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with reverts("EnforcedPause"):
            desk.dvp.raw.settle(desk.platform, trade.as_struct(), s_sig, b_sig)
        with reverts("EnforcedPause"):
            desk.dvp.raw.settle_with_permits(desk.platform, trade.as_struct(), s_sig, b_sig, NO_PERMIT, NO_PERMIT)
        with pytest.raises(TradeRefused, match="paused"):
            desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    with (
        unchanged(desk.chain, desk.platform),
        reverts("AccessControlUnauthorizedAccount", account=desk.platform.address),
    ):
        desk.dvp.raw.unpause(desk.platform)
    desk.dvp.unpause(desk.m.pauser)
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert desk.state(trade)["nonces"] == (True, True)


def test_the_roles_after_deployment(desk: Desk) -> None:
    assert desk.dvp.roles == ("DEFAULT_ADMIN_ROLE", "PAUSER_ROLE")
    assert desk.dvp.has_role("DEFAULT_ADMIN_ROLE", desk.m.admin.address)
    assert desk.dvp.has_role("PAUSER_ROLE", desk.m.pauser.address)
    assert not desk.dvp.has_role("PAUSER_ROLE", desk.m.admin.address)
    with (
        unchanged(desk.chain, desk.m.pauser),
        reverts("AccessControlUnauthorizedAccount", account=desk.m.pauser.address),
    ):
        desk.dvp.raw.grant_role(desk.m.pauser, desk.dvp.raw.pauser_role(), desk.platform.address)
    desk.dvp.grant_role(desk.m.admin, "PAUSER_ROLE", desk.platform.address)
    desk.dvp.pause(desk.platform)
    assert desk.dvp.paused()


def test_binding_checks_the_kind_of_contract(desk: Desk) -> None:
    assert DvPSettlement.at(desk.chain, desk.dvp.address).domain == desk.dvp.domain
    with pytest.raises(SpecError, match="holds no DvPSettlement"):
        DvPSettlement.at(desk.chain, desk.token.address)
    with pytest.raises(SpecError, match="no contract code"):
        DvPSettlement.at(desk.chain, desk.stranger.address)


def test_deploy_refuses_a_zero_admin(desk: Desk) -> None:
    with nothing_sent(desk.chain, desk.m.admin), reverts("ZeroAddress"):
        deploy_contract(desk.chain, desk.m.admin, "DvPSettlement", ZERO)


# ------------------------------------------------------------------------------------------------ permits


@pytest.fixture
def no_allowances(desk: Desk) -> None:
    for party in (desk.seller, desk.buyer):
        desk.token.raw.approve(party, desk.dvp.address, 0)
        desk.m.hkd.raw.approve(party, desk.dvp.address, 0)


@pytest.mark.usefixtures("no_allowances")
def test_permits_for_both_legs_settle_in_one_transaction(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    asset_permit = desk.token.sign_permit(desk.seller, desk.dvp.address, AMOUNT)
    payment_permit = desk.m.hkd.sign_permit(desk.buyer, desk.dvp.address, PRICE)
    before = desk.state(trade)
    receipt = desk.dvp.settle_with_permits(
        desk.platform, trade, s_sig, b_sig, asset_permit=asset_permit, payment_permit=payment_permit
    )
    after = desk.state(trade)
    assert after["asset"][1] == before["asset"][1] + 10 * UNIT and after["hkd"][0] == before["hkd"][0] + 1_050_250_000
    assert after["allowances"] == before["allowances"]  # each permit granted exactly its leg, now spent
    assert [after["allowances"][i] for i in (0, 1, 4, 5)] == [0, 0, 0, 0]
    assert desk.token.nonces(desk.seller.address) == 1 and desk.m.hkd.nonces(desk.buyer.address) == 1
    assert event_args(desk.token, receipt, "Approval")[0]["value"] == 10 * UNIT
    assert len(event_args(desk.dvp, receipt, "TradeSettled")) == 1


@pytest.mark.usefixtures("no_allowances")
def test_a_front_run_permit_does_not_block_the_settlement(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    asset_permit = desk.token.sign_permit(desk.seller, desk.dvp.address, AMOUNT)
    payment_permit = desk.m.hkd.sign_permit(desk.buyer, desk.dvp.address, PRICE)
    desk.m.hkd.permit(desk.stranger, payment_permit)  # someone submits the buyer's permit first
    desk.dvp.settle_with_permits(
        desk.platform, trade, s_sig, b_sig, asset_permit=asset_permit, payment_permit=payment_permit
    )
    assert desk.state(trade)["nonces"] == (True, True)
    assert desk.m.hkd.raw.allowance(desk.buyer.address, desk.dvp.address) == 0


@pytest.mark.usefixtures("no_allowances")
def test_a_used_permit_without_allowance_fails_with_the_tokens_error(desk: Desk) -> None:
    """The permit is ignored (try/catch), so the leg fails for want of an allowance, and nothing moves."""
    trade, s_sig, b_sig = desk.signed(desk.trade())
    asset_permit = desk.token.sign_permit(desk.seller, desk.dvp.address, AMOUNT)
    desk.token.permit(desk.stranger, asset_permit)
    desk.token.raw.approve(desk.seller, desk.dvp.address, 0)  # the permit's allowance is withdrawn again
    permit = (asset_permit["value"], asset_permit["deadline"], asset_permit["v"], asset_permit["r"], asset_permit["s"])
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)),
        reverts("ERC20InsufficientAllowance", spender=desk.dvp.address, allowance=0, needed=10 * UNIT),
    ):
        desk.dvp.raw.settle_with_permits(desk.platform, trade.as_struct(), s_sig, b_sig, permit, NO_PERMIT)


@pytest.mark.usefixtures("no_allowances")
def test_the_wrapper_checks_the_permits_before_sending(desk: Desk) -> None:
    trade, s_sig, b_sig = desk.signed(desk.trade())
    wrong_owner = desk.token.sign_permit(desk.buyer, desk.dvp.address, AMOUNT)
    wrong_spender = desk.m.hkd.sign_permit(desk.buyer, desk.platform.address, PRICE)
    stale = desk.m.hkd.sign_permit(desk.buyer, desk.dvp.address, PRICE, deadline=desk.chain.timestamp() - 1)
    with unchanged(desk.chain, desk.platform, watch=lambda: desk.state(trade)):
        with pytest.raises(TradeRefused, match="not by the leg's payer") as refused:
            desk.dvp.settle_with_permits(desk.platform, trade, s_sig, b_sig, asset_permit=wrong_owner)
        assert refused.value.cause == "asset_permit"
        with pytest.raises(TradeRefused, match="spender") as refused:
            desk.dvp.settle_with_permits(desk.platform, trade, s_sig, b_sig, payment_permit=wrong_spender)
        assert refused.value.cause == "payment_permit"
        with pytest.raises(TradeRefused, match="expired"):
            desk.dvp.settle_with_permits(desk.platform, trade, s_sig, b_sig, payment_permit=stale)
        with pytest.raises(TradeRefused, match="no permit"):
            desk.dvp.settle_with_permits(desk.platform, trade, s_sig, b_sig)
        with pytest.raises(TradeRefused, match="not a signed permit"):
            desk.dvp.settle_with_permits(desk.platform, trade, s_sig, b_sig, asset_permit={"owner": "x"})


# ------------------------------------------------------------------------------------------------ any payment token


class Plain(ERC20Wrapper[Any]):
    artifact_name = "PlainERC20"


def test_a_plain_erc20_payment_token_settles(desk: Desk) -> None:
    from hktoken.contracts._abi import PlainERC20Functions

    Plain.surface_type = PlainERC20Functions
    plain = Plain(desk.chain, deploy_contract(desk.chain, desk.m.admin, "PlainERC20", 10**6 * UNIT).address)
    plain.raw.transfer(desk.m.admin, desk.buyer.address, 5_000 * UNIT)
    plain.raw.approve(desk.buyer, desk.dvp.address, MAX_UINT)
    # The payment token given as a bare address: its decimals are read from the chain.
    trade = desk.trade(payment=plain.address, payment_amount=Decimal("4321.000000000000000001"))
    assert trade.payment_decimals == 18 and trade.payment_units == 4321 * UNIT + 1
    trade, s_sig, b_sig = desk.signed(trade)
    receipt = desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert plain.raw_balance_of(desk.seller.address) == 4321 * UNIT + 1
    assert plain.raw_balance_of(desk.buyer.address) == 5_000 * UNIT - 4321 * UNIT - 1
    assert event_args(desk.dvp, receipt, "TradeSettled")[0]["payment"] == plain.address


def test_the_trade_builder_refuses_a_token_without_decimals(desk: Desk) -> None:
    with pytest.raises(SpecError, match="no decimals"):
        desk.trade(payment=desk.dvp.address)
    with pytest.raises(SpecError, match="no decimals"):
        desk.trade(payment=desk.stranger.address)


# ------------------------------------------------------------------------------------------------ a contract party


def test_a_contract_wallet_party_signs_with_erc1271(desk: Desk) -> None:
    """A custodian's smart-contract wallet buys: its owner key signs, the contract asks the wallet (ERC-1271)."""
    owner = extra_account("dvp-wallet-owner")
    fund(desk.chain, owner)
    wallet = deploy_contract(desk.chain, owner, "ERC1271WalletMock", owner.address)
    desk.m.registry.register(desk.m.admin, [investor(desk.chain, "DVP-CUSTODIAN", [wallet.address])])
    desk.m.hkd.mint(desk.m.admin, wallet.address, Decimal(5_000))
    approve = wallet.encode_abi("approveToken", args=[desk.m.hkd.address, desk.dvp.address, MAX_UINT])
    desk.chain.sender.send(owner, wallet.address, approve)
    trade = desk.trade(buyer=wallet.address)
    s_sig, b_sig = (
        desk.dvp.sign(trade, desk.seller),
        bytes(owner.sign_typed_data(full_message=trade.typed_data(desk.dvp.domain)).signature),
    )
    desk.dvp.settle(desk.platform, trade, s_sig, b_sig)
    assert desk.token.raw_balance_of(wallet.address) == 10 * UNIT
    assert desk.m.hkd.raw_balance_of(wallet.address) == 5_000 * HKD - 1_050_250_000
    # A signature by another key is refused by the wallet, hence by the settlement.
    again = desk.trade(buyer=wallet.address)
    forged = bytes(desk.stranger.sign_typed_data(full_message=again.typed_data(desk.dvp.domain)).signature)
    with (
        unchanged(desk.chain, desk.platform, watch=lambda: desk.state(again)),
        reverts("InvalidTradeSignature", party=wallet.address),
    ):
        desk.dvp.settle(desk.platform, again, desk.dvp.sign(again, desk.seller), forged)


def test_signing_for_someone_else_is_refused(desk: Desk) -> None:
    trade = desk.trade()
    with pytest.raises(SpecError, match="neither the seller"):
        desk.dvp.sign(trade, desk.stranger)
