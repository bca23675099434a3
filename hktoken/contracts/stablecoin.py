"""Typed wrapper of HKDStablecoin: a demo licensed HKD stablecoin (6 decimals) for payment legs."""

from __future__ import annotations

from typing import Self

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.contracts.base import ERC20Wrapper
from hktoken.models.common import to_address
from hktoken.units import Amount


class HKDStablecoin(ERC20Wrapper):
    """Money, not a security (6 decimals): not KYC-gated, but with an issuer, a blocklist and a pause."""

    artifact_name = "HKDStablecoin"
    roles = ("ISSUER_ROLE", "COMPLIANCE_ROLE", "PAUSER_ROLE")

    @classmethod
    def deploy(cls, chain: Chain, admin: LocalAccount) -> Self:
        """Deploy with every duty held by ``admin`` (grant others with :meth:`grant_role`)."""
        coin = cls._deploy(chain, admin, admin.address)
        coin._grant_roles(admin, {role: [admin.address] for role in cls.roles})
        return coin

    def mint(self, signer: LocalAccount, to: str, amount: Amount) -> TxReceipt:
        """Issue HKD against reserves (ISSUER_ROLE)."""
        return self._transact(signer, "mint", to_address(to, what="recipient"), self.to_units(amount))

    def burn(self, signer: LocalAccount, amount: Amount) -> TxReceipt:
        """Burn from the issuer's own balance on redemption (ISSUER_ROLE)."""
        return self._transact(signer, "burn", self.to_units(amount))

    def block(self, signer: LocalAccount, account: str) -> TxReceipt:
        """Block an address from sending and receiving (COMPLIANCE_ROLE)."""
        return self._transact(signer, "blockAccount", to_address(account))

    def unblock(self, signer: LocalAccount, account: str) -> TxReceipt:
        """Lift a block (COMPLIANCE_ROLE)."""
        return self._transact(signer, "unblockAccount", to_address(account))

    def is_blocked(self, account: str) -> bool:
        """Whether an address is blocked."""
        return bool(self._call("isBlocked", to_address(account)))

    def pause(self, signer: LocalAccount) -> TxReceipt:
        """Stop every balance change (PAUSER_ROLE)."""
        return self._transact(signer, "pause")

    def unpause(self, signer: LocalAccount) -> TxReceipt:
        """Resume (PAUSER_ROLE)."""
        return self._transact(signer, "unpause")
