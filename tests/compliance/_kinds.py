"""The security tokens the conformance battery runs on: RWAToken and every asset token on RWATokenBase.

A module of the compliance battery that sets ``EVERY_TOKEN = True`` runs once per kind below (see ``conftest.py``):
its ``world`` then holds that kind of token, deployed by the kind's factory with the world's registry, roles and an
EOA treasury, in a state where the asset's own lifecycle rules are not in play (a bond long before its first
coupon, gold with bars in custody covering every mint the battery makes, a fund share class with no request
pending). What RWAToken promises for ERC-20, ERC-7943, ERC-1404 and the ERC-3643 feature set must then hold
for each of them, test for test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from hktoken import FundToken, InvestorRegistry, RWAToken, SecurityToken, TokenRoles
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


def _asset_token(
    chain: Chain,
    admin: LocalAccount,
    spec: TokenSpec,
    artifact: str,
    wrapper: type[SecurityToken[Any]],
    base_args: Sequence[Any],
    asset_args: Sequence[Any],
) -> SecurityToken[Any]:
    """Deploy an asset token straight from its artifact (its own constructor arguments after the base's, the world's
    EOA treasury rather than a workflow contract) and grant the world's duties."""
    contract = deploy_contract(chain, admin, artifact, *base_args, *asset_args)
    token = wrapper(chain, contract.address)
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


def _base_args(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> list[Any]:
    module = RWAToken.deploy_admin_module(chain, admin)
    return [spec.name, spec.symbol, spec.decimals, spec.registry.address, admin.address, spec.treasury, module]


def _extension_probe(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> SecurityToken[Any]:
    """The test-only probe (fixed name, symbol and 18 decimals), closing a century from now."""
    module = RWAToken.deploy_admin_module(chain, admin)
    closes = chain.timestamp() + 100 * 365 * 86_400
    base = [spec.registry.address, admin.address, spec.treasury, module]
    return _asset_token(chain, admin, spec, "ExtensionProbeToken", RWAToken, base, [closes])


def _fund_token(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> SecurityToken[Any]:
    """A share class with a 0.5% management fee to the treasury (accrued only on request: transfers see none)."""
    return _asset_token(chain, admin, spec, "FundToken", FundToken, _base_args(chain, admin, spec), [50, spec.treasury])


FACTORIES: dict[str, Factory] = {
    "RWAToken": _rwa_token,
    "ExtensionProbeToken": _extension_probe,
    "FundToken": _fund_token,
}

# Each kind's own restriction codes (64 and up) and their messages, as its messageForTransferRestriction says them.
ASSET_CODES: dict[str, dict[int, str]] = {
    "RWAToken": {},
    "ExtensionProbeToken": {64: "asset closed"},
    "FundToken": {},
}
# Kinds whose codes hktoken's decoder names too (hktoken.models.restrictions.ASSET_MESSAGES; not the test probe's).
ASSET_MESSAGE_KINDS = frozenset[str]()
