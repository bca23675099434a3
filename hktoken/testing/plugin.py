"""pytest plugin, registered through the ``pytest11`` entry point: installing hktoken gives any test
suite a session anvil and per-test chain isolation.

Fixtures
  ``hktoken_node``  the session's node (an :class:`~hktoken.chain.anvil.Anvil`, or ``None`` with --hktoken-rpc-url)
  ``chain``         the :class:`~hktoken.chain.connection.Chain` (sender, decoder, snapshots)
  ``w3``            its ``Web3``
  ``accounts``      the funded dev accounts (``LocalAccount``; keys never printed)

Compliance stack (module-scoped, deployed on first use, admin = ``accounts[0]``)
  ``investor_registry``   an :class:`~hktoken.contracts.registry.InvestorRegistry`
  ``kyc``                 ``kyc(wallet, *, investor_id=None, country=344, investor_class=PROFESSIONAL, days=365)``
                          registers a wallet as a verified investor and returns the investor id
  ``rwa_token_factory``   ``rwa_token_factory(name=..., symbol=..., decimals=18, rules=None, **deploy_kwargs)``
                          deploys an :class:`~hktoken.contracts.token.RWAToken` on ``investor_registry``
  ``hkd_stablecoin``      an :class:`~hktoken.contracts.stablecoin.HKDStablecoin`

Isolation: every test that uses the chain runs inside an ``evm_snapshot``/``evm_revert`` pair, and so
does every test module, so module-scoped deployments are shared by a module's tests and never leak
into the next module. Tests that do not touch the chain never start a node.
Mark a test ``@pytest.mark.hktoken_no_isolation`` to keep its changes (for the rest of its module).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import dev_accounts
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.token import RWAToken
from hktoken.models.investor import Investor, InvestorClass
from hktoken.models.rules import ComplianceRules

CHAIN_FIXTURES = frozenset(
    {"chain", "w3", "accounts", "hktoken_node", "investor_registry", "kyc", "rwa_token_factory", "hkd_stablecoin"}
)
HONG_KONG = 344


class Kyc(Protocol):
    """Signature of the ``kyc`` fixture."""

    def __call__(
        self,
        wallet: str,
        *,
        investor_id: str | None = None,
        country: int = HONG_KONG,
        investor_class: InvestorClass = InvestorClass.PROFESSIONAL,
        days: int = 365,
        omnibus: bool = False,
    ) -> str: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hktoken")
    group.addoption(
        "--hktoken-rpc-url",
        default=None,
        help="Run chain tests against this JSON-RPC node (it must support evm_snapshot/evm_revert) "
        "instead of starting anvil.",
    )
    group.addoption("--hktoken-chain-id", type=int, default=None, help="Expected chain id of --hktoken-rpc-url.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hktoken_no_isolation: keep this test's chain changes")
    workers = config.getoption("numprocesses", None)  # pytest-xdist's -n, when it is installed
    if config.getoption("--hktoken-rpc-url") and workers not in (None, 0, "0"):
        # Each test reverts the node to a snapshot when it ends: workers sharing one node would revert each other.
        raise pytest.UsageError(
            "--hktoken-rpc-url: one node serves one pytest process, and -n starts several; drop -n "
            "(without --hktoken-rpc-url each worker starts its own anvil)"
        )


def _uses_chain(item: pytest.Item) -> bool:
    return bool(CHAIN_FIXTURES.intersection(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session")
def hktoken_node(request: pytest.FixtureRequest) -> Iterator[Anvil | None]:
    """The session's anvil (stopped at the end of the session), or None for an external node."""
    if request.config.getoption("--hktoken-rpc-url"):
        yield None
        return
    node = Anvil()
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain(request: pytest.FixtureRequest, hktoken_node: Anvil | None) -> Chain:
    """The Chain every test of the session shares."""
    if hktoken_node is not None:
        assert hktoken_node.chain is not None
        return hktoken_node.chain
    url = request.config.getoption("--hktoken-rpc-url")
    return connect(url, expected_chain_id=request.config.getoption("--hktoken-chain-id"))


@pytest.fixture(scope="session")
def w3(chain: Chain) -> Web3:
    """The session chain's Web3."""
    return chain.w3


@pytest.fixture(scope="session")
def accounts(hktoken_node: Anvil | None) -> list[LocalAccount]:
    """Funded dev accounts (anvil's test mnemonic)."""
    return hktoken_node.accounts if hktoken_node is not None else dev_accounts()


@pytest.fixture(scope="module", autouse=True)
def _hktoken_module_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    items = [i for i in request.session.items if i.module is request.module]  # type: ignore[attr-defined]
    if not any(_uses_chain(item) for item in items):
        yield
        return
    chain_: Chain = request.getfixturevalue("chain")
    snapshot = chain_.snapshot()
    yield
    chain_.revert(snapshot)


@pytest.fixture(autouse=True)
def _hktoken_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    if not _uses_chain(request.node) or request.node.get_closest_marker("hktoken_no_isolation"):
        yield
        return
    chain_: Chain = request.getfixturevalue("chain")
    snapshot = chain_.snapshot()
    yield
    chain_.revert(snapshot)


@pytest.fixture(scope="module")
def investor_registry(chain: Chain, accounts: list[LocalAccount]) -> InvestorRegistry:
    """A fresh InvestorRegistry for this module (admin and registrar: ``accounts[0]``)."""
    return InvestorRegistry.deploy(chain, accounts[0])


@pytest.fixture(scope="module")
def kyc(chain: Chain, accounts: list[LocalAccount], investor_registry: InvestorRegistry) -> Kyc:
    """Register a wallet as a verified investor in ``investor_registry``; returns its investor id."""
    numbers = itertools.count(1)

    def register(
        wallet: str,
        *,
        investor_id: str | None = None,
        country: int = HONG_KONG,
        investor_class: InvestorClass = InvestorClass.PROFESSIONAL,
        days: int = 365,
        omnibus: bool = False,
    ) -> str:
        investor = Investor(
            id=investor_id or f"TEST-INV-{next(numbers):04d}",
            wallets=[wallet],
            country=country,
            investor_class=investor_class,
            kyc_expiry=datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=days),
            omnibus=omnibus,
        )
        investor_registry.register_investor(accounts[0], investor)
        return investor.id

    return register


@pytest.fixture(scope="module")
def rwa_token_factory(
    chain: Chain, accounts: list[LocalAccount], investor_registry: InvestorRegistry
) -> Callable[..., RWAToken]:
    """Deploy RWATokens on ``investor_registry``; every duty and the treasury belong to ``accounts[0]``. The tokens
    of a module share one administration module, deployed with the fixture (so outside any test's snapshot)."""
    serial = itertools.count(1)
    shared_module = RWAToken.deploy_admin_module(chain, accounts[0])

    def deploy(
        *,
        name: str | None = None,
        symbol: str | None = None,
        decimals: int = 18,
        rules: ComplianceRules | None = None,
        **kwargs: Any,
    ) -> RWAToken:
        n = next(serial)
        kwargs.setdefault("admin_module", shared_module)
        return RWAToken.deploy(
            chain,
            accounts[0],
            name=name or f"Test Asset {n}",
            symbol=symbol or f"TA{n}",
            decimals=decimals,
            registry=investor_registry,
            rules=rules,
            **kwargs,
        )

    return deploy


@pytest.fixture(scope="module")
def hkd_stablecoin(chain: Chain, accounts: list[LocalAccount]) -> HKDStablecoin:
    """A demo HKD stablecoin for payment legs (every duty: ``accounts[0]``)."""
    return HKDStablecoin.deploy(chain, accounts[0])
