"""Module-scoped deployment shared by the asset-lifecycle suites (bond, gold, fund, DvP).

``market`` deploys what every asset needs once per test module: the investor registry, the HKD stablecoin (the
payment token), and the shared ``RWATokenAdmin`` module. Duties are held by DIFFERENT accounts, as in production:
[0] admin / registrar / stablecoin issuer, [1] issuer, [2] agent, [3] pauser, [4] compliance, [5] treasury. Each
suite deploys its own asset token on top of it in a module-scoped fixture (the plugin snapshots every module and
every test, so each test starts from the module's deployment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import HKDStablecoin, InvestorClass, InvestorRegistry, RWAToken, TokenRoles
from hktoken.chain import Chain
from tests.compliance._helpers import HK, PRO, YEAR, extra_account, fund, investor


@dataclass
class Market:
    """A registry, the HKD stablecoin and the shared admin module, with the duties spread over six accounts."""

    chain: Chain
    registry: InvestorRegistry
    hkd: HKDStablecoin
    admin_module: str
    admin: LocalAccount
    issuer: LocalAccount
    agent: LocalAccount
    pauser: LocalAccount
    compliance: LocalAccount
    treasury: LocalAccount
    investors: dict[str, LocalAccount] = field(default_factory=dict)

    @property
    def roles(self) -> TokenRoles:
        """The token duties, each held by its own account."""
        return TokenRoles(
            issuers=[self.issuer.address],
            agents=[self.agent.address],
            pausers=[self.pauser.address],
            compliance_admins=[self.compliance.address],
        )

    def onboard(
        self,
        *names: str,
        country: int = HK,
        klass: InvestorClass = PRO,
        ttl: int = 10 * YEAR,
        hkd: Decimal | int = 0,
    ) -> list[LocalAccount]:
        """Register one single-wallet investor per name (id = the name), fund each wallet with ether for gas and,
        when ``hkd`` is given, with that much HKD; returns their signers (kept in ``investors`` by name)."""
        signers = [extra_account(f"asset:{name}") for name in names]
        fund(self.chain, *signers)
        self.registry.register(
            self.admin,
            [
                investor(self.chain, name, [s], country=country, klass=klass, ttl=ttl)
                for name, s in zip(names, signers, strict=True)
            ],
        )
        for name, signer in zip(names, signers, strict=True):
            self.investors[name] = signer
            if hkd:
                self.hkd.mint(self.admin, signer.address, Decimal(hkd))
        return signers


def build_market(chain: Chain, accounts: Sequence[LocalAccount]) -> Market:
    """Deploy the registry, the HKD stablecoin and the admin module (see the module docstring for the duties)."""
    admin, issuer, agent, pauser, compliance, treasury = accounts[:6]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    module = RWAToken.deploy_admin_module(chain, admin)
    return Market(chain, registry, hkd, module, admin, issuer, agent, pauser, compliance, treasury)


@pytest.fixture(scope="module")
def market(chain: Chain, accounts: Sequence[LocalAccount]) -> Market:
    """The registry, stablecoin and admin module every asset suite builds on (once per module)."""
    return build_market(chain, accounts)
