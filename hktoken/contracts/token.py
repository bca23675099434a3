"""Typed wrapper of RWAToken: the permissioned security token (ERC-3643 feature set, ERC-7943, ERC-1404).

Amounts are ``Decimal`` in token units here and exact base-unit ints on chain (see :mod:`hktoken.units`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Self, TypeVar

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts._abi import RWATokenFunctions
from hktoken.contracts.base import ERC20Wrapper, deploy_contract
from hktoken.contracts.registry import InvestorRegistry
from hktoken.errors import SpecError
from hktoken.models.common import chain_time, to_address
from hktoken.models.investor import InvestorClass, investor_id_bytes
from hktoken.models.restrictions import ASSET_CODES_START, Restriction, message_for
from hktoken.models.rules import ComplianceRules
from hktoken.units import Amount, to_base_units

UINT128_MAX = 2**128 - 1
UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class TransferCheck:
    """The token's verdict on a prospective transfer, with no transaction sent."""

    code: int
    reason: str

    @property
    def allowed(self) -> bool:
        """True when nothing restricts the transfer."""
        return self.code == Restriction.SUCCESS


@dataclass(frozen=True)
class TokenRoles:
    """Who gets which duty at deployment (each defaults to the deploying admin)."""

    issuers: Sequence[str] = ()
    agents: Sequence[str] = ()
    pausers: Sequence[str] = ()
    compliance_admins: Sequence[str] = ()


@dataclass(frozen=True)
class Document:
    """An entry of the token's document registry (offering circular, prospectus…)."""

    name: str
    uri: str
    content_hash: bytes
    last_modified: datetime


def _name32(name: str) -> bytes:
    encoded = name.encode()
    if not encoded or len(encoded) > 32:
        raise SpecError(f"document name {name!r} must be 1 to 32 bytes", fix="use a short name like 'prospectus'")
    return encoded.ljust(32, b"\0")


def _pairs(items: Sequence[tuple[str, Amount]], what: str) -> tuple[list[ChecksumAddress], list[Amount]]:
    if not items:
        raise SpecError(f"{what} needs at least one (address, amount) pair")
    return [to_address(a) for a, _ in items], [amount for _, amount in items]


def _rule_amounts(rules: ComplianceRules, decimals: int) -> dict[str, int]:
    """The rules' amounts in base units; SpecError when one has more precision than the token or does not fit
    its on-chain field (minimum transfer and denomination are uint128)."""
    amounts = {
        "max_balance": to_base_units(rules.max_balance_per_investor or 0, decimals, what="max_balance_per_investor"),
        "minimum": to_base_units(rules.minimum_transfer or 0, decimals, what="minimum_transfer"),
        "denomination": to_base_units(rules.denomination or 0, decimals, what="denomination"),
        "supply_cap": to_base_units(rules.supply_cap or 0, decimals, what="supply_cap"),
    }
    for key, what in (("minimum", "minimum_transfer"), ("denomination", "denomination")):
        if amounts[key] > UINT128_MAX:
            raise SpecError(f"{what} is too large for the token (at most 2**128 - 1 base units)")
    return amounts


TokenSurfaceT = TypeVar("TokenSurfaceT", bound=RWATokenFunctions)


class SecurityToken(ERC20Wrapper[TokenSurfaceT]):
    """What every security token on ``RWATokenBase`` offers (RWAToken and each asset token): a KYC-gated ERC-20
    whose every balance change passes the registry and the token's rules. An asset token's wrapper extends it with
    its generated surface (which extends RWAToken's) and its lifecycle."""

    @classmethod
    def _deploy_token(
        cls,
        chain: Chain,
        admin: LocalAccount,
        *,
        name: str,
        symbol: str,
        decimals: int,
        registry: InvestorRegistry | str,
        treasury: str | None,
        roles: TokenRoles,
        rules: ComplianceRules | None,
        admin_module: str | None,
        asset_args: Sequence[Any] = (),
        validate: Callable[[], None] | None = None,
    ) -> Self:
        """The deployment every security token shares: validate everything (``validate`` adds the asset's own
        checks), deploy with the base's seven constructor arguments followed by ``asset_args``, grant the duties
        and set the rules."""
        if not 0 <= decimals <= 36:
            raise SpecError(f"decimals {decimals} is out of range", fix="use 0 to 36 (18 is the ERC-20 norm)")
        # Everything is validated before the first transaction: a bad input deploys nothing.
        if rules is not None:
            _rule_amounts(rules, decimals)
        if validate is not None:
            validate()
        # A registry given by address must be one (a token's address here would refuse every transfer later).
        registry_address = (
            registry if isinstance(registry, InvestorRegistry) else InvestorRegistry.at(chain, registry)
        ).address
        treasury_address = to_address(treasury, what="treasury") if treasury else admin.address
        grants = {
            "ISSUER_ROLE": [to_address(a, what="issuer") for a in roles.issuers] or [admin.address],
            "AGENT_ROLE": [to_address(a, what="agent") for a in roles.agents] or [admin.address],
            "PAUSER_ROLE": [to_address(a, what="pauser") for a in roles.pausers] or [admin.address],
            "COMPLIANCE_ROLE": [to_address(a, what="compliance admin") for a in roles.compliance_admins]
            or [admin.address],
        }
        module = cls._checked_admin_module(chain, admin_module) if admin_module else None
        module = module or cls.deploy_admin_module(chain, admin)
        token = cls.deploy_artifact(
            chain, admin, name, symbol, decimals, registry_address, admin.address, treasury_address, module, *asset_args
        )
        token.grant_roles(admin, grants)
        if rules is not None:
            token._apply_rules_as_admin(admin, rules, named_compliance_admins=bool(roles.compliance_admins))
        return token

    @staticmethod
    def deploy_admin_module(chain: Chain, signer: LocalAccount) -> ChecksumAddress:
        """Deploy the ``RWATokenAdmin`` module that any number of tokens can share."""
        return to_address(deploy_contract(chain, signer, "RWATokenAdmin").address)

    @staticmethod
    def _checked_admin_module(chain: Chain, address: str) -> ChecksumAddress:
        """The module a token will run its administration in (with full write access to its storage): it must be
        hktoken's ``RWATokenAdmin``, whose runtime code is the shipped one but for its one immutable (its address)."""
        module = to_address(address, what="admin module")
        shipped = chain.artifacts.get("RWATokenAdmin").deployed_bytecode.lower()
        code = str(chain.code_at(module)).lower()
        own = module[2:].lower().rjust(64, "0")
        if len(code) != len(shipped) or code.replace(own, "0" * 64) != shipped:
            raise SpecError(
                f"{module} is not an RWATokenAdmin module on chain {chain.chain_id}",
                fix="pass the address RWAToken.deploy_admin_module returned, or omit admin_module to deploy one",
            )
        return module

    def _apply_rules_as_admin(
        self, admin: LocalAccount, rules: ComplianceRules, *, named_compliance_admins: bool
    ) -> None:
        """Set the initial rules from ``admin`` even when the compliance duty belongs to someone else: the admin
        holds COMPLIANCE_ROLE only for as long as it takes (both grant and revoke are on the audit trail)."""
        borrowed = named_compliance_admins and not self.has_role("COMPLIANCE_ROLE", admin.address)
        if borrowed:
            self.grant_role(admin, "COMPLIANCE_ROLE", admin.address)
        try:
            self.apply_rules(admin, rules)
        finally:
            if borrowed:
                self.revoke_role(admin, "COMPLIANCE_ROLE", admin.address)

    # --- balances -----------------------------------------------------------------------------------

    def admin_module(self) -> ChecksumAddress:
        """The shared ``RWATokenAdmin`` module this token runs its cold administration in."""
        return to_address(self.raw.admin_module())

    def holder_count(self) -> int:
        """Investors (not wallets) holding a non-zero balance."""
        return self.raw.holder_count()

    def investor_balance(self, investor_id: str) -> Decimal:
        """An investor's balance summed over all its wallets."""
        return self.from_units(self.raw.investor_balance(investor_id_bytes(investor_id)))

    # --- holder operations --------------------------------------------------------------------------

    def batch_transfer(self, signer: LocalAccount, transfers: Sequence[tuple[str, Amount]]) -> TxReceipt:
        """Several transfers from the signer, all or nothing (ERC-3643 batchTransfer)."""
        recipients, amounts = _pairs(transfers, "batch_transfer")
        return self.raw.batch_transfer(signer, recipients, [self.to_units(a) for a in amounts])

    # --- compliance views (never send anything) ------------------------------------------------------

    def check_transfer(self, sender: str, recipient: str, amount: Amount) -> TransferCheck:
        """The ERC-1404 restriction code and reason for a prospective transfer, without sending it."""
        code = self.raw.detect_transfer_restriction(
            to_address(sender, what="sender"), to_address(recipient, what="recipient"), self.to_units(amount)
        )
        reason = self.message_for_restriction(code) if code >= ASSET_CODES_START else message_for(code)
        return TransferCheck(code, reason)

    def message_for_restriction(self, code: int) -> str:
        """The contract's own message for a restriction code."""
        return self.raw.message_for_transfer_restriction(code)

    def can_send(self, account: str) -> bool:
        """ERC-7943 canSend."""
        return self.raw.can_send(to_address(account))

    def can_receive(self, account: str) -> bool:
        """ERC-7943 canReceive."""
        return self.raw.can_receive(to_address(account))

    def can_transfer(self, sender: str, recipient: str, amount: Amount) -> bool:
        """ERC-7943 canTransfer."""
        return self.raw.can_transfer(to_address(sender), to_address(recipient), self.to_units(amount))

    def supports_interface(self, interface_id: bytes) -> bool:
        """ERC-165."""
        return self.raw.supports_interface(interface_id)

    # --- issuer -------------------------------------------------------------------------------------

    def mint(self, signer: LocalAccount, to: str, amount: Amount) -> TxReceipt:
        """Issue tokens to a verified investor (ISSUER_ROLE)."""
        return self.raw.mint(signer, to_address(to, what="recipient"), self.to_units(amount))

    def batch_mint(self, signer: LocalAccount, mints: Sequence[tuple[str, Amount]]) -> TxReceipt:
        """Issue to several investors, all or nothing (ISSUER_ROLE)."""
        recipients, amounts = _pairs(mints, "batch_mint")
        return self.raw.batch_mint(signer, recipients, [self.to_units(a) for a in amounts])

    def burn(self, signer: LocalAccount, account: str, amount: Amount) -> TxReceipt:
        """Redeem/cancel tokens from an account (ISSUER_ROLE); may dip into frozen tokens."""
        return self.raw.burn(signer, to_address(account), self.to_units(amount))

    def batch_burn(self, signer: LocalAccount, burns: Sequence[tuple[str, Amount]]) -> TxReceipt:
        """Burn from several accounts, all or nothing (ISSUER_ROLE)."""
        accounts, amounts = _pairs(burns, "batch_burn")
        return self.raw.batch_burn(signer, accounts, [self.to_units(a) for a in amounts])

    def set_mint_rate_limit(
        self, signer: LocalAccount, issuer: str, amount_per_period: Amount, period_seconds: int
    ) -> TxReceipt:
        """Cap what ``issuer`` may mint per period (0 removes the cap; DEFAULT_ADMIN_ROLE)."""
        amount = self.to_units(amount_per_period, what="amount_per_period")
        if amount > UINT128_MAX:
            raise SpecError("amount_per_period is too large (at most 2**128 - 1 base units)")
        if not 0 <= period_seconds <= UINT64_MAX or (amount and period_seconds == 0):
            raise SpecError(f"period_seconds {period_seconds} is invalid", fix="pass a positive number of seconds")
        return self.raw.set_mint_rate_limit(signer, to_address(issuer), amount, period_seconds)

    def mint_allowance(self, issuer: str) -> Decimal | None:
        """What ``issuer`` may still mint now, or None when it has no rate limit."""
        raw = self.raw.mint_allowance(to_address(issuer))
        return None if raw == 2**256 - 1 else self.from_units(raw)

    # --- agent --------------------------------------------------------------------------------------

    def set_address_frozen(self, signer: LocalAccount, account: str, frozen: bool) -> TxReceipt:
        """Freeze or unfreeze a whole address (AGENT_ROLE)."""
        return self.raw.set_address_frozen(signer, to_address(account), frozen)

    def is_frozen(self, account: str) -> bool:
        """Whether the whole address is frozen."""
        return self.raw.is_frozen(to_address(account))

    def freeze_partial(self, signer: LocalAccount, account: str, amount: Amount) -> TxReceipt:
        """Freeze part of a balance (adds to what is frozen; AGENT_ROLE)."""
        return self.raw.freeze_partial_tokens(signer, to_address(account), self.to_units(amount))

    def unfreeze_partial(self, signer: LocalAccount, account: str, amount: Amount) -> TxReceipt:
        """Release part of the frozen amount (AGENT_ROLE)."""
        return self.raw.unfreeze_partial_tokens(signer, to_address(account), self.to_units(amount))

    def set_frozen_tokens(self, signer: LocalAccount, account: str, amount: Amount) -> TxReceipt:
        """ERC-7943: set the absolute frozen amount (may exceed the balance; AGENT_ROLE)."""
        return self.raw.set_frozen_tokens(signer, to_address(account), self.to_units(amount))

    def frozen_tokens(self, account: str) -> Decimal:
        """The frozen amount of an account."""
        return self.from_units(self.raw.get_frozen_tokens(to_address(account)))

    def forced_transfer(self, signer: LocalAccount, sender: str, recipient: str, amount: Amount) -> TxReceipt:
        """Move tokens on a court or regulator order (AGENT_ROLE): ignores freezes and lock-up."""
        return self.raw.forced_transfer(
            signer, to_address(sender, what="from"), to_address(recipient, what="to"), self.to_units(amount)
        )

    def recover(self, signer: LocalAccount, lost_wallet: str, new_wallet: str, investor_id: str) -> TxReceipt:
        """Move a lost wallet's balance, frozen amount and freeze flag to the investor's new wallet (AGENT_ROLE)."""
        return self.raw.recovery_address(
            signer, to_address(lost_wallet), to_address(new_wallet), investor_id_bytes(investor_id)
        )

    # --- compliance admin ---------------------------------------------------------------------------

    def apply_rules(self, signer: LocalAccount, rules: ComplianceRules | dict[str, Any]) -> list[TxReceipt]:
        """Make the token enforce exactly ``rules`` (COMPLIANCE_ROLE); only changed settings are sent."""
        wanted = rules if isinstance(rules, ComplianceRules) else ComplianceRules.model_validate(rules)
        current = self.rules()
        amounts = _rule_amounts(wanted, self.decimals)  # validated before the first transaction goes out
        supply = self.raw.total_supply()
        if amounts["supply_cap"] and amounts["supply_cap"] < supply:
            raise SpecError(
                f"supply_cap {wanted.supply_cap} is below the current supply {self.from_units(supply)}",
                fix="raise the cap, or burn first",
            )
        raw, receipts = self.raw, []
        # Additions before removals: an allow-list that emptied for a moment would admit every country.
        for countries, set_countries, listed in (
            (wanted.allowed_countries - current.allowed_countries, raw.set_allowed_countries, True),
            (wanted.blocked_countries - current.blocked_countries, raw.set_blocked_countries, True),
            (current.allowed_countries - wanted.allowed_countries, raw.set_allowed_countries, False),
            (current.blocked_countries - wanted.blocked_countries, raw.set_blocked_countries, False),
        ):
            if countries:
                receipts.append(set_countries(signer, sorted(countries), listed))
        if wanted.required_class_mask != current.required_class_mask:
            receipts.append(raw.set_required_investor_classes(signer, wanted.required_class_mask))
        if wanted.max_holders != current.max_holders:
            receipts.append(raw.set_max_holders(signer, wanted.max_holders or 0))
        if wanted.max_balance_per_investor != current.max_balance_per_investor:
            receipts.append(raw.set_max_balance_per_investor(signer, amounts["max_balance"]))
        if wanted.lockup_until != current.lockup_until:
            lockup = int(wanted.lockup_until.timestamp()) if wanted.lockup_until else 0
            receipts.append(raw.set_lockup_until(signer, lockup))
        if wanted.minimum_transfer != current.minimum_transfer:
            receipts.append(raw.set_minimum_transfer(signer, amounts["minimum"]))
        if wanted.denomination != current.denomination:
            receipts.append(raw.set_denomination(signer, amounts["denomination"]))
        if wanted.supply_cap != current.supply_cap:
            receipts.append(raw.set_supply_cap(signer, amounts["supply_cap"]))
        return receipts

    def rules(self) -> ComplianceRules:
        """The rules the token enforces now, read back from chain."""
        raw = self.raw.rules()
        allowed = frozenset(self.raw.allowed_countries())
        blocked = frozenset(self.raw.blocked_countries())
        # Rules(lockupUntil, requiredInvestorClasses, ruleFlags, maxHolders, holderCount, allowedCountryCount,
        #       blockedCountryCount, maxBalancePerInvestor, minimumTransfer, denomination, supplyCap)
        lockup, mask, _flags, max_holders, _holders, _allowed_n, _blocked_n, max_balance, minimum, denomination, cap = (
            raw
        )

        def amount(value: int) -> Decimal | None:
            return self.from_units(value) if value else None

        return ComplianceRules(
            allowed_countries=allowed,
            blocked_countries=blocked,
            required_classes=frozenset(c for c in InvestorClass if mask & (1 << int(c))),
            max_holders=max_holders or None,
            max_balance_per_investor=amount(max_balance),
            lockup_until=chain_time(lockup) if lockup else None,
            minimum_transfer=amount(minimum),
            denomination=amount(denomination),
            supply_cap=amount(cap),
        )

    # --- admin: treasury and documents --------------------------------------------------------------

    def treasury(self) -> ChecksumAddress:
        """The issuer's treasury wallet (exempt from KYC; holders may always exit to it)."""
        return to_address(self.raw.treasury())

    def set_treasury(self, signer: LocalAccount, treasury: str) -> TxReceipt:
        """Change the treasury wallet (DEFAULT_ADMIN_ROLE)."""
        return self.raw.set_treasury(signer, to_address(treasury, what="treasury"))

    def set_document(self, signer: LocalAccount, name: str, uri: str, content_hash: bytes) -> TxReceipt:
        """Record a document (name -> uri + content hash), e.g. the offering circular."""
        if len(content_hash) != 32:
            raise SpecError("content_hash must be 32 bytes", fix="pass e.g. hashlib.sha256(document).digest()")
        return self.raw.set_document(signer, _name32(name), uri, content_hash)

    def remove_document(self, signer: LocalAccount, name: str) -> TxReceipt:
        """Remove a document entry."""
        return self.raw.remove_document(signer, _name32(name))

    def document(self, name: str) -> Document:
        """One document entry."""
        uri, content_hash, modified = self.raw.get_document(_name32(name))
        return Document(name, uri, content_hash, chain_time(modified))

    def documents(self) -> list[str]:
        """Names of all recorded documents."""
        return [n.rstrip(b"\0").decode() for n in self.raw.get_all_documents()]


class RWAToken(SecurityToken[RWATokenFunctions]):
    """The security token with no asset lifecycle (``contracts/token/RWAToken.sol``)."""

    surface_type = RWATokenFunctions
    artifact_name = RWATokenFunctions.artifact_name

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
        roles: TokenRoles = TokenRoles(),
        rules: ComplianceRules | None = None,
        admin_module: str | None = None,
    ) -> Self:
        """Deploy a token, grant its duties (to ``admin`` unless ``roles`` names others) and set its rules.

        The treasury (default: ``admin``) is the issuer's wallet: exempt from KYC, and the one place a holder
        who lost eligibility can always send its tokens back to. ``admin_module`` is the shared
        ``RWATokenAdmin`` module that runs the token's cold administration; one is deployed when none is given
        (deploy it once with :meth:`deploy_admin_module` and share it between tokens).
        """
        return cls._deploy_token(
            chain,
            admin,
            name=name,
            symbol=symbol,
            decimals=decimals,
            registry=registry,
            treasury=treasury,
            roles=roles,
            rules=rules,
            admin_module=admin_module,
        )
