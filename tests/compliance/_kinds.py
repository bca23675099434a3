"""The security tokens the conformance battery runs on: RWAToken and every asset token on RWATokenBase.

A module of the compliance battery that sets ``EVERY_TOKEN = True`` runs once per kind below (see ``conftest.py``):
its ``world`` then holds that kind of token, deployed by the kind's factory with the world's registry, roles and an
EOA treasury, in a state where the asset's own lifecycle rules are not in play (a bond long before its first
coupon, gold with bars in custody covering every mint the battery makes, a fund share class with no request
pending). What RWAToken promises for ERC-20, ERC-7943, ERC-1404 and the ERC-3643 feature set must then hold
for each of them, test for test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from hktoken import InvestorRegistry, RWAToken, SecurityToken, TokenRoles
from hktoken.chain import Chain
from hktoken.contracts.base import deploy_contract


@dataclass(frozen=True)
class TokenSpec:
    """What every factory gets: the world's registry, duties and treasury."""

    name: str
    symbol: str
    decimals: int
    registry: InvestorRegistry
    treasury: str
    roles: TokenRoles


Factory = Callable[[Chain, LocalAccount, TokenSpec], SecurityToken[Any]]


def _rwa_token(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> SecurityToken[Any]:
    return RWAToken.deploy(
        chain,
        admin,
        name=spec.name,
        symbol=spec.symbol,
        decimals=spec.decimals,
        registry=spec.registry,
        treasury=spec.treasury,
        roles=spec.roles,
    )


def _extension_probe(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> SecurityToken[Any]:
    """The test-only probe (fixed name, symbol and 18 decimals), closing a century from now."""
    module = RWAToken.deploy_admin_module(chain, admin)
    closes = chain.timestamp() + 100 * 365 * 86_400
    contract = deploy_contract(
        chain, admin, "ExtensionProbeToken", spec.registry.address, admin.address, spec.treasury, module, closes
    )
    token = RWAToken(chain, contract.address)
    token.grant_roles(
        admin,
        {
            "ISSUER_ROLE": list(spec.roles.issuers),
            "AGENT_ROLE": list(spec.roles.agents),
            "PAUSER_ROLE": list(spec.roles.pausers),
            "COMPLIANCE_ROLE": list(spec.roles.compliance_admins),
        },
    )
    return token


FACTORIES: dict[str, Factory] = {
    "RWAToken": _rwa_token,
    "ExtensionProbeToken": _extension_probe,
}

# Each kind's own restriction codes (64 and up) and their messages, as its messageForTransferRestriction says them.
ASSET_CODES: dict[str, dict[int, str]] = {
    "RWAToken": {},
    "ExtensionProbeToken": {64: "asset closed"},
}
# Kinds whose codes hktoken's decoder names too (hktoken.models.restrictions.ASSET_MESSAGES; not the test probe's).
ASSET_MESSAGE_KINDS = frozenset[str]()
