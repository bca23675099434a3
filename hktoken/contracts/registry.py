"""Typed wrapper of InvestorRegistry: the KYC register shared by many tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Self

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts._abi import InvestorRegistryFunctions
from hktoken.contracts.base import ContractWrapper
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.models.investor import Investor, InvestorClass, InvestorProfile, investor_id_bytes, investor_id_text


def _investors(investors: Sequence[Investor | dict[str, object]]) -> list[Investor]:
    return [i if isinstance(i, Investor) else Investor.model_validate(i) for i in investors]  # SpecError if bad


def _future(chain: Chain, when: datetime, what: str) -> int:
    if when.tzinfo is None:
        raise SpecError(f"{what} {when.isoformat()} has no time zone", fix="pass an aware datetime, e.g. tzinfo=UTC")
    timestamp = int(when.timestamp())
    if timestamp <= chain.timestamp():
        raise SpecError(f"{what} {when.isoformat()} is not in the future", fix="renew with a later date")
    return timestamp


class InvestorRegistry(ContractWrapper[InvestorRegistryFunctions]):
    """Investors (id, country, class, KYC expiry, wallets) that tokens check on every transfer."""

    surface_type = InvestorRegistryFunctions
    artifact_name = InvestorRegistryFunctions.artifact_name
    MAX_WALLETS_PER_INVESTOR = 16

    @classmethod
    def deploy(cls, chain: Chain, admin: LocalAccount, *, registrars: Sequence[str] = ()) -> Self:
        """Deploy a registry administered by ``admin``; ``registrars`` (default: admin) may register."""
        granted = [to_address(r, what="registrar") for r in registrars] or [admin.address]  # before deploying
        registry = cls.deploy_artifact(chain, admin, admin.address)
        registry.grant_roles(admin, {"REGISTRAR_ROLE": granted})
        return registry

    # --- registrar operations (each validated before anything is sent) ------------------------------

    def register(self, signer: LocalAccount, investors: Sequence[Investor | dict[str, object]]) -> list[TxReceipt]:
        """Register investors with all their wallets: one batch transaction, plus one for extra wallets.

        Everything that could make the second transaction fail after the first was mined (a wallet listed
        twice, an id or wallet already on the register) is checked first, so nothing is sent half-way.
        """
        checked = _investors(investors)
        if not checked:
            return []
        self._check_new(checked)
        receipts = [
            self.raw.batch_register_investors(
                signer,
                [i.id_bytes for i in checked],
                [i.wallets[0] for i in checked],
                [i.country for i in checked],
                [int(i.investor_class) for i in checked],
                [i.kyc_expiry_timestamp for i in checked],
                [i.omnibus for i in checked],
            )
        ]
        extra = [(i.id_bytes, w) for i in checked for w in i.wallets[1:]]
        if extra:
            receipts.append(self.raw.batch_add_wallets(signer, [e[0] for e in extra], [e[1] for e in extra]))
        return receipts

    def _check_new(self, investors: Sequence[Investor]) -> None:
        ids: set[bytes] = set()
        wallets: set[str] = set()
        for investor in investors:
            _future(self.chain, investor.kyc_expiry, f"KYC expiry of {investor.id}")
            if investor.id_bytes in ids:
                raise SpecError(f"investor {investor.id} is listed twice", fix="list each investor once")
            ids.add(investor.id_bytes)
            if self.raw.investor(investor.id_bytes)[0] != 0:
                raise SpecError(f"investor {investor.id} is already registered", fix="use update() or add_wallet()")
            for wallet in investor.wallets:
                if wallet in wallets:
                    raise SpecError(f"wallet {wallet} is listed twice", fix="give each wallet to one investor only")
                wallets.add(wallet)
                if self.contains(wallet) or self.raw.is_retired(wallet):
                    raise SpecError(
                        f"wallet {wallet} is already registered (or retired)",
                        fix="a wallet belongs to one investor for good: use a new wallet",
                    )

    def register_investor(self, signer: LocalAccount, investor: Investor | dict[str, object]) -> list[TxReceipt]:
        """Register one investor with ``registerInvestor`` (plus ``addWallet`` for each further wallet)."""
        (checked,) = _investors([investor])
        self._check_new([checked])
        receipts = [
            self.raw.register_investor(
                signer, checked.id_bytes, checked.wallets[0], checked.country,
                int(checked.investor_class), checked.kyc_expiry_timestamp, checked.omnibus,
            )
        ]  # fmt: skip
        receipts += [self.raw.add_wallet(signer, checked.id_bytes, w) for w in checked.wallets[1:]]
        return receipts

    def add_wallet(self, signer: LocalAccount, investor_id: str, wallet: str) -> TxReceipt:
        """Link another wallet to a registered investor."""
        return self.raw.add_wallet(signer, investor_id_bytes(investor_id), to_address(wallet))

    def remove_wallet(self, signer: LocalAccount, wallet: str) -> TxReceipt:
        """Unlink a wallet for good: it stops being verified and can never be registered again."""
        return self.raw.remove_wallet(signer, to_address(wallet))

    def update(
        self, signer: LocalAccount, investor_id: str, *, country: int, investor_class: InvestorClass, omnibus: bool
    ) -> TxReceipt:
        """Change an investor's country, class and omnibus flag."""
        if not 1 <= country <= 999:
            raise SpecError(f"country {country} is not an ISO 3166-1 numeric code", fix="use 1-999, e.g. 344 (HK)")
        try:
            klass = InvestorClass(investor_class)
        except ValueError as exc:
            known = ", ".join(f"{c.value} ({c.name})" for c in InvestorClass)
            raise SpecError(f"investor class {investor_class!r} is not one of {known}") from exc
        return self.raw.update_investor(signer, investor_id_bytes(investor_id), country, int(klass), omnibus)

    def renew_kyc(self, signer: LocalAccount, investor_id: str, expiry: datetime) -> TxReceipt:
        """Extend an investor's KYC to ``expiry`` (must be in the future)."""
        return self.raw.renew_kyc(signer, investor_id_bytes(investor_id), _future(self.chain, expiry, "KYC expiry"))

    def revoke(self, signer: LocalAccount, investor_id: str) -> TxReceipt:
        """Revoke an investor: none of its wallets is verified any more."""
        return self.raw.revoke_investor(signer, investor_id_bytes(investor_id))

    def reinstate(self, signer: LocalAccount, investor_id: str) -> TxReceipt:
        """Undo a revocation."""
        return self.raw.reinstate_investor(signer, investor_id_bytes(investor_id))

    # --- views ---------------------------------------------------------------------------------------

    def is_verified(self, wallet: str) -> bool:
        """Registered, not revoked, KYC not expired."""
        return self.raw.is_verified(to_address(wallet))

    def contains(self, wallet: str) -> bool:
        """Whether the wallet is linked to an investor."""
        return self.raw.contains(to_address(wallet))

    def investor_of(self, wallet: str) -> str | None:
        """The investor id a wallet belongs to, or None."""
        raw = self.raw.investor_of(to_address(wallet))
        return investor_id_text(raw) if any(raw) else None

    def profile(self, wallet: str) -> InvestorProfile:
        """The profile a transfer check reads for ``wallet``."""
        address = to_address(wallet)
        return InvestorProfile.from_chain(self.raw.investor_of(address), self.raw.profile_of(address))

    def investor(self, investor_id: str) -> InvestorProfile:
        """An investor's master record."""
        raw = investor_id_bytes(investor_id)
        return InvestorProfile.from_chain(raw, self.raw.investor(raw))

    def wallets_of(self, investor_id: str) -> list[ChecksumAddress]:
        """The wallets linked to an investor."""
        return [to_address(w) for w in self.raw.wallets_of(investor_id_bytes(investor_id))]
