"""Typed wrappers of the fixed-rate bond (contracts/assets/bond): BondToken and its BondPayingAgent.

Bond amounts are ``Decimal`` bond-token units; money (coupons, principal, prices) is ``Decimal`` payment-token units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Self

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts._abi import BondPayingAgentFunctions, BondTokenFunctions
from hktoken.contracts.base import ContractWrapper
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import SecurityToken, TokenRoles
from hktoken.errors import SpecError
from hktoken.models.bond import BondTerms, Coupon
from hktoken.models.common import chain_time, to_address
from hktoken.models.rules import ComplianceRules
from hktoken.units import Amount, from_base_units, to_base_units

_DECIMALS_ABI = [
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
]  # fmt: skip


def payment_token_decimals(chain: Chain, token: str) -> int:
    """The ERC-20 decimals of a payment token; SpecError when there is no contract at the address."""
    address = to_address(token, what="payment_token")
    if chain.code_at(address) in ("0x", "0x0"):
        raise SpecError(f"payment_token {address} has no contract code", fix="deploy the stablecoin first")
    return int(chain.w3.eth.contract(address=address, abi=_DECIMALS_ABI).functions.decimals().call())


@dataclass(frozen=True)
class BondRoles:
    """The bond's own duties (each defaults to the deploying admin): callers call the bond early (CALLER_ROLE on
    the token); funders deposit coupons and principal, payers push coupons and redeem for holders (FUNDER_ROLE and
    PAYER_ROLE on the paying agent)."""

    callers: Sequence[str] = ()
    funders: Sequence[str] = ()
    payers: Sequence[str] = ()


_NO_ROLES = TokenRoles()
_NO_BOND_ROLES = BondRoles()


@dataclass(frozen=True)
class CallTerms:
    """An early call: from ``call_date`` transfers stop and the bond redeems at ``price`` per whole token."""

    call_date: datetime
    price: Decimal


def _holders(holders: Sequence[str], what: str) -> list[str]:
    if isinstance(holders, str) or not holders:
        raise SpecError(f"{what} needs a non-empty list of holder addresses")
    return [to_address(h, what="holder") for h in holders]


def _coupon_index(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 64:
        raise SpecError(f"coupon index {index!r} is invalid", fix="pass the 0-based index of a coupon (0 to 63)")
    return index


@dataclass(frozen=True)
class PushOutcome:
    """What one ``payCoupons`` transaction did, in log order."""

    paid: list[tuple[ChecksumAddress, int]]
    """(holder, payment-token base units) of each payment (``CouponsPaid``)."""
    skipped: list[tuple[ChecksumAddress, str]]
    """(holder, the refusal in words) of each skip (``CouponPaymentSkipped``): the holder stays owed."""


class BondPayingAgent(ContractWrapper[BondPayingAgentFunctions]):
    """The bond's paying agent: holds the stablecoin, funds coupons and principal, pays claims and pushes, redeems.
    Money is in payment-token units."""

    surface_type = BondPayingAgentFunctions
    artifact_name = BondPayingAgentFunctions.artifact_name

    @cached_property
    def payment_decimals(self) -> int:
        """Decimals of the payment token (read once)."""
        return payment_token_decimals(self.chain, self.raw.payment_token())

    def _money(self, units: int) -> Decimal:
        return from_base_units(units, self.payment_decimals)

    def payment_token(self) -> str:
        """The stablecoin address."""
        return to_address(self.raw.payment_token())

    def funded_coupons(self) -> int:
        """How many coupons are funded (the first ones)."""
        return self.raw.funded_coupons()

    def coupon_funding(self, index: int) -> Decimal:
        """What funding coupon ``index`` costs (reverts as funding would: early, twice, out of order)."""
        return self._money(self.raw.coupon_funding(_coupon_index(index)))

    def claimable(self, holder: str) -> Decimal:
        """What a claim by ``holder`` would pay now."""
        return self._money(self.raw.claimable(to_address(holder, what="holder")))

    def principal_reserve(self) -> Decimal:
        """Principal still held for redemptions."""
        return self._money(self.raw.principal_reserve())

    def principal_needed(self) -> Decimal:
        """What redeeming the whole outstanding supply costs now (the reserve must cover it)."""
        return self._money(self.raw.principal_needed())

    def fund_coupon(self, signer: LocalAccount, index: int) -> TxReceipt:
        """Deposit coupon ``index`` from the signer (FUNDER_ROLE; approve ``coupon_funding(index)`` first)."""
        return self.raw.fund_coupon(signer, _coupon_index(index))

    def fund_principal(self, signer: LocalAccount) -> TxReceipt:
        """Deposit the principal (FUNDER_ROLE), once the bond is redeemable: first for the whole outstanding supply,
        later exactly the shortfall ``principal_needed() - principal_reserve()`` (approve it first)."""
        return self.raw.fund_principal(signer)

    def sweep_principal(self, signer: LocalAccount) -> TxReceipt:
        """Pay the signer (FUNDER_ROLE) the reserve above ``principal_needed()``: never what holders are owed."""
        return self.raw.sweep_principal(signer)

    def claim(self, signer: LocalAccount) -> TxReceipt:
        """The signer claims every coupon recorded and funded it is owed, in one transfer."""
        return self.raw.claim(signer)

    def pay_coupons(self, signer: LocalAccount, holders: Sequence[str]) -> TxReceipt:
        """Push coupons to ``holders`` (PAYER_ROLE); one that cannot be paid is skipped with an event
        (:meth:`push_outcome` reads them)."""
        return self.raw.pay_coupons(signer, _holders(holders, "pay_coupons"))

    def push_outcome(self, receipt: TxReceipt) -> PushOutcome:
        """What a ``payCoupons`` receipt did: who was paid what, and who was skipped and why."""
        return PushOutcome(
            paid=[(to_address(e["args"]["holder"]), int(e["args"]["amount"]))
                  for e in self.events(receipt, "CouponsPaid")],
            skipped=[(to_address(e["args"]["holder"]), self.chain.decoder.decode(bytes(e["args"]["reason"])).message)
                     for e in self.events(receipt, "CouponPaymentSkipped")],
        )  # fmt: skip

    def redeem(self, signer: LocalAccount) -> TxReceipt:
        """The signer redeems all its bonds: burned, principal and unpaid coupons paid in one transfer."""
        return self.raw.redeem(signer)

    def redeem_for(self, signer: LocalAccount, holders: Sequence[str]) -> TxReceipt:
        """Redeem for ``holders`` (PAYER_ROLE), all or nothing."""
        return self.raw.redeem_for(signer, _holders(holders, "redeem_for"))


class BondToken(SecurityToken[BondTokenFunctions]):
    """A fixed-rate bond (``contracts/assets/bond/BondToken.sol``): the security token with ERC-7092-style terms,
    per-holder coupon accrual, an early call and redemption through its paying agent."""

    surface_type = BondTokenFunctions
    artifact_name = BondTokenFunctions.artifact_name

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        admin: LocalAccount,
        *,
        name: str,
        symbol: str,
        decimals: int,
        registry: InvestorRegistry | str,
        treasury: str | None = None,
        roles: TokenRoles = _NO_ROLES,
        rules: ComplianceRules | None = None,
        admin_module: str | None = None,
        terms: BondTerms,
        bond_roles: BondRoles = _NO_BOND_ROLES,
    ) -> Self:
        """Deploy the bond with its paying agent (created by the token's constructor, one transaction), grant the
        token's duties (``roles``) and the bond's (``bond_roles``), and set the rules. ``terms`` is checked against
        the chain first: the payment token must exist and have ``terms.payment_decimals``."""
        if not isinstance(terms, BondTerms):
            raise SpecError("terms must be a BondTerms", fix="build it with BondTerms(...)")
        grants = {
            "CALLER_ROLE": [to_address(a, what="caller") for a in bond_roles.callers] or [admin.address],
        }
        agent_grants = {
            "FUNDER_ROLE": [to_address(a, what="funder") for a in bond_roles.funders] or [admin.address],
            "PAYER_ROLE": [to_address(a, what="payer") for a in bond_roles.payers] or [admin.address],
        }

        def validate() -> None:
            found = payment_token_decimals(chain, terms.payment_token)
            if found != terms.payment_decimals:
                raise SpecError(
                    f"invalid BondTerms: payment_decimals: {terms.payment_decimals} but the payment token has {found}",
                    fix=f"set payment_decimals={found}",
                )

        token = cls._deploy_token(
            chain, admin, name=name, symbol=symbol, decimals=decimals, registry=registry, treasury=treasury,
            roles=roles, rules=rules, admin_module=admin_module, asset_args=terms.constructor_args(),
            validate=validate,
        )  # fmt: skip
        token.grant_roles(admin, grants)
        token.paying_agent.grant_roles(admin, agent_grants)
        return token

    @cached_property
    def paying_agent(self) -> BondPayingAgent:
        """The paying agent created with the token."""
        return BondPayingAgent(self.chain, self.raw.paying_agent())

    @cached_property
    def payment_decimals(self) -> int:
        """Decimals of the payment token (read once)."""
        return payment_token_decimals(self.chain, self.raw.currency())

    def _money(self, units: int) -> Decimal:
        return from_base_units(units, self.payment_decimals)

    # --- terms and schedule ------------------------------------------------------------------------

    def terms(self) -> BondTerms:
        """The bond's terms, read back from chain."""
        raw = self.raw
        decimals = self.payment_decimals
        return BondTerms(
            isin=raw.isin(),
            currency=raw.currency_code().decode(),
            payment_token=to_address(raw.currency()),
            payment_decimals=decimals,
            denomination=from_base_units(raw.denomination(), decimals),
            coupon_rate_bps=raw.coupon_rate(),
            coupon_frequency=raw.coupon_frequency(),
            issue_date=chain_time(raw.issue_date()),
            maturity_date=chain_time(raw.maturity_date()),
            coupon_dates=tuple(chain_time(d) for d in raw.coupon_dates()),
            min_call_notice=timedelta(seconds=raw.min_call_notice()),
        )

    def schedule(self) -> list[Coupon]:
        """Every coupon: record date and per-token amount (payment-token units)."""
        return self.terms().schedule()

    def recorded_coupons(self) -> int:
        """How many coupons are recorded now (by time alone, none after a call date)."""
        return self.paying_agent.raw.recorded_coupons()

    def funded_coupons(self) -> int:
        """How many coupons the paying agent has funded."""
        return self.paying_agent.funded_coupons()

    def claimable(self, holder: str) -> Decimal:
        """What a claim by ``holder`` would pay now (payment-token units; 0 when it would be refused)."""
        return self.paying_agent.claimable(holder)

    def outstanding_at_record(self, index: int) -> Decimal:
        """Supply outside the treasury at coupon ``index``'s record time, which its funding covers (bond units)."""
        return self.from_units(self.raw.outstanding_at_record(_coupon_index(index)))

    def call_terms(self) -> CallTerms | None:
        """The early call, or None."""
        called, date, price = self.raw.call_terms()
        return CallTerms(chain_time(date), self._money(price)) if called else None

    # --- duties --------------------------------------------------------------------------------------

    def call(self, signer: LocalAccount, call_date: datetime, price: Amount) -> TxReceipt:
        """Call the bond early (CALLER_ROLE) at ``price`` per whole token (payment-token units), from ``call_date``,
        which must give the terms' minimum notice and fall before maturity."""
        if call_date.tzinfo is None:
            raise SpecError("call_date must be timezone-aware")
        units = to_base_units(price, self.payment_decimals, what="price")
        if units == 0:
            raise SpecError("price must be positive", fix="pass the call price per whole token")
        when = int(call_date.timestamp())
        earliest = self.chain.timestamp() + self.raw.min_call_notice()
        if when < earliest or when >= self.raw.maturity_date():
            raise SpecError(
                f"call_date {call_date.isoformat()} must be at least the minimum notice away and before maturity",
                fix=f"pick a date from {chain_time(earliest).isoformat()} until before maturity",
            )
        return self.raw.call_bond(signer, when, units)

    def fund_coupon(self, signer: LocalAccount, index: int) -> TxReceipt:
        """Deposit coupon ``index`` with the paying agent (FUNDER_ROLE; approve the agent first)."""
        return self.paying_agent.fund_coupon(signer, index)

    def fund_principal(self, signer: LocalAccount) -> TxReceipt:
        """Deposit the principal, or a later shortfall, with the paying agent (FUNDER_ROLE), once redeemable."""
        return self.paying_agent.fund_principal(signer)

    def sweep_principal(self, signer: LocalAccount) -> TxReceipt:
        """Take back the principal reserve's surplus from the paying agent (FUNDER_ROLE)."""
        return self.paying_agent.sweep_principal(signer)

    def claim(self, signer: LocalAccount) -> TxReceipt:
        """The signer claims its coupons from the paying agent."""
        return self.paying_agent.claim(signer)

    def pay_coupons(self, signer: LocalAccount, holders: Sequence[str]) -> TxReceipt:
        """Push coupons to ``holders`` (PAYER_ROLE on the agent)."""
        return self.paying_agent.pay_coupons(signer, holders)

    def redeem(self, signer: LocalAccount) -> TxReceipt:
        """The signer redeems all its bonds (principal and unpaid coupons in one transfer)."""
        return self.paying_agent.redeem(signer)

    def redeem_for(self, signer: LocalAccount, holders: Sequence[str]) -> TxReceipt:
        """Redeem for ``holders`` (PAYER_ROLE on the agent), all or nothing."""
        return self.paying_agent.redeem_for(signer, holders)
