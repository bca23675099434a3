"""Typed wrapper of DvPSettlement: atomic delivery-versus-payment of EIP-712 signed trades.

Build a :class:`~hktoken.models.dvp.Trade` with :meth:`DvPSettlement.trade` (decimals read from the tokens, free
nonces found for both parties), have each party sign it (:meth:`DvPSettlement.sign`, or ``Trade.sign`` with
:attr:`DvPSettlement.domain` on another machine), then submit the pair with :meth:`DvPSettlement.settle`. Before
anything is sent, the wrapper checks what it can cheaply (both signatures recover to the parties, the expiry, both
nonces, the submitter, the pause, the permits) and raises :class:`~hktoken.models.dvp.TradeRefused` naming the cause.
What only the tokens know (KYC, freezes, balances) surfaces as the token's own decoded error, e.g.
``TransferRestricted`` with its ERC-1404 code and reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, Self

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3.types import TxReceipt

from hktoken.abi import DEFAULT_ADMIN_ROLE
from hktoken.chain.connection import Chain
from hktoken.contracts._abi import DvPSettlementFunctions
from hktoken.contracts.base import ContractWrapper, ERC20Wrapper
from hktoken.contracts.kinds import interface_id, supports_interface
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.models.dvp import ZERO_ADDRESS, DvPDomain, Trade, TradeRefused
from hktoken.units import Amount

__all__ = ["NO_PERMIT", "DvPSettlement"]

NO_PERMIT = (0, 0, 0, bytes(32), bytes(32))  # deadline zero: the contract skips the leg's permit
_DECIMALS_SELECTOR = HexStr("0x313ce567")  # decimals()
_MAX_NONCE_WORDS = 1024  # next_free_nonce gives up after this many full bitmap words (262,144 used nonces)

Token = ERC20Wrapper[Any] | str


class DvPSettlement(ContractWrapper[DvPSettlementFunctions]):
    """Settles signed trades of any asset token against any ERC-20 payment token, both legs or neither."""

    surface_type = DvPSettlementFunctions
    artifact_name = DvPSettlementFunctions.artifact_name

    @classmethod
    def deploy(cls, chain: Chain, admin: LocalAccount, *, pausers: Sequence[str] | None = None) -> Self:
        """Deploy; ``admin`` holds DEFAULT_ADMIN_ROLE, and PAUSER_ROLE goes to ``pausers`` (default: ``admin``)."""
        holders = [to_address(p, what="pauser") for p in pausers] if pausers is not None else [admin.address]
        settlement = cls.deploy_artifact(chain, admin, admin.address)
        settlement.grant_roles(admin, {role: holders for role in settlement.roles if role != DEFAULT_ADMIN_ROLE})
        return settlement

    @classmethod
    def at(cls, chain: Chain, address: str) -> Self:
        """Wrap a deployed settlement contract; SpecError if the address holds no code or another contract (it must
        answer ERC-165 for ``IDvPSettlement``)."""
        settlement = super().at(chain, address)
        if not supports_interface(chain, settlement.address, interface_id(chain, "IDvPSettlement")):
            raise SpecError(
                f"{settlement.address} on chain {chain.chain_id} holds no DvPSettlement (no IDvPSettlement ERC-165)",
                fix="pass the address of the settlement contract",
            )
        return settlement

    # --- the trade -----------------------------------------------------------------------------------

    @cached_property
    def domain(self) -> DvPDomain:
        """The EIP-712 domain the contract reports (EIP-5267): what ``Trade.sign`` needs."""
        _fields, name, version, chain_id, verifying_contract, _salt, _extensions = self.raw.eip712_domain()
        return DvPDomain(name=name, version=version, chain_id=chain_id, verifying_contract=verifying_contract)

    def _decimals(self, token: Token, what: str) -> int:
        if isinstance(token, ERC20Wrapper):
            return token.decimals
        address = to_address(token, what=what)
        try:
            result = self.chain.w3.eth.call({"to": address, "data": _DECIMALS_SELECTOR})
        except Exception as exc:  # any failure means the same to the user
            raise SpecError(f"{what} {address} has no decimals()", fix=f"pass {what}_decimals") from exc
        if len(result) != 32:
            raise SpecError(f"{what} {address} has no decimals()", fix=f"pass {what}_decimals")
        return int.from_bytes(result, "big")

    def trade(
        self,
        *,
        seller: str,
        buyer: str,
        asset: Token,
        asset_amount: Amount,
        payment: Token,
        payment_amount: Amount,
        expiry: datetime,
        submitter: str = ZERO_ADDRESS,
        seller_nonce: int | None = None,
        buyer_nonce: int | None = None,
        asset_decimals: int | None = None,
        payment_decimals: int | None = None,
    ) -> Trade:
        """A validated :class:`Trade`: decimals read from the tokens unless given, nonces the first free ones."""
        seller_address = to_address(seller, what="seller")
        buyer_address = to_address(buyer, what="buyer")
        return Trade(
            seller=seller_address,
            buyer=buyer_address,
            asset=asset.address if isinstance(asset, ERC20Wrapper) else asset,
            asset_amount=asset_amount,
            asset_decimals=asset_decimals if asset_decimals is not None else self._decimals(asset, "asset"),
            payment=payment.address if isinstance(payment, ERC20Wrapper) else payment,
            payment_amount=payment_amount,
            payment_decimals=payment_decimals if payment_decimals is not None else self._decimals(payment, "payment"),
            seller_nonce=seller_nonce if seller_nonce is not None else self.next_free_nonce(seller_address),
            buyer_nonce=buyer_nonce if buyer_nonce is not None else self.next_free_nonce(buyer_address),
            expiry=expiry,
            submitter=submitter,
        )

    def sign(self, trade: Trade, account: LocalAccount, *, compact: bool = False) -> bytes:
        """The party's EIP-712 signature of ``trade`` for this contract (64 bytes, EIP-2098, with ``compact``)."""
        return trade.sign(account, self.domain, compact=compact)

    def hash_trade(self, trade: Trade) -> bytes:
        """The trade's EIP-712 digest as the contract computes it."""
        return self.raw.hash_trade(trade.as_struct())

    # --- settlement ----------------------------------------------------------------------------------

    def check_settlement(self, sender: str, trade: Trade, seller_signature: bytes, buyer_signature: bytes) -> None:
        """Raise :class:`TradeRefused` naming the first problem the contract would refuse for, read cheaply:
        the pause, the submitter, the expiry, both signatures (a party with contract code is left to ERC-1271),
        both nonces. The tokens' own rules are not pre-checked: their refusal is decoded when it happens."""
        caller = to_address(sender, what="sender")
        if self.raw.paused():
            raise TradeRefused("paused", "settlement is paused", fix="wait for the pauser to unpause")
        if trade.submitter != ZERO_ADDRESS and trade.submitter != caller:
            raise TradeRefused(
                "submitter",
                f"the trade may only be submitted by {trade.submitter}, not {caller}",
                fix="send it from the submitter the parties signed",
            )
        now = self.chain.timestamp()
        if trade.expiry_timestamp <= now:
            raise TradeRefused(
                "expiry",
                f"the trade expired at {trade.expiry.isoformat()} (chain time {now})",
                fix="have both parties sign a new trade",
            )
        for party, signature in (("seller", seller_signature), ("buyer", buyer_signature)):
            self._check_signature(trade, party, signature)
        for party, nonce in (("seller", trade.seller_nonce), ("buyer", trade.buyer_nonce)):
            address = trade.seller if party == "seller" else trade.buyer
            if self.nonce_used(address, nonce):
                raise TradeRefused(
                    f"{party}_nonce",
                    f"the {party}'s nonce {nonce} is already used or cancelled ({address})",
                    fix="sign a new trade with a free nonce (next_free_nonce)",
                )

    def _check_signature(self, trade: Trade, party: str, signature: bytes) -> None:
        address = to_address(trade.seller if party == "seller" else trade.buyer)
        if not isinstance(signature, bytes | bytearray):
            raise TradeRefused(f"{party}_signature", f"the {party}'s signature must be bytes")
        if trade.recover(bytes(signature), self.domain) == address:
            return
        if self.chain.code_at(address) not in ("0x", "0x0"):
            return  # a contract party: the contract asks it (ERC-1271)
        raise TradeRefused(
            f"{party}_signature",
            f"the {party}'s signature was not made by the {party} {address} over this trade",
            fix=f"have the {party} sign this exact trade for {self.address} on chain {self.chain.chain_id}",
        )

    def settle(self, sender: LocalAccount, trade: Trade, seller_signature: bytes, buyer_signature: bytes) -> TxReceipt:
        """Settle ``trade`` (both legs or neither) after the cheap checks; a token's refusal raises its own decoded
        error (``TransferRestricted`` with code and reason, ``ERC20InsufficientBalance``...) and sends nothing."""
        self.check_settlement(sender.address, trade, seller_signature, buyer_signature)
        return self.raw.settle(sender, trade.as_struct(), bytes(seller_signature), bytes(buyer_signature))

    def settle_with_permits(
        self,
        sender: LocalAccount,
        trade: Trade,
        seller_signature: bytes,
        buyer_signature: bytes,
        *,
        asset_permit: Mapping[str, Any] | None = None,
        payment_permit: Mapping[str, Any] | None = None,
    ) -> TxReceipt:
        """Apply the seller's permit on the asset and/or the buyer's on the payment token (from
        ``token.sign_permit(owner, settlement.address, amount)``), then settle, in one transaction. A permit that
        was already used is ignored on chain (the allowance must then be there)."""
        if asset_permit is None and payment_permit is None:
            raise TradeRefused("permits", "no permit given", fix="pass asset_permit and/or payment_permit, or settle")
        self.check_settlement(sender.address, trade, seller_signature, buyer_signature)
        permits = (
            self._permit_struct("asset_permit", asset_permit, trade.seller),
            self._permit_struct("payment_permit", payment_permit, trade.buyer),
        )
        return self.raw.settle_with_permits(
            sender, trade.as_struct(), bytes(seller_signature), bytes(buyer_signature), *permits
        )

    def _permit_struct(
        self, what: str, permit: Mapping[str, Any] | None, owner: str
    ) -> tuple[int, int, int, bytes, bytes]:
        if permit is None:
            return NO_PERMIT
        try:
            signed_owner, spender = permit["owner"], permit["spender"]
            value, deadline = int(permit["value"]), int(permit["deadline"])
            v, r, s = int(permit["v"]), bytes(permit["r"]), bytes(permit["s"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TradeRefused(what, f"{what} is not a signed permit ({exc})", fix="use token.sign_permit") from exc
        if to_address(signed_owner, what=f"{what} owner") != to_address(owner):
            raise TradeRefused(what, f"{what} is signed by {signed_owner}, not by the leg's payer {owner}")
        if to_address(spender, what=f"{what} spender") != self.address:
            raise TradeRefused(what, f"{what} names the spender {spender}, not this settlement contract {self.address}")
        if deadline <= self.chain.timestamp():
            raise TradeRefused(what, f"{what} expired at {deadline}", fix="sign a new permit")
        return (value, deadline, v, r, s)

    # --- nonces and cancellation ---------------------------------------------------------------------

    def cancel(self, signer: LocalAccount, nonce: int) -> TxReceipt:
        """Cancel one of the signer's nonces: no trade signed with it can settle any more."""
        if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce < 2**256:
            raise SpecError(f"nonce {nonce!r} must be an int in [0, 2**256)", fix="pass the nonce of the trade")
        if self.nonce_used(signer.address, nonce):
            raise TradeRefused("nonce", f"nonce {nonce} of {signer.address} is already used or cancelled")
        return self.raw.cancel(signer, nonce)

    def cancel_trade(self, signer: LocalAccount, trade: Trade) -> TxReceipt:
        """Cancel the signer's side of ``trade`` (its nonce in the trade): the trade can no longer settle."""
        party = trade.party(signer)
        return self.cancel(signer, trade.seller_nonce if party == "seller" else trade.buyer_nonce)

    def nonce_used(self, party: str, nonce: int) -> bool:
        """Whether a party's nonce was used by a settlement or cancelled."""
        return self.raw.is_nonce_used(to_address(party, what="party"), nonce)

    def next_free_nonce(self, party: str, *, start: int = 0) -> int:
        """The lowest nonce >= ``start`` the party has not used: reusing a bitmap word already written keeps the
        next settlement on the cheap (non-zero to non-zero) path."""
        address: ChecksumAddress = to_address(party, what="party")
        word, bit = start >> 8, start & 0xFF
        for _ in range(_MAX_NONCE_WORDS):
            free = ~self.raw.nonce_bitmap(address, word) & ((1 << 256) - 1) & ~((1 << bit) - 1)
            if free:
                return (word << 8) + ((free & -free).bit_length() - 1)
            word, bit = word + 1, 0
        raise SpecError(f"no free nonce for {address} in {_MAX_NONCE_WORDS} words from {start}", fix="pass start")

    # --- pause ---------------------------------------------------------------------------------------

    def pause(self, signer: LocalAccount) -> TxReceipt:
        """Stop every settlement (PAUSER_ROLE); cancellations stay open."""
        return self.raw.pause(signer)

    def unpause(self, signer: LocalAccount) -> TxReceipt:
        """Resume settlement (PAUSER_ROLE)."""
        return self.raw.unpause(signer)

    def paused(self) -> bool:
        """Whether settlement is paused."""
        return self.raw.paused()
