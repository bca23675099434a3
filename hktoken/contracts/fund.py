"""Typed wrappers of the ETF share class: ``FundToken`` (the shares, a security token) and ``FundAdministrator``
(NAV, dealing epochs, creation and redemption requests, claims).

Amounts are ``Decimal`` at the surface: shares in share units, cash and NAV in payment-token units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Self

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3.contract import Contract
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts._abi import FundAdministratorFunctions, FundTokenFunctions
from hktoken.contracts.base import ContractWrapper
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.surface import send_through
from hktoken.contracts.token import SecurityToken, TokenRoles
from hktoken.errors import SpecError, TransactionReverted
from hktoken.models.common import chain_time, to_address
from hktoken.models.fund import FundTerms, NavStrike
from hktoken.models.rules import ComplianceRules
from hktoken.units import Amount, from_base_units, to_base_units

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
UINT128_MAX = 2**128 - 1
_EVERY_DUTY_TO_ADMIN = TokenRoles()  # the token duties default to the deploying admin (as for RWAToken)


@dataclass(frozen=True)
class FundRoles:
    """Who gets which dealing duty at deployment. ``fund_admins`` default to the deploying admin; NAV confirmers
    must be other people (a NAV's publisher may not confirm it); participants must be verified in the registry."""

    fund_admins: Sequence[str] = ()
    nav_confirmers: Sequence[str] = ()
    participants: Sequence[str] = ()


@dataclass(frozen=True)
class Epoch:
    """A dealing epoch: its totals and, once struck, its NAV."""

    number: int
    subscription_cash: Decimal
    redemption_shares: Decimal
    nav_per_share: Decimal | None
    nav_as_of: datetime | None
    struck_at: datetime | None

    @property
    def struck(self) -> bool:
        """Whether the epoch has been settled."""
        return self.struck_at is not None


@dataclass(frozen=True)
class PendingNav:
    """A published NAV waiting for its strike."""

    epoch: int
    nav_per_share: Decimal
    as_of: datetime
    published_at: datetime
    publisher: ChecksumAddress
    needs_confirmation: bool
    confirmed: bool


@dataclass(frozen=True)
class SubscriptionFill:
    """What a subscription claim settles: shares minted, cost to the fund, fee, refund to the participant."""

    shares: Decimal
    cost: Decimal
    fee: Decimal
    refund: Decimal


@dataclass(frozen=True)
class RedemptionPayment:
    """What a redemption claim pays: gross proceeds, fee, and the participant's cash."""

    proceeds: Decimal
    fee: Decimal
    paid: Decimal


class FundAdministrator(ContractWrapper[FundAdministratorFunctions]):
    """The fund's primary market (``contracts/assets/fund/FundAdministrator.sol``): it is the share token's
    treasury and issuer, escrows requests, and settles whole creation units at the next NAV strike."""

    surface_type = FundAdministratorFunctions
    artifact_name = FundAdministratorFunctions.artifact_name

    @cached_property
    def share_token(self) -> FundToken:
        """The fund's shares."""
        return FundToken(self.chain, self.raw.share_token())

    @cached_property
    def payment_token(self) -> ChecksumAddress:
        """The payment token's address."""
        return to_address(self.raw.payment_token())

    @cached_property
    def _coin(self) -> Contract:
        return self.chain.w3.eth.contract(address=self.payment_token, abi=_ERC20_ABI)

    @cached_property
    def payment_decimals(self) -> int:
        """The payment token's decimals."""
        return int(self._coin.functions.decimals().call())

    @cached_property
    def registry(self) -> InvestorRegistry:
        """The registry participants must be verified in (the share token's)."""
        return InvestorRegistry(self.chain, self.raw.registry())

    @cached_property
    def creation_unit(self) -> Decimal:
        """Shares per creation unit."""
        return self.share_token.from_units(self.raw.creation_unit())

    def _cash(self, value: int) -> Decimal:
        return from_base_units(value, self.payment_decimals)

    def _cash_units(self, amount: Amount, what: str) -> int:
        return to_base_units(amount, self.payment_decimals, what=what)

    # --- NAV -----------------------------------------------------------------------------------------

    def nav_strike(self, nav_per_share: Amount, as_of: datetime) -> NavStrike:
        """A NAV checked against this chain's time and the payment token's precision (SpecError naming the field)."""
        return NavStrike.on_chain(
            nav_per_share, as_of, now=chain_time(self.chain.timestamp()), decimals=self.payment_decimals
        )

    def publish_nav(self, signer: LocalAccount, nav: NavStrike) -> TxReceipt:
        """Publish a NAV per share (FUND_ADMIN_ROLE): closes the open epoch, or replaces the NAV pending."""
        checked = self.nav_strike(nav.nav_per_share, nav.as_of)
        return self.raw.publish_nav(
            signer, self._cash_units(checked.nav_per_share, "nav_per_share"), checked.as_of_timestamp
        )

    def close_epoch(self, signer: LocalAccount) -> TxReceipt:
        """Close the open epoch at a cut-off before valuing it (FUND_ADMIN_ROLE): its NAV must then be valued at or
        after this block's time. Optional: :meth:`publish_nav` closes the open epoch itself."""
        return self.raw.close_epoch(signer)

    def cut_off(self) -> datetime | None:
        """The cut-off of the closed epoch when :meth:`close_epoch` closed it, else None."""
        at = self.raw.cut_off_at()
        return chain_time(at) if at else None

    def confirm_nav(self, signer: LocalAccount, nav_per_share: Amount) -> TxReceipt:
        """Confirm the pending NAV (NAV_CONFIRMER_ROLE, not its publisher); ``nav_per_share`` is the value seen."""
        return self.raw.confirm_nav(signer, self._cash_units(nav_per_share, "nav_per_share"))

    def strike(self, signer: LocalAccount) -> TxReceipt:
        """Settle the closed epoch at the pending NAV (FUND_ADMIN_ROLE)."""
        return self.raw.strike(signer)

    def pending_nav(self) -> PendingNav | None:
        """The NAV waiting for its strike, or None."""
        epoch = self.raw.closed_epoch()
        if epoch == 0:
            return None
        nav, as_of, published_at, publisher, needs, confirmed = self.raw.pending_nav()
        if published_at == 0:
            return None  # the epoch was closed by a cut-off and no NAV is published for it yet
        return PendingNav(
            epoch, self._cash(nav), chain_time(as_of), chain_time(published_at), to_address(publisher), needs, confirmed
        )

    def last_nav(self) -> Decimal:
        """The last struck NAV per share (the launch price before the first strike)."""
        return self._cash(self.raw.last_nav_per_share())

    # --- epochs --------------------------------------------------------------------------------------

    def open_epoch(self) -> int:
        """The epoch new requests fall in."""
        return self.raw.open_epoch()

    def closed_epoch(self) -> int | None:
        """The epoch a published NAV closed and the next strike settles, or None."""
        return self.raw.closed_epoch() or None

    def epoch(self, number: int) -> Epoch:
        """One epoch's totals and NAV."""
        cash, shares, nav, as_of, struck_at = self.raw.epoch_of(number)
        return Epoch(
            number,
            self._cash(cash),
            self.share_token.from_units(shares),
            self._cash(nav) if struck_at else None,
            chain_time(as_of) if struck_at else None,
            chain_time(struck_at) if struck_at else None,
        )

    # --- participants --------------------------------------------------------------------------------

    def _participant(self, account: str) -> ChecksumAddress:
        ap = to_address(account, what="participant")
        if not self.has_role("AP_ROLE", ap):
            raise SpecError(f"{ap} is not an authorized participant", fix="grant it AP_ROLE first")
        if not self.registry.is_verified(ap):
            raise SpecError(f"participant {ap} is not verified in the registry", fix="renew or register it first")
        return ap

    def request_subscription(self, signer: LocalAccount, cash: Amount) -> TxReceipt:
        """Escrow ``cash`` for the whole creation units it buys at the next strike (AP_ROLE, verified). Approves the
        payment token first when the allowance is short (a second transaction); checks everything before either:
        the role, the registry, the balance, and the payment token's own rules (pause, block-list) on the move."""
        value = self._cash_units(cash, "cash")
        if value == 0:
            raise SpecError("cash must be positive", fix="pass the payment tokens to subscribe with")
        ap = self._participant(signer.address)
        coin = self._coin
        balance = int(coin.functions.balanceOf(ap).call())
        if balance < value:
            raise SpecError(f"cash {cash} exceeds the participant's balance {self._cash(balance)}")
        # The payment token's own rules on moving this cash to the administrator (paused, either side blocked...).
        self._precheck_move(signer, self.payment_token, HexStr(coin.encode_abi("transfer", [self.address, value])))
        if int(coin.functions.allowance(ap, self.address).call()) < value:
            send_through(
                self.chain, signer, self.payment_token, HexStr(coin.encode_abi("approve", [self.address, value]))
            )
        return self.raw.request_subscription(signer, value)

    def request_redemption(self, signer: LocalAccount, shares: Amount) -> TxReceipt:
        """Escrow ``shares`` (whole creation units) for redemption at the next strike (AP_ROLE, verified). Approves
        the shares first when the allowance is short; checks everything before either transaction: the unit, the
        role, the registry, the balance, and the token's transfer rules on the exit (a refusal raises the decoded
        ``TransferRestricted``)."""
        token = self.share_token
        value = token.to_units(shares, what="shares")
        unit = self.raw.creation_unit()
        if value == 0 or value % unit:
            raise SpecError(
                f"shares {shares} is not a positive whole number of creation units ({self.creation_unit})",
                fix="redeem a multiple of the creation unit",
            )
        ap = self._participant(signer.address)
        balance = token.raw_balance_of(ap)
        if balance < value:
            raise SpecError(f"shares {shares} exceeds the participant's balance {token.from_units(balance)}")
        # The token's rules on the exit to the treasury (detectTransferRestriction(ap, administrator, shares), as
        # `_update` applies them, judged at the block the request lands in): paused, frozen, partial freeze, lock-up.
        shares_as_erc20 = self.chain.w3.eth.contract(address=token.address, abi=_ERC20_ABI)
        data = HexStr(shares_as_erc20.encode_abi("transfer", [self.address, value]))
        self._precheck_move(signer, token.address, data, token.raw.explain)
        if token.raw.allowance(ap, self.address) < value:
            token.raw.approve(signer, self.address, value)
        return self.raw.request_redemption(signer, value)

    def _precheck_move(
        self,
        signer: LocalAccount,
        token: ChecksumAddress,
        data: HexStr,
        explain: Callable[[TransactionReverted], None] | None = None,
    ) -> None:
        """Simulate the signer moving the amount to the administrator itself: the move the request makes with
        ``transferFrom``, under the same rules of the token, but needing no allowance, so it is judged before the
        approval. A refusal raises the token's decoded error (``TransferRestricted`` with its ERC-1404 code for the
        shares; ``AccountIsBlocked``, ``EnforcedPause``... for the stablecoin) and nothing is sent."""
        try:
            self.chain.sender.simulate(signer, token, data)
        except TransactionReverted as refusal:
            if explain is not None:
                explain(refusal)
            raise

    def cancel_subscription(self, signer: LocalAccount, epoch: int) -> TxReceipt:
        """Cancel the signer's subscription in ``epoch`` while it is open; its cash comes back."""
        return self.raw.cancel_subscription(signer, _epoch_number(epoch))

    def cancel_redemption(self, signer: LocalAccount, epoch: int) -> TxReceipt:
        """Cancel the signer's redemption in ``epoch`` while it is open; its shares come back."""
        return self.raw.cancel_redemption(signer, _epoch_number(epoch))

    def claim_subscription(self, signer: LocalAccount, epoch: int) -> TxReceipt:
        """Claim the signer's struck subscription: shares minted, the rest of the cash refunded."""
        return self.raw.claim_subscription(signer, _epoch_number(epoch))

    def refund_subscription(self, signer: LocalAccount, epoch: int, participant: str | None = None) -> TxReceipt:
        """Refund a struck subscription in full to its AP (``participant``, default the signer) when the token
        refuses to mint the claim's shares to it (KYC revoked, frozen, paused, a holder or balance limit...). The AP
        itself, or a FUND_ADMIN_ROLE on its behalf; refused (``SubscriptionClaimable``) while the claim would work."""
        number = _epoch_number(epoch)
        ap = to_address(signer.address if participant is None else participant, what="participant")
        return self.raw.refund_subscription(signer, number, ap)

    def claim_redemption(self, signer: LocalAccount, epoch: int) -> TxReceipt:
        """Claim the signer's struck redemption: cash paid, less the fee."""
        return self.raw.claim_redemption(signer, _epoch_number(epoch))

    def settle_claims(self, signer: LocalAccount, epoch: int, participants: Sequence[str]) -> TxReceipt:
        """Settle the struck claims of ``participants`` in ``epoch`` for them (FUND_ADMIN_ROLE), as each would
        claim; one with nothing to claim, or whose shares the token refuses, is skipped with ``ClaimSkipped``.
        :func:`hktoken.bulk.fund.settle_fund_claims` does it for every participant, in node-sized batches."""
        wallets = [to_address(p, what="participant") for p in participants]
        if not wallets:
            raise SpecError("settle_claims needs at least one participant", fix="name the APs to settle")
        return self.raw.settle_claims(signer, _epoch_number(epoch), wallets)

    # --- ERC-7540-style views ------------------------------------------------------------------------

    def pending_subscription(self, epoch: int, participant: str) -> Decimal:
        """Cash of a subscription not yet struck."""
        return self._cash(self.raw.pending_subscription_request(_epoch_number(epoch), to_address(participant)))

    def claimable_subscription(self, epoch: int, participant: str) -> Decimal:
        """Cash of a struck, unclaimed subscription."""
        return self._cash(self.raw.claimable_subscription_request(_epoch_number(epoch), to_address(participant)))

    def pending_redemption(self, epoch: int, participant: str) -> Decimal:
        """Shares of a redemption not yet struck."""
        raw = self.raw.pending_redemption_request(_epoch_number(epoch), to_address(participant))
        return self.share_token.from_units(raw)

    def claimable_redemption(self, epoch: int, participant: str) -> Decimal:
        """Shares of a struck, unclaimed redemption."""
        raw = self.raw.claimable_redemption_request(_epoch_number(epoch), to_address(participant))
        return self.share_token.from_units(raw)

    def preview_subscription(self, epoch: int, participant: str) -> SubscriptionFill:
        """What claiming a struck subscription settles (zeros before the strike)."""
        shares, cost, fee, refund = self.raw.preview_subscription_claim(_epoch_number(epoch), to_address(participant))
        return SubscriptionFill(
            self.share_token.from_units(shares), self._cash(cost), self._cash(fee), self._cash(refund)
        )

    def preview_redemption(self, epoch: int, participant: str) -> RedemptionPayment:
        """What claiming a struck redemption pays (zeros before the strike)."""
        proceeds, fee, paid = self.raw.preview_redemption_claim(_epoch_number(epoch), to_address(participant))
        return RedemptionPayment(self._cash(proceeds), self._cash(fee), self._cash(paid))


def _epoch_number(epoch: int) -> int:
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise SpecError(f"epoch {epoch!r} is not an epoch number", fix="epochs are numbered from 1")
    return epoch


_ERC20_ABI = [
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "account", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "allowance", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "transfer", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "value", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "spender", "type": "address"}, {"name": "value", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
]  # fmt: skip


class FundToken(SecurityToken[FundTokenFunctions]):
    """An ETF share class (``contracts/assets/fund/FundToken.sol``): a security token with every compliance feature
    of RWAToken, an optional management fee in shares, and its dealing in a :class:`FundAdministrator` (its
    treasury and issuer)."""

    surface_type = FundTokenFunctions
    artifact_name = FundTokenFunctions.artifact_name

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
        roles: TokenRoles = _EVERY_DUTY_TO_ADMIN,
        rules: ComplianceRules | None = None,
        admin_module: str | None = None,
        terms: FundTerms,
        fund_roles: FundRoles = FundRoles(),
    ) -> Self:
        """Deploy the share class and its administrator, in four steps: the token (with ``admin`` as a
        placeholder treasury), the ``FundAdministrator``, ``setTreasury(administrator)``, then the grants (the
        administrator's ISSUER_ROLE on the token; FUND_ADMIN, NAV_CONFIRMER and AP roles on the administrator).

        ``treasury`` must stay None: the fund's treasury is its administrator, where redemption shares are
        escrowed. Everything is validated before the first transaction (units against each token's decimals,
        participants verified in the registry)."""
        if treasury is not None:
            raise SpecError("a fund's treasury is its FundAdministrator", fix="leave treasury unset")
        terms = terms if isinstance(terms, FundTerms) else FundTerms.model_validate(terms)
        registry_wrapper = registry if isinstance(registry, InvestorRegistry) else InvestorRegistry.at(chain, registry)
        payment = to_address(terms.payment_token, what="payment_token")
        if str(chain.code_at(payment)) in ("0x", "0x0"):
            raise SpecError(f"payment_token {payment} has no contract code", fix="pass the stablecoin's address")
        payment_decimals = int(chain.w3.eth.contract(address=payment, abi=_ERC20_ABI).functions.decimals().call())
        initial_nav = to_base_units(terms.initial_nav, payment_decimals, what="initial_nav")
        if initial_nav > UINT128_MAX:
            raise SpecError("initial_nav is too large (at most 2**128 - 1 base units)")
        units: dict[str, int] = {}

        def validate() -> None:  # after the base has checked the decimals
            units["creation_unit"] = to_base_units(terms.creation_unit, decimals, what="creation_unit")
            if units["creation_unit"] > UINT128_MAX:
                raise SpecError("creation_unit is too large (at most 2**128 - 1 base units)")

        admins = [to_address(a, what="fund admin") for a in fund_roles.fund_admins] or [admin.address]
        confirmers = [to_address(a, what="NAV confirmer") for a in fund_roles.nav_confirmers]
        participants = [to_address(a, what="participant") for a in fund_roles.participants]
        for ap in participants:
            if not registry_wrapper.is_verified(ap):
                raise SpecError(f"participant {ap} is not verified in the registry", fix="register the AP first")
        fee_receiver = terms.management_fee_receiver or ZERO_ADDRESS
        token = cls._deploy_token(
            chain,
            admin,
            name=name,
            symbol=symbol,
            decimals=decimals,
            registry=registry_wrapper,
            treasury=None,
            roles=roles,
            rules=rules,
            admin_module=admin_module,
            asset_args=(terms.management_fee_bps, fee_receiver),
            validate=validate,
        )
        administrator = FundAdministrator.deploy_artifact(
            chain, admin, token.address, payment, admin.address, to_address(terms.cash_account),
            to_address(terms.dealing_fee_receiver), units["creation_unit"], terms.max_nav_age_seconds,
            terms.nav_move_bound_bps, terms.subscription_fee_bps, terms.redemption_fee_bps, initial_nav,
        )  # fmt: skip
        token.set_treasury(admin, administrator.address)
        token.grant_roles(admin, {"ISSUER_ROLE": [administrator.address]})
        administrator.grant_roles(
            admin, {"FUND_ADMIN_ROLE": admins, "NAV_CONFIRMER_ROLE": confirmers, "AP_ROLE": participants}
        )
        return token

    def administrator(self) -> FundAdministrator:
        """The fund's dealing contract (its treasury)."""
        return FundAdministrator(self.chain, self.treasury())

    # --- management fee ------------------------------------------------------------------------------

    def management_fee_bps(self) -> int:
        """The yearly management fee rate."""
        return self.raw.management_fee_bps()

    def management_fee_receiver(self) -> ChecksumAddress:
        """Who the management fee shares are minted to."""
        return to_address(self.raw.management_fee_receiver())

    def accrued_management_fee(self) -> Decimal:
        """The shares :meth:`accrue_management_fee` would mint now."""
        return self.from_units(self.raw.accrued_management_fee())

    def accrue_management_fee(self, signer: LocalAccount) -> TxReceipt:
        """Mint the accrued management fee to its receiver (anyone may send it)."""
        return self.raw.accrue_management_fee(signer)

    def set_management_fee_receiver(self, signer: LocalAccount, receiver: str) -> TxReceipt:
        """Change the management fee receiver (DEFAULT_ADMIN_ROLE)."""
        return self.raw.set_management_fee_receiver(signer, to_address(receiver, what="receiver"))
