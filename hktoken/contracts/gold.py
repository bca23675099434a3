"""Typed wrappers of tokenized gold (``contracts/assets/gold``): ``GoldToken`` (1 token = 1 fine troy ounce, 18
decimals, every mint within the gold reserve) and ``GoldCustodian`` (bar list, proof of reserve, attestations and
the physical redemption desk; the token's treasury, so redemption escrow works for every holder).

Amounts are ``Decimal`` fine troy ounces at the surface and exact base units (1e18 per ounce) on chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Self

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts._abi import GoldCustodianFunctions, GoldTokenFunctions
from hktoken.contracts.base import ContractWrapper
from hktoken.contracts.refusals import explain_units
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import SecurityToken, TokenRoles, _rule_amounts
from hktoken.errors import SpecError, TransactionReverted
from hktoken.models.common import chain_time, to_address
from hktoken.models.gold import GOLD_DECIMALS, Attestation, GoldBar, RedemptionStatus, text32, text_of32
from hktoken.models.rules import ComplianceRules
from hktoken.units import Amount, from_base_units, to_base_units

__all__ = ["GoldCustodian", "GoldToken", "Redemption"]

UINT128_MAX = 2**128 - 1
UINT32_MAX = 2**32 - 1
_DEFAULT_ROLES = TokenRoles()  # every duty to the admin


@dataclass(frozen=True)
class Redemption:
    """A redemption request as the custodian records it."""

    id: int
    holder: ChecksumAddress
    amount: Decimal
    status: RedemptionStatus
    requested_at: datetime
    reason: bytes


def _units(amount: Amount, what: str) -> int:
    return to_base_units(amount, GOLD_DECIMALS, what=what)


def _oz(value: int) -> Decimal:
    return from_base_units(value, GOLD_DECIMALS)


def _serial32(serial: str) -> bytes:
    try:
        return text32(serial, "serial")
    except ValueError as exc:
        raise SpecError(str(exc), fix="use the bar's serial number as the bar list records it") from exc


def _age_seconds(max_age: timedelta | int | None) -> int:
    if max_age is None:
        return 0
    if isinstance(max_age, bool) or not isinstance(max_age, timedelta | int):
        raise SpecError(
            f"max_attestation_age {max_age!r} is not a timedelta or seconds", fix="pass e.g. timedelta(days=35)"
        )
    seconds = max_age if isinstance(max_age, int) else max_age.total_seconds()
    if seconds != int(seconds) or not 0 <= seconds <= UINT32_MAX:
        raise SpecError(
            f"max_attestation_age {max_age} must be whole seconds from 0 to {UINT32_MAX}",
            fix="pass e.g. timedelta(days=35), or None for no rule",
        )
    return int(seconds)


def _create_address(sender: str, nonce: int) -> ChecksumAddress:
    """The address a CREATE from ``sender`` at ``nonce`` deploys to: keccak(rlp([sender, nonce]))[12:]."""
    if nonce == 0:
        encoded_nonce = b"\x80"
    elif nonce < 0x80:
        encoded_nonce = bytes([nonce])
    else:
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        encoded_nonce = bytes([0x80 + len(raw)]) + raw
    payload = b"\x94" + bytes.fromhex(sender[2:]) + encoded_nonce
    return to_address("0x" + keccak(bytes([0xC0 + len(payload)]) + payload)[12:].hex())


class GoldCustodian(ContractWrapper[GoldCustodianFunctions]):
    """The vault's side of a gold token: the CUSTODIAN_ROLE lists and releases bars and runs the redemption desk,
    the AUDITOR_ROLE publishes attestations. Every reserve figure is in fine troy ounces."""

    surface_type = GoldCustodianFunctions
    artifact_name = GoldCustodianFunctions.artifact_name

    def _explain_refusal(self, refusal: TransactionReverted) -> None:
        explain_units(refusal, GOLD_DECIMALS)

    @cached_property
    def token_address(self) -> ChecksumAddress:
        """The token this custodian backs."""
        return to_address(self.raw.token())

    # --- bar list (CUSTODIAN_ROLE) -------------------------------------------------------------------

    def add_bars(self, signer: LocalAccount, bars: Sequence[GoldBar | Mapping[str, Any]]) -> TxReceipt:
        """List bars entering custody, all or nothing (one transaction; a vault intake of hundreds of bars fits).

        Each bar is validated (:class:`GoldBar`) and no serial may appear twice in the batch before anything is sent;
        the contract refuses a serial already in custody (``BarAlreadyListed``)."""
        if not bars:
            raise SpecError("add_bars needs at least one bar")
        checked = [bar if isinstance(bar, GoldBar) else GoldBar.model_validate(bar) for bar in bars]
        seen: set[str] = set()
        for bar in checked:
            if bar.serial in seen:
                raise SpecError(f"bars: serial {bar.serial!r} appears twice", fix="list each bar once")
            seen.add(bar.serial)
        return self.raw.add_bars(signer, [bar.as_input() for bar in checked])

    def remove_bars(self, signer: LocalAccount, serials: Sequence[str]) -> TxReceipt:
        """Take bars out of custody, all or nothing; refused (``ReserveShortfall``) when the reserve left would be
        below the token supply, and (``BarNotListed``) for a serial not in custody."""
        return self.raw.remove_bars(signer, self._serials(serials))

    def relocate_bars(self, signer: LocalAccount, serials: Sequence[str], vault: str) -> TxReceipt:
        """Record that bars moved to another vault (CUSTODIAN_ROLE): they stay in custody, the reserve is unchanged."""
        try:
            vault32 = text32(vault, "vault")
        except ValueError as exc:
            raise SpecError(str(exc), fix="name the vault in at most 32 bytes of text") from exc
        return self.raw.relocate_bars(signer, self._serials(serials), vault32)

    def bar(self, serial: str) -> GoldBar | None:
        """The bar in custody with this serial, or None."""
        refiner, vault, gross_milli, fineness, _listed_at = self.raw.bar(_serial32(serial))
        if gross_milli == 0:
            return None
        return GoldBar.from_chain(serial, refiner, vault, gross_milli, fineness)

    def bars(self) -> list[GoldBar]:
        """Every bar now in custody, in listing order (rebuilt from the custodian's BarAdded / BarRemoved /
        BarRelocated events)."""
        start = self.raw.deployment_block()
        events = self.contract.events
        logs = [
            *events.BarAdded().get_logs(from_block=start),
            *events.BarRemoved().get_logs(from_block=start),
            *events.BarRelocated().get_logs(from_block=start),
        ]
        logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
        listed: dict[bytes, GoldBar] = {}
        for log in logs:
            args = log["args"]
            serial = bytes(args["serial"])
            if log["event"] == "BarRemoved":
                listed.pop(serial, None)
            elif log["event"] == "BarRelocated":
                listed[serial] = listed[serial].model_copy(update={"vault": text_of32(args["toVault"])})
            else:
                listed[serial] = GoldBar.from_chain(
                    text_of32(serial), args["refiner"], args["vault"], args["grossMilli"], args["fineness"]
                )
        return list(listed.values())

    def bar_count(self) -> int:
        """Bars in custody."""
        return self.raw.bar_count()

    # --- proof of reserve ----------------------------------------------------------------------------

    def reserve_oz(self) -> Decimal:
        """The reserve: fine troy ounces of the bars in custody."""
        return _oz(self.raw.reserve())

    def reserve_ratio(self) -> Decimal | None:
        """Reserve over supply (1 = fully backed; the contract's 18-decimal fixed point, exact), or None when
        nothing is minted."""
        raw = self.raw.reserve_ratio()
        return None if raw == 2**256 - 1 else from_base_units(raw, 18)

    def set_max_attestation_age(self, signer: LocalAccount, max_age: timedelta | int | None) -> TxReceipt:
        """Stop mints while the latest attestation's as-of time is older than ``max_age`` (DEFAULT_ADMIN_ROLE;
        restriction code 73); ``None`` or 0 turns the rule off."""
        return self.raw.set_max_attestation_age(signer, _age_seconds(max_age))

    def max_attestation_age(self) -> timedelta | None:
        """The attestation age beyond which mints stop, or None when there is no such rule."""
        seconds = self.raw.max_attestation_age()
        return timedelta(seconds=seconds) if seconds else None

    def mint_headroom_oz(self) -> Decimal:
        """What the token may still mint: reserve minus supply, in ounces."""
        return _oz(self.raw.mint_headroom())

    # --- attestations (AUDITOR_ROLE) -----------------------------------------------------------------

    def attest(self, signer: LocalAccount, attestation: Attestation | Mapping[str, Any]) -> TxReceipt:
        """Publish an attestation; its ``as_of`` must not be after the latest block nor before the previous
        attestation's (checked here before sending, and by the contract)."""
        checked = attestation if isinstance(attestation, Attestation) else Attestation.model_validate(attestation)
        as_of = checked.as_of_timestamp
        now = self.chain.timestamp()
        if as_of > now:
            raise SpecError(
                f"attestation as_of {checked.as_of.isoformat()} is in the future (latest block {chain_time(now)})",
                fix="attest a report as of a past time",
            )
        latest = self.latest_attestation()
        if latest is not None and as_of < int(latest.as_of.timestamp()):
            raise SpecError(
                f"attestation as_of {checked.as_of.isoformat()} is before the previous one's "
                f"({latest.as_of.isoformat()})",
                fix="attestations are published in as-of order",
            )
        return self.raw.attest(signer, checked.report_hash, checked.uri, checked.ounces_units, as_of)

    def attestations(self) -> list[Attestation]:
        """Every attestation, oldest first."""
        return [self._attestation(self.raw.attestation(i)) for i in range(self.raw.attestation_count())]

    def attestation(self, index: int) -> Attestation:
        """One attestation by index (0 = first)."""
        count = self.raw.attestation_count()
        if not 0 <= index < count:
            raise SpecError(f"attestation index {index} is out of range ({count} published)")
        return self._attestation(self.raw.attestation(index))

    def latest_attestation(self) -> Attestation | None:
        """The latest attestation, or None when none was published."""
        if self.raw.attestation_count() == 0:
            return None
        return self._attestation(self.raw.latest_attestation())

    @staticmethod
    def _attestation(raw: tuple[Any, ...]) -> Attestation:
        report_hash, ounces, as_of, published_at, uri = raw
        return Attestation(
            report_hash=report_hash,
            uri=uri,
            ounces=_oz(ounces),
            as_of=chain_time(as_of),
            published_at=chain_time(published_at),
        )

    # --- redemption desk -----------------------------------------------------------------------------

    def request_redemption(self, holder: LocalAccount, amount: Amount) -> TxReceipt:
        """Ask for physical gold: ``amount`` tokens go into escrow here, in one transaction (the holder signs an
        EIP-2612 permit for the custodian, sent with the request). Checked before sending: a positive amount within
        the token's precision, at least the desk's minimum, and within the holder's balance."""
        units = _units(amount, "amount")
        minimum = self.raw.minimum_redemption()
        if units == 0 or units < minimum:
            raise SpecError(
                f"amount {amount} is below the desk's minimum redemption ({_oz(minimum) if minimum else 'above 0'} oz)",
                fix="request at least the minimum",
            )
        token = GoldToken(self.chain, self.token_address)
        balance = token.raw_balance_of(holder.address)
        if units > balance:
            raise SpecError(
                f"amount {amount} is more than {holder.address} holds ({_oz(balance)} oz)",
                fix="request at most the holder's balance",
            )
        permit = token.sign_permit(holder, self.address, _oz(units))
        return self.raw.request_redemption_with_permit(
            holder, units, permit["deadline"], permit["v"], permit["r"], permit["s"]
        )

    def redemption_id(self, receipt: TxReceipt) -> int:
        """The id of the request a :meth:`request_redemption` receipt made."""
        events = self.events(receipt, "RedemptionRequested")
        if len(events) != 1:
            raise SpecError(
                "the receipt holds no redemption request of this custodian", fix="pass the request's receipt"
            )
        return int(events[0]["args"]["id"])

    def fulfil(self, signer: LocalAccount, request_id: int, serials: Sequence[str]) -> TxReceipt:
        """Release the named bars for a pending request and burn its escrowed tokens (CUSTODIAN_ROLE). The bars'
        fine weight must cover the request (``InsufficientBarsReleased``) and the reserve left must cover the
        supply left (``ReserveShortfall``)."""
        return self.raw.fulfil(signer, self._request_id(request_id), self._serials(serials))

    def reject(self, signer: LocalAccount, request_id: int, reason: str | bytes) -> TxReceipt:
        """Refuse a pending request (CUSTODIAN_ROLE): the tokens go back to the holder, or wait for
        :meth:`reclaim` when the token cannot deliver them now. ``reason`` is a short code (at most 32 bytes of
        text) or a 32-byte hash."""
        if isinstance(reason, bytes):
            if len(reason) != 32:
                raise SpecError(f"reason must be 32 bytes, got {len(reason)}", fix="pass a short text or a hash")
            code = reason
        else:
            try:
                code = text32(reason, "reason")
            except ValueError as exc:
                raise SpecError(str(exc), fix="use a short reason code such as 'KYC-REVIEW'") from exc
        return self.raw.reject(signer, self._request_id(request_id), code)

    def reclaim(self, signer: LocalAccount, request_id: int) -> TxReceipt:
        """Send a rejected request's escrowed tokens back to its holder (anyone may send it)."""
        return self.raw.reclaim(signer, self._request_id(request_id))

    def redemption(self, request_id: int) -> Redemption:
        """A request by id (status NONE when there is none)."""
        holder, requested_at, status, amount, reason = self.raw.redemption(self._request_id(request_id))
        return Redemption(
            id=request_id,
            holder=to_address(holder),
            amount=_oz(amount),
            status=RedemptionStatus(status),
            requested_at=chain_time(requested_at),
            reason=bytes(reason),
        )

    def redemption_count(self) -> int:
        """Requests made so far (ids run from 1)."""
        return self.raw.redemption_count()

    def escrowed_oz(self) -> Decimal:
        """Tokens in escrow for open requests (pending, or rejected and waiting to be reclaimed)."""
        return _oz(self.raw.escrowed())

    def minimum_redemption_oz(self) -> Decimal:
        """The smallest request the desk accepts (0: any positive amount)."""
        return _oz(self.raw.minimum_redemption())

    def set_minimum_redemption(self, signer: LocalAccount, minimum: Amount) -> TxReceipt:
        """Set the smallest request accepted (DEFAULT_ADMIN_ROLE; e.g. 350 for whole Good Delivery bars)."""
        units = _units(minimum, "minimum")
        if units > UINT128_MAX:
            raise SpecError("minimum is too large (at most 2**128 - 1 base units)")
        return self.raw.set_minimum_redemption(signer, units)

    @staticmethod
    def _serials(serials: Sequence[str]) -> list[bytes]:
        if isinstance(serials, str) or not serials:
            raise SpecError("serials must be a non-empty list of bar serials")
        encoded = [_serial32(s) for s in serials]
        if len(set(encoded)) != len(encoded):
            raise SpecError("serials: a bar is named twice", fix="name each bar once")
        return encoded

    @staticmethod
    def _request_id(request_id: int) -> int:
        if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 1:
            raise SpecError(f"request id {request_id!r} is invalid", fix="pass a RedemptionRequested id")
        return request_id


class GoldToken(SecurityToken[GoldTokenFunctions]):
    """Tokenized gold (``contracts/assets/gold/GoldToken.sol``): RWAToken's compliance token, 1 token = 1 fine troy
    ounce (18 decimals), whose supply never exceeds the fine weight of the bars its custodian lists."""

    surface_type = GoldTokenFunctions
    artifact_name = GoldTokenFunctions.artifact_name

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        admin: LocalAccount,
        *,
        name: str,
        symbol: str,
        decimals: int = GOLD_DECIMALS,
        registry: InvestorRegistry | str,
        treasury: str | None = None,
        roles: TokenRoles = _DEFAULT_ROLES,
        rules: ComplianceRules | None = None,
        admin_module: str | None = None,
        custodians: Sequence[str] = (),
        auditors: Sequence[str] = (),
        minimum_redemption: Amount | None = None,
        max_attestation_age: timedelta | int | None = None,
    ) -> Self:
        """Deploy the custodian and the token bound to it, grant the duties (to ``admin`` unless named) and set the
        rules. The custodian is deployed first, naming the token's address (its next CREATE address), and becomes
        the token's treasury (``treasury=None``, the sound default: a holder can always exit into redemption
        escrow); a ``treasury`` given here is used instead, and the desk then refuses requests until
        ``set_treasury(custodian)``. The custodian gets ISSUER_ROLE on the token, to burn what it redeems.
        ``max_attestation_age`` stops mints while the latest attestation is older (none is published yet, so the
        token cannot mint until the auditor attests). Everything is validated before the first transaction."""
        if decimals != GOLD_DECIMALS:
            raise SpecError(f"decimals {decimals} is not 18", fix="gold counts fine troy ounces to 18 decimals")
        if rules is not None:
            _rule_amounts(rules, GOLD_DECIMALS)
        treasury_address = to_address(treasury, what="treasury") if treasury else None
        for account in (*roles.issuers, *roles.agents, *roles.pausers, *roles.compliance_admins):
            to_address(account, what="role holder")
        custodian_roles = {
            "CUSTODIAN_ROLE": [to_address(a, what="custodian") for a in custodians] or [admin.address],
            "AUDITOR_ROLE": [to_address(a, what="auditor") for a in auditors] or [admin.address],
        }
        minimum = _units(minimum_redemption, "minimum_redemption") if minimum_redemption is not None else 0
        if minimum > UINT128_MAX:
            raise SpecError("minimum_redemption is too large (at most 2**128 - 1 base units)")
        max_age = _age_seconds(max_attestation_age)
        registry_address = (
            registry if isinstance(registry, InvestorRegistry) else InvestorRegistry.at(chain, registry)
        ).address
        module = cls._checked_admin_module(chain, admin_module) if admin_module else None
        module = module or cls.deploy_admin_module(chain, admin)

        nonce = chain.w3.eth.get_transaction_count(admin.address, "pending")
        predicted_token = _create_address(admin.address, nonce + 1)
        custodian = GoldCustodian.deploy_artifact(chain, admin, admin.address, predicted_token)
        token = cls._deploy_token(
            chain,
            admin,
            name=name,
            symbol=symbol,
            decimals=GOLD_DECIMALS,
            registry=registry_address,
            treasury=treasury_address or custodian.address,
            roles=roles,
            rules=rules,
            admin_module=module,
            asset_args=[custodian.address],
        )
        token.grant_role(admin, "ISSUER_ROLE", custodian.address)
        custodian.grant_roles(admin, custodian_roles)
        if minimum:
            custodian.raw.set_minimum_redemption(admin, minimum)
        if max_age:
            custodian.raw.set_max_attestation_age(admin, max_age)
        return token

    @cached_property
    def custodian(self) -> GoldCustodian:
        """The custodian whose bars back this token."""
        return GoldCustodian(self.chain, self.raw.custodian())

    def reserve_oz(self) -> Decimal:
        """The gold reserve (fine troy ounces in custody)."""
        return self.custodian.reserve_oz()

    def reserve_ratio(self) -> Decimal | None:
        """Reserve over supply (1 = fully backed), or None when nothing is minted."""
        return self.custodian.reserve_ratio()
