"""Typed wrapper of HKDStablecoin: a demo licensed HKD stablecoin (6 decimals) for payment legs."""

from __future__ import annotations

from typing import Self

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from hktoken.abi import DEFAULT_ADMIN_ROLE
from hktoken.chain.connection import Chain
from hktoken.contracts._abi import HKDStablecoinFunctions
from hktoken.contracts.base import ERC20Wrapper
from hktoken.models.common import to_address
from hktoken.units import Amount


class HKDStablecoin(ERC20Wrapper[HKDStablecoinFunctions]):
    """Money, not a security (6 decimals): not KYC-gated, but with an issuer, a blocklist, a pause and permits."""

    surface_type = HKDStablecoinFunctions
    artifact_name = HKDStablecoinFunctions.artifact_name

    @classmethod
    def deploy(cls, chain: Chain, admin: LocalAccount) -> Self:
        """Deploy with every duty held by ``admin`` (grant others with :meth:`grant_role`)."""
        coin = cls.deploy_artifact(chain, admin, admin.address)
        coin.grant_roles(admin, {role: [admin.address] for role in coin.roles if role != DEFAULT_ADMIN_ROLE})
        return coin

    def mint(self, signer: LocalAccount, to: str, amount: Amount) -> TxReceipt:
        """Issue HKD against reserves (ISSUER_ROLE)."""
        return self.raw.mint(signer, to_address(to, what="recipient"), self.to_units(amount))

    def burn(self, signer: LocalAccount, amount: Amount) -> TxReceipt:
        """Burn from the issuer's own balance on redemption (ISSUER_ROLE)."""
        return self.raw.burn(signer, self.to_units(amount))

    def block(self, signer: LocalAccount, account: str) -> TxReceipt:
        """Block an address from sending and receiving (COMPLIANCE_ROLE)."""
        return self.raw.block_account(signer, to_address(account))

    def unblock(self, signer: LocalAccount, account: str) -> TxReceipt:
        """Lift a block (COMPLIANCE_ROLE)."""
        return self.raw.unblock_account(signer, to_address(account))

    def is_blocked(self, account: str) -> bool:
        """Whether an address is blocked."""
        return self.raw.is_blocked(to_address(account))
