"""The security tokens the conformance battery runs on: RWAToken and every asset token on RWATokenBase.

A module of the compliance battery that sets ``EVERY_TOKEN = True`` runs once per kind named in
``HKTOKEN_TOKEN_KINDS`` (RWAToken by default; CI runs each asset kind in a session of its own; see ``conftest.py``):
its ``world`` then holds that kind of token, deployed by the kind's factory with the world's registry, roles and an
EOA treasury, in a state where the asset's own lifecycle rules are not in play (a bond long before its first
coupon, gold with bars in custody covering every mint the battery makes, a fund share class with no request
pending). What RWAToken promises for ERC-20, ERC-7943, ERC-1404 and the ERC-3643 feature set must then hold
for each of them, test for test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount

from hktoken import (
    BondTerms,
    BondToken,
    FundToken,
    GoldBar,
    GoldToken,
    HKDStablecoin,
    InvestorRegistry,
    RWAToken,
    SecurityToken,
    TokenRoles,
)
from hktoken.chain import Chain
from hktoken.contracts.base import deploy_contract

DAY = 86_400


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


def _bond_token(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> SecurityToken[Any]:
    """A 30-year semi-annual bond whose first coupon is recorded a week from now, so the battery's time travel
    crosses coupon records (accruals written into the balance words) without ever reaching maturity."""
    hkd = HKDStablecoin.deploy(chain, admin)
    now = chain.timestamp()
    dates = [datetime.fromtimestamp(now + 7 * DAY + k * 182 * DAY, tz=UTC) for k in range(60)]
    terms = BondTerms(
        isin="HK0000098498", currency="HKD", payment_token=hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=450, coupon_frequency=2,
        issue_date=datetime.fromtimestamp(now, tz=UTC), maturity_date=dates[-1], coupon_dates=tuple(dates),
    )  # fmt: skip
    return BondToken.deploy(
        chain, admin, name=spec.name, symbol=spec.symbol, decimals=spec.decimals, registry=spec.registry,
        treasury=spec.treasury, roles=spec.roles, terms=terms,
    )  # fmt: skip


def _gold_token(chain: Chain, admin: LocalAccount, spec: TokenSpec) -> SecurityToken[Any]:
    """Gold with ten million fine ounces in custody (ten non-standard bars), so no mint of the battery meets the
    reserve; the world's EOA treasury in place of the custodian's escrow."""
    token = GoldToken.deploy(
        chain, admin, name=spec.name, symbol=spec.symbol, registry=spec.registry, treasury=spec.treasury,
        roles=spec.roles,
    )  # fmt: skip
    bars = [
        GoldBar(serial=f"CONF-{n:03d}", refiner="Conformance Refinery", gross_oz=Decimal(1_000_000), fineness=10_000,
                vault="HK-1", good_delivery=False)
        for n in range(10)
    ]  # fmt: skip
    token.custodian.add_bars(admin, bars)
    return token


FACTORIES: dict[str, Factory] = {
    "RWAToken": _rwa_token,
    "ExtensionProbeToken": _extension_probe,
    "FundToken": _fund_token,
    "BondToken": _bond_token,
    "GoldToken": _gold_token,
}

# Each kind's own restriction codes (64 and up) and their messages, as its messageForTransferRestriction says them.
ASSET_CODES: dict[str, dict[int, str]] = {
    "RWAToken": {},
    "ExtensionProbeToken": {64: "asset closed"},
    "FundToken": {},
    "BondToken": {64: "bond matured", 65: "bond called", 66: "bond supply bound exceeded"},
    "GoldToken": {72: "mint exceeds gold reserve", 73: "gold reserve attestation stale"},
}
# Kinds whose codes hktoken's decoder names too (hktoken.models.restrictions.ASSET_MESSAGES; not the test probe's).
ASSET_MESSAGE_KINDS = frozenset({"BondToken", "GoldToken"})
